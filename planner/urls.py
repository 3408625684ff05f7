from django.urls import path

from planner import views

urlpatterns = [
    path("planner/", views.planner, name="planner"),
]
