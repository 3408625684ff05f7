from django.urls import path

from . import api, views

urlpatterns = [
    path("labs/", views.lab_catalogue, name="labs"),
    path("labs/new/<slug:lab>/", views.lab_new, name="lab_new"),
    path("labs/jobs/<int:pk>/", views.lab_job, name="lab_job"),
    path("labs/compare/", views.lab_compare, name="lab_compare"),
    path("labs/jobs/<int:pk>/cancel/", views.lab_job_cancel, name="lab_job_cancel"),
    path("labs/jobs/<int:pk>/evidence/", views.lab_job_evidence, name="lab_job_evidence"),
    path("labs/runners/new/", views.runner_create, name="runner_create"),
    path("labs/runners/<int:pk>/revoke/", views.runner_revoke, name="runner_revoke"),
    path("api/runner/heartbeat", api.heartbeat, name="runner_heartbeat"),
    path("api/runner/jobs/<int:job_id>/start", api.start, name="runner_start"),
    path("api/runner/jobs/<int:job_id>/progress", api.progress, name="runner_progress"),
    path("api/runner/jobs/<int:job_id>/result", api.result, name="runner_result"),
    path("api/runner/jobs/<int:job_id>/failure", api.failure, name="runner_failure"),
]
