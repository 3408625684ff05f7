"""A running job's page says how long it has run and, where it can, how long is left (issue 18: 160 s on "int8
timed runs" looked like a hang)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from labs.models import LabJob
from tests.support import lab_job_page, make_lab_job

pytestmark = pytest.mark.django_db
PARAMS = {"precisions": ["fp32", "int8"], "gen_len": 16}


def running(user, *, progress: int, ago_s: int) -> LabJob:
    return LabJob.objects.create(user=user, lab="quant-inference", queue="lab.cpu", params=PARAMS, status="running",
                                 progress=progress, stage="int8 (2/2): timed runs",
                                 started_at=timezone.now() - timedelta(seconds=ago_s))


def timing(html: str) -> str:
    return html.split('data-testid="job-timing"')[1].split("</p>")[0]


@pytest.mark.parametrize(("lang", "elapsed", "left"), [
    ("zh-hans", r"已运行 2 分 4[0-3] 秒", r"预计还需约 2 分 4[0-3] 秒（按目前进度估计）"),
    ("en", r"Running for 2 min 4[0-3] s", r"about 2 min 4[0-3] s left \(from the progress so far\)")])
def test_a_running_job_shows_elapsed_time_and_an_estimate_from_its_progress(client_a, user, lang, elapsed, left):
    job = running(user, progress=50, ago_s=160)
    text = timing(lab_job_page(client_a, job, lang))
    assert re.search(elapsed, text) and re.search(left, text), text  # a slow request may add a second or three
    # The live part (polled by htmx every 2 s) carries it too.
    live = client_a.get(reverse("lab_job", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="job-timing"' in live


def test_the_estimate_comes_from_the_last_job_with_the_same_parameters(client_a, user):
    now = timezone.now()
    done = make_lab_job(user, "quant-inference", None, params=PARAMS, started_at=now - timedelta(hours=1))
    other = make_lab_job(user, "quant-inference", None, params={**PARAMS, "gen_len": 64},
                         started_at=now - timedelta(hours=2))  # other parameters: not used
    LabJob.objects.filter(id=done.id).update(finished_at=done.started_at + timedelta(seconds=300))
    LabJob.objects.filter(id=other.id).update(finished_at=now - timedelta(minutes=1))
    text = timing(lab_job_page(client_a, running(user, progress=2, ago_s=100), "zh-hans"))
    assert re.search(r"已运行 1 分 4[0-3] 秒", text) and re.search(r"预计还需约 3 分 (20|1[7-9]) 秒", text), text
    assert f"（同样参数的任务 #{done.pk} 用了 5 分 00 秒）" in text


def test_no_estimate_before_any_progress_and_no_timing_once_finished(client_a, user):
    text = timing(lab_job_page(client_a, running(user, progress=1, ago_s=5), "zh-hans"))
    assert re.search(r"已运行 [5-8] 秒", text) and "预计" not in text
    finished = make_lab_job(user, "quant-inference", None, params=PARAMS, status="failed")
    assert 'data-testid="job-timing"' not in lab_job_page(client_a, finished, "zh-hans")
