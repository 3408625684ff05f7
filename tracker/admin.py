"""Admin for every content model and the users' progress. Edits here bump the versions that the dashboard's
cache is keyed on (core.versions), as every other write to what the dashboard shows does."""

from django.contrib import admin

from core.versions import bump_content_version, bump_user_version

from .models import Phase, PlanNote, Profile, Resource, Section, Skill, StatusChange, Task, TaskProgress


class ContentAdmin(admin.ModelAdmin):
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # after the row and its many-to-many links
        bump_content_version()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        bump_content_version()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        bump_content_version()


class LearnerRowAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        bump_user_version(obj.user_id)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        bump_user_version(obj.user_id)

    def delete_queryset(self, request, queryset):
        users = set(queryset.values_list("user_id", flat=True))
        super().delete_queryset(request, queryset)
        for user_id in users:
            bump_user_version(user_id)


@admin.register(Skill)
class SkillAdmin(ContentAdmin):
    list_display = ("slug", "name", "name_en", "archived")
    list_filter = ("archived",)
    search_fields = ("slug", "name", "name_en")


@admin.register(Phase)
class PhaseAdmin(ContentAdmin):
    list_display = ("order", "slug", "title", "start_week", "weeks", "archived")


@admin.register(Section)
class SectionAdmin(ContentAdmin):
    list_display = ("phase", "number", "slug", "title", "tutorial", "archived")
    list_filter = ("phase", "archived")


@admin.register(Task)
class TaskAdmin(ContentAdmin):
    list_display = ("slug", "phase", "section", "kind", "title", "archived")
    list_filter = ("phase", "kind", "archived")
    search_fields = ("slug", "title", "title_en")
    filter_horizontal = ("skills", "resources")


@admin.register(Resource)
class ResourceAdmin(ContentAdmin):
    list_display = ("slug", "type", "title", "url", "archived")
    list_filter = ("type", "archived")


@admin.register(PlanNote)
class PlanNoteAdmin(ContentAdmin):
    list_display = ("slug", "kind", "order", "title", "archived")
    list_filter = ("kind",)


@admin.register(TaskProgress)
class TaskProgressAdmin(LearnerRowAdmin):
    list_display = ("user", "task", "status", "updated_at")
    list_filter = ("status",)


admin.site.register(StatusChange, LearnerRowAdmin)
admin.site.register(Profile, LearnerRowAdmin)
