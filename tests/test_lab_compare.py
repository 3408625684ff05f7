"""Two of a learner's jobs of one lab side by side (reached from a job page's history list): the headline
figures with their difference and ratio, the parameters and runner system info that differ; another user's
job is a 404 and jobs of different labs are refused with a message."""

from __future__ import annotations

import copy
import re

import pytest
from django.urls import reverse

from tests.support import lab_job_page as page
from tests.support import lab_result as result_data
from tests.support import make_lab_job as make_job
from tests.support import runner_system_info

SYSTEM = runner_system_info()

pytestmark = pytest.mark.django_db


def compare(client, a, b, lang: str = "en"):
    client.cookies["django_language"] = lang
    return client.get(reverse("lab_compare"), {"a": a.pk, "b": b.pk})


def quant_pair(user):
    slow = result_data("quant-inference")
    fast = copy.deepcopy(slow)
    for e in fast["precisions"]:
        if e.get("status") == "ok":
            e["decode_tokens_per_s"] *= 2
    laptop = {**SYSTEM, "cuda_devices": [{"name": "NVIDIA GeForce RTX 4070 Laptop GPU", "memory_bytes": 8 << 30,
                                          "compute_capability": "8.9", "driver": "570.124.06"}],
              "versions": {**SYSTEM["versions"], "torch": "2.12.0"}}
    a = make_job(user, "quant-inference", slow, params={"precisions": ["fp32", "int8"], "gen_len": 8})
    b = make_job(user, "quant-inference", fast, params={"precisions": ["fp32", "int8"], "gen_len": 32},
                 system_info=laptop)
    return a, b, slow


def rows(html: str, testid: str) -> list[list[str]]:
    block = html.split(f'data-testid="{testid}"')[1].split("</table>")[0]
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S) for r in block.split("<tr")[2:]]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_two_jobs_side_by_side_show_the_headline_difference_and_ratio(client_a, user, lang):
    a, b, slow = quant_pair(user)
    response = compare(client_a, a, b, lang)
    assert response.status_code == 200
    html = response.content.decode()
    fp32 = next(e for e in slow["precisions"] if e["precision"] == "fp32")["decode_tokens_per_s"]
    figure = next(r for r in rows(html, "compare-figures") if r[0] == "fp32")
    assert figure[1:5] == [f"{fp32:.2f} tok/s", f"{2 * fp32:.2f} tok/s", f"+{fp32:.2f} tok/s", "2.00×"]
    assert ("Ratio (#" if lang == "en" else "比（#") in html


def test_the_comparison_lists_only_the_parameters_and_system_info_that_differ(client_a, user):
    a, b, _ = quant_pair(user)
    html = compare(client_a, a, b).content.decode()
    assert rows(html, "compare-params") == [["gen_len", "8", "32"]]
    system = {r[0]: r[1:] for r in rows(html, "compare-system")}
    assert system["torch"] == ["2.13.0", "2.12.0"]
    assert "NVIDIA H200" in system["GPU 0"][0] and "RTX 4070 Laptop GPU" in system["GPU 0"][1]
    assert "hostname" not in html.split('data-testid="compare-system"')[1]  # the same on both: not listed


def test_the_job_pages_history_list_links_to_a_comparison(client_a, user):
    a, b, _ = quant_pair(user)
    html = page(client_a, b)
    link = reverse("lab_compare") + f"?a={a.pk}&amp;b={b.pk}"  # the earlier job first: b - a is the change
    assert f'href="{link}" data-testid="compare-link"' in html


def test_another_users_job_cannot_be_compared(client_a, user, other_user):
    mine = make_job(user, "quant-inference", result_data("quant-inference"))
    theirs = make_job(other_user, "quant-inference", result_data("quant-inference"))
    assert compare(client_a, mine, theirs).status_code == 404
    assert compare(client_a, theirs, mine).status_code == 404
    assert client_a.get(reverse("lab_compare"), {"a": "x", "b": mine.pk}).status_code == 404


@pytest.mark.parametrize(("lang", "said"), [("en", "are different labs"), ("zh-hans", "是不同的实验")])
def test_jobs_of_different_labs_are_refused_with_a_message(client_a, user, lang, said):
    quant = make_job(user, "quant-inference", result_data("quant-inference"))
    tuning = make_job(user, "finetune", result_data("finetune"))
    response = compare(client_a, quant, tuning, lang)
    assert response.status_code == 400
    message = response.content.decode().split('data-testid="compare-refused">')[1].split("</div>")[0]
    assert said in message and f"#{quant.pk}" in message and f"#{tuning.pk}" in message


def test_two_long_context_jobs_compare_their_effective_lengths(client_a, user):
    first = result_data("long-context")
    second = copy.deepcopy(first)
    second["settings"][0]["effective_length"] = 512
    a = make_job(user, "long-context", first)
    b = make_job(user, "long-context", second)
    figure = next(r for r in rows(compare(client_a, a, b).content.decode(), "compare-figures") if r[0] == "none")
    assert figure[1:5] == ["1024 tokens", "512 tokens", "-512 tokens", "0.50×"]
