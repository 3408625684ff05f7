"""The site's Celery app: queue declarations, routing by task name, reliability settings.

Lab tasks (lab.cpu / lab.cuda / lab.vllm) are executed by gpu_runner on the GPU host; the site only
sends them by name (labcontract.TASK_FOR_QUEUE) and never imports the runner.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import beat_embedded_init, worker_init, worker_process_init
from kombu import Queue

from core.processes import die_with_parent

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("deploydojo")
app.config_from_object("django.conf:settings", namespace="CELERY")

from django.conf import settings  # noqa: E402 - after DJANGO_SETTINGS_MODULE is set

QUEUES = settings.SITE_QUEUES

app.conf.update(
    task_queues=[Queue(name, routing_key=name) for name in QUEUES],
    task_default_queue="celery",
    # Routing by task name: the judge's tasks and each lab queue's task go to their own queue.
    task_routes={
        "judge.*": {"queue": "judge"},
        **{f"{queue}.*": {"queue": queue} for queue in QUEUES if queue.startswith("lab.")},
    },
    # A task is acknowledged only after it ran; a worker killed mid-task hands it back to the broker.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_expires=3600,
    broker_connection_retry_on_startup=True,
    beat_schedule={
        "reap-stale-submissions": {"task": "practice.reap_stale_submissions", "schedule": settings.REAPER_INTERVAL_S},
        "reap-stale-lab-jobs": {"task": "labs.reap_stale_jobs", "schedule": settings.REAPER_INTERVAL_S},
    },
    worker_hijack_root_logger=False,
)
VISIBILITY_TIMEOUT_S = settings.BROKER_VISIBILITY_TIMEOUT_S  # checked against the hard time limit in settings
if str(app.conf.broker_url).startswith(("redis", "rediss", "sentinel")):
    # (Only Redis takes this option; the SQLAlchemy broker of the embedded default would pass it to create_engine
    # and fail.)
    app.conf.broker_transport_options = {"visibility_timeout": VISIBILITY_TIMEOUT_S}
app.autodiscover_tasks(["tracker", "practice", "labs"])


@app.task(name="ping")
def ping() -> str:
    return "pong"


# A worker's beat (`worker --beat`) and its pool processes are its children: none may outlive it. SIGKILL of the
# worker's main process (an OOM kill, a supervisor's last resort) left beat queuing reaper tasks for good.
_worker_pid: int | None = None


@worker_init.connect
def _remember_worker(**_kwargs) -> None:
    global _worker_pid
    _worker_pid = os.getpid()


@beat_embedded_init.connect
@worker_process_init.connect
def _die_with_worker(**_kwargs) -> None:
    die_with_parent(parent_pid=_worker_pid)
