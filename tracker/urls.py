from django.urls import path

from . import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("accounts/signup/", views.signup, name="signup"),
    path("plan/", views.plan, name="plan"),
    path("plan/schedule/", views.schedule, name="schedule"),
    path("plan/<slug:slug>/", views.phase_detail, name="phase"),
    path("tasks/<slug:slug>/", views.task_detail, name="task"),
    path("tasks/<slug:slug>/status/", views.task_status, name="task_status"),
    path("tasks/<slug:slug>/notes/", views.task_notes, name="task_notes"),
    path("progress/<int:pk>/", views.progress_detail, name="progress"),
    path("resources/", views.resources, name="resources"),
]
