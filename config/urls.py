"""Top-level URLs."""

from django.contrib import admin
from django.urls import include, path

from core.metrics import metrics_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("metrics", metrics_view, name="metrics"),
    path("", include("practice.urls")),
    path("", include("labs.urls")),
    path("", include("planner.urls")),
    path("", include("knowledge.urls")),
    path("", include("evidence.urls")),
    path("", include("tracker.urls")),
]
