"""URLs of the evidence app (dashboard, skill pages, record export/import)."""

from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("skills/<slug:slug>/", views.skill_detail, name="skill"),
    path("record/export/", views.record_export, name="record_export"),
    path("record/import/", views.record_import, name="record_import"),
]
