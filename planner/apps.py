"""The capacity planner: will a model fit a GPU, how many sequences, how fast at best. It sits beside practice
and labs and imports only tracker/core; the arithmetic in planner.capacity imports no Django at all."""

from django.apps import AppConfig


class PlannerConfig(AppConfig):
    name = "planner"
    verbose_name = "Planner"
