"""DeployDojo GPU lab runner: a standalone Celery worker for the learner's own GPU host.

It meets the site only through labcontract (task names, payload, runner HTTP API); it never
imports Django or the site's apps.
"""

__version__ = "0.1.0"
