from django.urls import path

from . import views

urlpatterns = [
    path("practice/", views.exercise_list, name="exercises"),
    path("practice/history/", views.submission_history, name="submission_history"),
    path("practice/submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("practice/submissions/<int:pk>/status/", views.submission_status, name="submission_status"),
    path("practice/<slug:slug>/", views.exercise_detail, name="exercise"),
    path("practice/<slug:slug>/submit/", views.submit, name="submit"),
]
