"""The learner chooses their evidence (issue 18): per lab the job that represents it on the dashboard, skill pages
and portfolio — the learner's choice from the job page, else the best valid job; failed, empty and noisy jobs are
never chosen by default. Recorded results from tests/data/lab_results."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from labs import evidence
from tests.support import lab_result, make_lab_job

pytestmark = pytest.mark.django_db
BUSY = {"wall_s": 412.0, "cpu_count": 2, "own_cpu_s": 310.0, "other_cpu_s": 494.4, "other_cpu_share": 0.6,
        "top_others": [{"name": "stress-ng", "cpu_s": 480.2}], "loadavg_start": [3.9, 2, 1], "loadavg_end": [4, 2, 1],
        "loadavg_max_1m": 4.1, "cpu_freq_mhz": None, "gpu": None}


def quant(scale: float = 1.0, **changes) -> dict:
    result = lab_result("quant-inference")
    for e in result["precisions"]:
        if e.get("status") == "ok":
            e["decode_tokens_per_s"] *= scale
            e["decode_tokens_per_s_runs"] = [v * scale for v in e["decode_tokens_per_s_runs"]]
    return {**result, **changes}


def job(user, result, minutes_ago: int, **extra):
    made = make_lab_job(user, "quant-inference", result, params={"model": "smollm2-135m"}, **extra)
    type(made).objects.filter(id=made.id).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    made.refresh_from_db()
    return made


@pytest.fixture
def history(user):
    """Oldest to newest: the best valid job, a faster but noisy one, a job that measured nothing (stored as
    succeeded before that rule), a failed one, and the latest, slower valid one."""
    nothing = copy.deepcopy(quant())
    nothing["precisions"] = [{"precision": "fp32", "status": "unsupported", "reason": "not a model: /etc/passwd"}]
    return {"best": job(user, quant(2.0), 50), "noisy": job(user, quant(4.0, noise=BUSY), 40),
            "nothing": job(user, nothing, 30), "failed": job(user, quant(8.0), 20, status="failed"),
            "latest": job(user, quant(1.0), 10)}


def publish(client) -> str:
    from tracker.models import Profile

    response = client.post(reverse("portfolio_publish"))
    assert response.status_code == 302
    return Profile.objects.get(user=response.wsgi_request.user).portfolio_token


def portfolio_lab(client, token: str) -> str:
    from django.test import Client

    html = Client().get(reverse("portfolio_public", args=[token])).content.decode()
    return html.split('data-testid="portfolio-lab-quant-inference"')[1].split('data-testid="portfolio-lab-')[0]


def test_by_default_the_best_valid_job_represents_the_lab_never_a_noisy_failed_or_empty_one(user, history):
    rep = evidence.representatives(user)["quant-inference"]
    assert rep.job.id == history["best"].id and not rep.chosen
    assert rep.runs == 3  # best, noisy and latest measured something; the empty and the failed one did not


def test_the_portfolio_dashboard_and_skill_page_show_the_chosen_job_and_say_which_and_when(
        client_a, user, history, plan_content):
    token = publish(client_a)
    card = portfolio_lab(client_a, token)
    best = history["best"]
    assert f"#{best.pk} · {timezone.localtime(best.created_at):%Y-%m-%d}" in card and "最好的有效结果" in card
    assert "成功运行 3 次" in card
    # The learner picks the latest job on its page.
    latest = history["latest"]
    page = client_a.get(reverse("lab_job", args=[latest.pk])).content.decode()
    assert 'data-testid="evidence-choose"' in page and f"现在代表这个实验的是 #{best.pk}" in page
    assert client_a.post(reverse("lab_job_evidence", args=[latest.pk])).status_code == 302
    card = portfolio_lab(client_a, token)
    assert f"#{latest.pk} · " in card and "本人选定的代表结果" in card
    fp32 = latest.result["precisions"][0]["decode_tokens_per_s"]
    assert f"{fp32:.2f} tok/s" in card
    client_a.cookies["django_language"] = "zh-hans"
    dashboard = client_a.get(reverse("dashboard")).content.decode()
    assert f"#{latest.pk} · " in dashboard.split('data-testid="dashboard-lab-job"')[1] and "你选的代表结果" in dashboard
    skill = client_a.get(reverse("skill", args=["quantization"])).content.decode()
    assert f"#{latest.pk} · " in skill.split('data-testid="skill-lab-job"')[1]
    assert skill.count('data-testid="skill-lab-job"') == 1
    page = client_a.get(reverse("lab_job", args=[latest.pk])).content.decode()
    assert 'data-testid="evidence-this"' in page and 'data-testid="evidence-default"' in page
    # Back to the default.
    client_a.post(reverse("lab_job_evidence", args=[latest.pk]), {"action": "default"})
    assert f"#{best.pk} · " in portfolio_lab(client_a, token)


def test_a_failed_or_empty_job_cannot_be_chosen(client_a, user, history):
    for name in ("failed", "nothing"):
        page = client_a.get(reverse("lab_job", args=[history[name].pk])).content.decode()
        assert 'data-testid="evidence-choose"' not in page
        client_a.post(reverse("lab_job_evidence", args=[history[name].pk]))
        assert evidence.representatives(user)["quant-inference"].job.id == history["best"].id
    # A noisy one can, explicitly (its page says it is noisy).
    client_a.post(reverse("lab_job_evidence", args=[history["noisy"].pk]))
    rep = evidence.representatives(user)["quant-inference"]
    assert rep.job.id == history["noisy"].pk and rep.chosen


def test_the_reference_tokenizer_beats_a_newer_naive_one(user):
    reference = make_lab_job(user, "cpp-tokenizer", lab_result("cpp-tokenizer-ok"))
    naive = copy.deepcopy(lab_result("cpp-tokenizer-ok"))
    naive["exact_match_rate"] = 0.0385
    make_lab_job(user, "cpp-tokenizer", naive)
    assert evidence.representatives(user)["cpp-tokenizer"].job.id == reference.id
