"""The kernel lab's pages as a learner reads them: the problems (statement, signatures, starter, reference steps)
above the form, a job queued from the form with sizes one a line, and job pages rendered from real results the
lab produced on this machine (tests/data/lab_results/kernels-*.json): verdict, per-size figures, roofline."""

from __future__ import annotations

import html as htmllib
import json

import pytest
from django.urls import reverse

from labs.models import LabJob
from tests.support import lab_job_page as page
from tests.support import lab_result
from tests.support import make_lab_job as make_job

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("lang, words", [("zh-hans", ["矩阵乘法 GEMM", "逐行 softmax", "参考步骤"]),
                                         ("en", ["Matrix multiply (GEMM)", "Row-wise softmax", "Reference steps"])])
def test_the_lab_page_shows_each_problems_statement_signatures_starter_and_steps(client_a, lang, words):
    client_a.cookies["django_language"] = lang
    html = htmllib.unescape(client_a.get(reverse("lab_new", args=["kernels"])).content.decode())
    assert all(w in html for w in words)
    assert 'extern "C" void gemm(int M, int N, int K, const float* A, const float* B, float* C);' in html
    assert 'extern "C" void gemm(int M, int N, int K, const __half* A, const __half* B, float* C);' in html
    assert "for (int k = 0; k < K; k++) acc += A[(long)i * K + k] * B[(long)k * N + j];" in html  # the starter
    assert "Step 4: blocking + threads" in html and "gemm/steps/4-register-blocked.cu" in html


def test_the_form_queues_a_job_with_sizes_one_a_line_and_refuses_cuda_on_the_cpu_queue(client_a, user):
    client_a.cookies["django_language"] = "en"
    data = {"queue": "lab.cpu", "problem": "gemm", "target": "cpu", "source": "extern \"C\" void gemm() {}",
            "sizes": "255 257 129\n64x64x64\n", "warmup": "1", "repeats": "3", "threads": "", "library": "true"}
    response = client_a.post(reverse("lab_new", args=["kernels"]), data)
    assert response.status_code == 302
    (job,) = LabJob.objects.filter(user=user)
    assert job.params["sizes"] == [[255, 257, 129], [64, 64, 64]] and job.params["threads"] is None
    response = client_a.post(reverse("lab_new", args=["kernels"]), {**data, "target": "cuda"})
    error = response.content.decode().split('data-testid="form-error">')[1].split("</div>")[0]
    assert "lab.cuda" in error and LabJob.objects.filter(user=user).count() == 1


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_a_passing_gemm_page_shows_gflops_share_of_openblas_and_the_measured_roofline(client_a, user, lang):
    result = lab_result("kernels-gemm-blocked")
    html = page(client_a, make_job(user, "kernels", result), lang)
    largest = [e for e in result["sizes"] if e["status"] == "ok"][-1]
    assert f"{largest['gflop_s']:.2f}" in html and f"{largest['share_of_library']:.1%}" in html
    assert "×".join(map(str, largest["dims"])) in html
    charts = [json.loads(htmllib.unescape(c.split('"')[0]))
              for c in html.split('data-chart="')[1:]]
    roof = next(c for c in charts if c["log_x"] and c["log_y"] and c["y"] == "GFLOP/s")
    kernel = next(d for d in roof["datasets"] if d["scatter"] and d["points"])
    assert len(kernel["points"]) == len([e for e in result["sizes"] if e["status"] == "ok"])
    assert any(not d["scatter"] and len(d["points"]) == 3 for d in roof["datasets"])  # the roof: slope, ridge, flat
    assert "STREAM" in html


def test_a_wrong_softmax_page_names_the_first_bad_element(client_a, user):
    result = lab_result("kernels-softmax-starter")
    html = htmllib.unescape(page(client_a, make_job(user, "kernels", result), "en"))
    bad = next(e for e in result["sizes"] if e["status"] == "WA")["first_bad"]
    assert f"<code>[{bad['row']}][{bad['col']}]</code> = <code>{bad['got']}</code>" in html
    assert "First bad element" in html
