"""The evidence app (no models): what a learner's work proves — skills from evidence, the dashboard, the skill
pages, the record's export/import. It sits on top: it reads every other app, and none reads it."""

from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = "Evidence"
    planner_devices = "evidence.selectors.planner_devices"  # the learner's runners in the planner's GPU list
