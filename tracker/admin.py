"""Admin for every content model and the users' progress."""

from django.contrib import admin

from .models import Phase, PlanNote, Profile, Resource, Section, Skill, StatusChange, Task, TaskProgress


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "name_en", "archived")
    list_filter = ("archived",)
    search_fields = ("slug", "name", "name_en")


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    list_display = ("order", "slug", "title", "start_week", "weeks", "archived")


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ("phase", "number", "slug", "title", "tutorial", "archived")
    list_filter = ("phase", "archived")


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("slug", "phase", "section", "kind", "title", "archived")
    list_filter = ("phase", "kind", "archived")
    search_fields = ("slug", "title", "title_en")
    filter_horizontal = ("skills", "resources")


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("slug", "type", "title", "url", "archived")
    list_filter = ("type", "archived")


@admin.register(PlanNote)
class PlanNoteAdmin(admin.ModelAdmin):
    list_display = ("slug", "kind", "order", "title", "archived")
    list_filter = ("kind",)


@admin.register(TaskProgress)
class TaskProgressAdmin(admin.ModelAdmin):
    list_display = ("user", "task", "status", "updated_at")
    list_filter = ("status",)


admin.site.register(StatusChange)
admin.site.register(Profile)
