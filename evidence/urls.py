"""URLs of the evidence app (dashboard, skill pages, record export/import, the public portfolio)."""

from django.urls import path

from . import portfolio_views, views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("skills/<slug:slug>/", views.skill_detail, name="skill"),
    path("record/export/", views.record_export, name="record_export"),
    path("record/import/", views.record_import, name="record_import"),
    path("portfolio/", portfolio_views.portfolio_settings, name="portfolio_settings"),
    path("portfolio/publish/", portfolio_views.portfolio_publish, name="portfolio_publish"),
    path("portfolio/revoke/", portfolio_views.portfolio_revoke, name="portfolio_revoke"),
    path("p/<slug:token>/", portfolio_views.portfolio_public, name="portfolio_public"),  # public: core/middleware.py
]
