"""Admin for runners: an admin shares a runner with every user of the site (a study group's common GPU host,
the local runner of `make run`); tokens stay hashed and are never shown or editable here."""

from django.contrib import admin

from .models import Runner


@admin.register(Runner)
class RunnerAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "shared", "last_seen_at", "revoked_at", "token_prefix")
    list_editable = ("shared",)
    list_filter = ("shared",)
    search_fields = ("name", "owner__username")
    fields = ("name", "owner", "shared", "token_prefix", "last_seen_at", "revoked_at", "capabilities")
    readonly_fields = ("owner", "token_prefix", "last_seen_at", "revoked_at", "capabilities")
