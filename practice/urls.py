from django.urls import path

from . import lab_views, metrics, runner_api, views

urlpatterns = [
    path("labs/", lab_views.lab_catalogue, name="labs"),
    path("labs/new/<slug:lab>/", lab_views.lab_new, name="lab_new"),
    path("labs/jobs/<int:pk>/", lab_views.lab_job, name="lab_job"),
    path("labs/jobs/<int:pk>/cancel/", lab_views.lab_job_cancel, name="lab_job_cancel"),
    path("labs/runners/new/", lab_views.runner_create, name="runner_create"),
    path("labs/runners/<int:pk>/revoke/", lab_views.runner_revoke, name="runner_revoke"),
    path("api/runner/heartbeat", runner_api.heartbeat, name="runner_heartbeat"),
    path("api/runner/jobs/<int:job_id>/start", runner_api.start, name="runner_start"),
    path("api/runner/jobs/<int:job_id>/progress", runner_api.progress, name="runner_progress"),
    path("api/runner/jobs/<int:job_id>/result", runner_api.result, name="runner_result"),
    path("api/runner/jobs/<int:job_id>/failure", runner_api.failure, name="runner_failure"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("practice/", views.exercise_list, name="exercises"),
    path("practice/history/", views.submission_history, name="submission_history"),
    path("practice/submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("practice/submissions/<int:pk>/status/", views.submission_status, name="submission_status"),
    path("practice/<slug:slug>/", views.exercise_detail, name="exercise"),
    path("practice/<slug:slug>/submit/", views.submit, name="submit"),
]
