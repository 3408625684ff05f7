"""Lab job pages as a learner reads them, rendered from real results the labs' runner code produced
(tests/data/lab_results): the headline figures, runner system info and parameters as tables (not Python
reprs), a lab this site does not know, and the 404/500 pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone

from labs.models import LabJob
from tests.support import LAB_RESULTS, runner_system_info
from tests.support import lab_job_page as page
from tests.support import lab_result as result_data
from tests.support import make_lab_job as make_job

RESULTS = LAB_RESULTS
ROOT = Path(__file__).resolve().parent.parent
SYSTEM = runner_system_info()





@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_cpp_tokenizer_page_shows_its_mb_s_and_the_ratio_to_tiktoken(client_a, user, lang):
    result = result_data("cpp-tokenizer-ok")
    html = page(client_a, make_job(user, "cpp-tokenizer", result), lang)
    speed = result["throughput"]
    assert 'data-testid="speed"' in html
    assert f"{speed['candidate_mb_s']} MB/s" in html and f"{speed['tiktoken_mb_s']} MB/s" in html
    assert f"{speed['ratio']}×" in html
    assert 'data-testid="parity">100%' in html and "g++ " in html


@pytest.mark.django_db
@pytest.mark.parametrize(("lab", "name", "figure"), [
    ("quant-inference", "quant-inference", "解码 tok/s"),
    ("vllm-batch", "vllm-batch", "输出 tok/s"),
])
def test_every_lab_page_renders_its_real_result_as_a_table(client_a, user, lab, name, figure):
    html = page(client_a, make_job(user, lab, result_data(name)))
    assert figure in html and "<table" in html
    first = result_data(name)["precisions" if lab == "quant-inference" else "engines"][0]
    assert f"<td>{first.get('precision') or first.get('engine')}</td>" in html


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "words"), [("zh-hans", ["内存（RAM）", "库版本", "计算能力", "驱动"]),
                                             ("en", ["RAM", "Library versions", "Compute capability", "Driver"])])
def test_runner_system_info_is_a_table_not_a_repr(client_a, user, lang, words):
    html = page(client_a, make_job(user, "quant-inference", result_data("quant-inference")), lang)
    info = html.split('data-testid="system-info"')[1].split('data-testid="params"')[0]
    assert "{'" not in info and "': " not in info
    for word in words:
        assert word in info, word
    assert "128.0 GiB" in info and "AMD EPYC 7763 64-Core Processor" in info and "16" in info
    assert "<td>NVIDIA H200</td>" in info and "139.7 GiB" in info and "<td>9.0</td>" in info
    assert "<td>570.124.06</td>" in info
    assert "<th scope=\"row\">torch</th><td>2.13.0</td>" in info and "<th scope=\"row\">vllm</th><td>—</td>" in info


@pytest.mark.django_db
def test_parameters_are_key_value_rows_and_a_source_is_code_in_a_collapsed_block(client_a, user):
    source = "#include <cstdio>\r\nint main() {\r\n  return 0;\r\n}\r\n"
    job = make_job(user, "cpp-tokenizer", result_data("cpp-tokenizer-ok"), params={"files": {"tok.cpp": source}})
    html = page(client_a, job)
    params = html.split('data-testid="params"')[1]
    assert "\\r\\n" not in params and "{'" not in params
    assert '<details data-testid="source-file"><summary>tok.cpp' in params
    assert "#include &lt;cstdio&gt;\r\nint main()" in params and "<details open" not in params
    quant = make_job(user, "quant-inference", result_data("quant-inference"),
                     params={"precisions": ["fp32", "int8"], "gen_len": 8, "model": "fixture"})
    rows = page(client_a, quant).split('data-testid="params"')[1]
    assert '<th scope="row">precisions</th><td>fp32, int8</td>' in rows
    assert '<th scope="row">gen_len</th><td>8</td>' in rows


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_a_tokenizer_that_did_not_compile_is_shown_as_a_failed_check_with_a_hint(client_a, user, lang):
    result = result_data("cpp-tokenizer-ce")
    job = make_job(user, "cpp-tokenizer", result, status=LabJob.Status.FAILED, error=f"CE: {result['message']}")
    html = page(client_a, job, lang)
    assert 'data-status="failed"' in html and 'data-testid="check-failed"' in html
    assert "qwen_tokenizer.h: No such file or directory" in html and 'data-testid="missing-header-hint"' in html
    assert 'data-testid="parity"' not in html
    hint = html.split('data-testid="missing-header-hint">')[1].split("</p>")[0]
    assert "qwen_tokenizer.h" in hint and (".tar.gz" in hint)
    assert ("upload an archive" in hint) if lang == "en" else ("压缩包" in hint)


@pytest.mark.django_db
def test_an_imported_job_of_a_lab_this_site_does_not_know_renders_its_raw_result(client_a, user):
    job = make_job(user, "kv-cache-offload", {"lab": "kv-cache-offload", "tokens_per_s": 41.5, "notes": ["<b>"]})
    html = page(client_a, job)
    assert 'data-testid="unknown-lab"' in html and "kv-cache-offload" in html
    raw = html.split('data-testid="raw-result">')[1].split("</pre>")[0]
    assert '"tokens_per_s": 41.5' in raw.replace("&quot;", '"') and "&lt;b&gt;" in raw
    assert "Unknown lab" in page(client_a, job, "en")
    assert client_a.get(reverse("labs")).status_code == 200  # the catalogue lists it too
    assert client_a.get(reverse("dashboard")).status_code == 200  # and the dashboard's recent results


@pytest.mark.django_db
def test_an_unknown_lab_form_is_a_404_page_in_the_site_style(client_a):
    response = client_a.get(reverse("lab_new", args=["no-such-lab"]))
    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-testid="not-found"' in html and 'class="topbar"' in html


def test_the_500_page_renders_without_any_context():
    html = get_template("500.html").render()  # as Django's server_error handler does: no request, no context
    assert 'data-testid="server-error"' in html and "Server error" in html and "css/dojo.css" in html


@pytest.mark.django_db
def test_the_job_page_charts_the_headline_figure_across_the_users_jobs_of_the_lab(client_a, user, other_user):
    import copy
    import datetime as dt
    import html as html_lib

    base = result_data("quant-inference")
    jobs = []
    for i, tps in enumerate((10.0, 12.5, 11.0)):
        r = copy.deepcopy(base)
        next(e for e in r["precisions"] if e["precision"] == "fp32")["decode_tokens_per_s"] = tps
        job = make_job(user, "quant-inference", r)
        LabJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(days=3 - i))
        jobs.append(job)
    make_job(user, "quant-inference", None, status=LabJob.Status.FAILED)  # no figure: not a point
    make_job(other_user, "quant-inference", base)  # another user's job: never on this user's chart
    make_job(user, "vllm-batch", result_data("vllm-batch"))  # another lab: not on this chart
    html = page(client_a, jobs[0])
    assert 'data-testid="lab-history"' in html and "js/lab-history-chart.js" in html and "<script>" not in html
    chart = json.loads(html_lib.unescape(html.split('data-chart="')[1].split('"')[0]))
    assert chart["ids"] == [j.pk for j in jobs]  # oldest first, only this user's succeeded jobs of this lab
    fp32 = next(d for d in chart["datasets"] if d["label"] == "fp32")
    assert fp32["data"] == [10.0, 12.5, 11.0] and fp32["unit"] == "tok/s"
    assert {d["label"] for d in chart["datasets"]} == {"fp32", "int8"}  # nf4 did not run: no line


@pytest.mark.django_db
def test_a_single_job_or_a_tokenizer_history_charts_what_it_has(client_a, user):
    only = make_job(user, "cpp-tokenizer", result_data("cpp-tokenizer-ok"))
    assert 'data-testid="lab-history"' not in page(client_a, only)  # one point is no comparison
    make_job(user, "cpp-tokenizer", result_data("cpp-tokenizer-ok"))
    html = page(client_a, only)
    import html as html_lib

    chart = json.loads(html_lib.unescape(html.split('data-chart="')[1].split('"')[0]))
    assert [(d["label"], d["unit"]) for d in chart["datasets"]] == [("完全一致率", "%"), ("速度", "MB/s")]  # zh
    assert chart["datasets"][0]["data"] == [100.0, 100.0]


# ---- serving-bench, finetune, long-context: the charts, heatmaps and references a learner reads --------------


def charts(html: str) -> dict[str, dict]:
    """Every canvas.lab-chart's data, by its title (what static/js/lab-charts.js draws)."""
    import html as html_lib
    import re

    found = [json.loads(html_lib.unescape(raw)) for raw in
             re.findall(r'<canvas class="lab-chart" data-chart="([^"]*)"', html)]
    return {c["title"]: c for c in found}


def heatmap(html: str, setting: str) -> list[list[str]]:
    import re

    table = html.split(f'data-testid="lab-heatmap" data-setting="{setting}"')[1].split("</table>")[0]
    return [re.findall(r'data-shade="(\d+)"', row) for row in table.split("<tr>")[2:]]


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_serving_page_charts_latency_and_throughput_per_engine_and_says_where_the_slos_hold(
        client_a, user, lang):
    result = result_data("serving-bench")
    html = page(client_a, make_job(user, "serving-bench", result), lang)
    engine = result["engines"][0]
    drawn = charts(html)
    en = lang == "en"
    latency = drawn["transformers: " + ("TTFT p50/p99 and TPOT against concurrency" if en
                                        else "TTFT p50/p99 与 TPOT 随并发的变化")]
    assert [(d["label"], d["points"]) for d in latency["datasets"]] == \
        [(s["name"], s["points"]) for s in engine["charts"]["latency_vs_concurrency"]["series"]]
    assert latency["x"] == ("concurrency (requests in flight)" if en else "并发（同时在途的请求数）")
    assert latency["y"] == "ms" and "vLLM bench serve" in latency["definition"]
    assert (result["definitions"]["ttft"] if en else "包含排队和 prefill") in latency["definition"]
    tps = drawn["transformers: " + ("output tokens/s against concurrency" if en else "输出 tokens/s 随并发的变化")]
    assert tps["datasets"][0]["points"] == [[1.0, engine["levels"][0]["output_throughput"]],
                                            [2.0, engine["levels"][1]["output_throughput"]]]
    said = html.split('data-testid="lab-statements">')[1].split("</ul>")[0]
    assert "c=2" in said and "TTFT ≤ 60000 ms" in said and "90%" in said
    assert ("highest load" in said and "no saturation point" in said) if lang == "en" else "没有饱和点" in said
    # vllm: unsupported on a CPU, said why in the learner's language
    assert ("vLLM runs only on a CUDA GPU" if lang == "en" else "vLLM 只能在 CUDA GPU 上运行") in html


@pytest.mark.django_db
def test_a_rate_sweep_draws_goodput_against_rate_with_the_slo_target_line(client_a, user):
    from gpu_runner.labs.serving_bench import charts as runner_charts

    result = result_data("serving-bench")
    engine = result["engines"][0]
    for lv, rate in zip(engine["levels"], (1.0, 4.0), strict=True):  # the same levels, as a rate sweep
        lv.update(mode="rate", request_rate=rate, concurrency=None)
    engine["charts"] = runner_charts(engine["levels"], {"ttft_ms": 30}, 0.9, {})
    engine["saturation"], engine["max_rate_meeting_slo"] = {"rate": engine["saturation"]["concurrency"]}, 1.0
    result["slo"] = {"ttft_ms": 30}
    html = page(client_a, make_job(user, "serving-bench", result), "en")
    goodput = charts(html)["transformers: goodput against request rate"]
    line = next(d for d in goodput["datasets"] if d["reference"])
    assert line["label"] == "SLO line: 90% of the offered rate" and line["points"] == [[1.0, 0.9], [4.0, 3.6]]
    assert [d["label"] for d in goodput["datasets"] if not d["reference"]] == ["goodput", "request throughput"]
    assert result["definitions"]["goodput"] in goodput["definition"]
    assert "1.0 req/s" in html.split('data-testid="lab-statements">')[1].split("</ul>")[0]


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_finetune_page_shows_the_loss_curve_qwens_published_figures_and_samples(client_a, user, lang):
    result = result_data("finetune")
    html = page(client_a, make_job(user, "finetune", result), lang)
    loss = next(c for c in charts(html).values() if c["y"] == "loss")
    assert loss["datasets"][0]["points"] == [[i, v] for i, v in enumerate(result["loss_curve"], start=1)]
    assert loss["x"] == "step" and len(loss["datasets"][0]["points"]) == 12
    source = result["published_reference"]["source"]
    assert f'<a href="{source}" rel="noopener" translate="no">' in html
    assert ('<td><span translate="no">Qwen-7B</span></td><td><code>Q-LoRA</code></td>'
            "<td>256</td><td>11.5</td><td>3.0</td>") in html
    assert "<td><code>lora</code></td><td>256</td><td>3.3</td><td>2.82</td>" in html  # this job's row, beside them
    assert "<td>2.389</td><td>1.170</td>" in html and "<td>10.91</td><td>3.22</td>" in html
    assert html.count('<details data-testid="sample">') == 2 and "<details open" not in html
    assert "Thought: Kunming is a city in China." in html and "The weather in Kunming is quite hot" in html
    assert result["adapter"]["path"] in html and "9.4 MiB" in html
    assert ("Adapter (stays on the runner)" if lang == "en" else "适配器（留在 runner 上）") in html


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_long_context_page_charts_perplexity_on_a_log_axis_with_qwens_rows_and_the_passkey_heatmaps(
        client_a, user, lang):
    result = result_data("long-context")
    html = page(client_a, make_job(user, "long-context", result), lang)
    ppl = next(c for c in charts(html).values() if c["y"] == ("perplexity" if lang == "en" else "困惑度"))
    assert ppl["log_x"] is True and ppl["source"] == result["published_reference"]["source"]
    ours = {d["label"]: d["points"] for d in ppl["datasets"] if not d["reference"]}
    assert list(ours) == ["none", "linear×4", "dynamic×4", "yarn×4"]
    assert ours["none"] == [[c["length"], c["perplexity"]] for c in result["settings"][0]["cells"]]
    published = [d for d in ppl["datasets"] if d["reference"]]
    assert len(published) == 4 and published[0]["points"][2] == [4096, 39.35]
    assert ppl["marks"][0]["x"] == 256 and "256" in ppl["marks"][0]["label"]
    assert f'<a href="{result["published_reference"]["source"]}" rel="noopener" translate="no">' in html
    assert heatmap(html, "none") == [["100"] * 4] * 3 and heatmap(html, "linear×4") == [["0"] * 4] * 3
    nominal = ("reduced nominal" in html and "8192" in html) if lang == "en" else "缩小的名义长度" in html
    assert nominal
    assert "<td><code>none</code></td><td>0.247 s · 5.6 MiB</td>" in html  # prefill, KV
    assert "<td>1.171 s · 45.0 MiB</td>" in html


@pytest.mark.django_db
def test_gpu_telemetry_of_a_cuda_job_is_drawn_over_time(client_a, user):
    import time

    from gpu_runner.measure.nvml import GpuSampler
    from tests.support import FakeNvml  # test double: no NVIDIA driver on this machine

    with GpuSampler(interval_ms=10, device_index=0, nvml=FakeNvml()) as sampler:
        time.sleep(0.1)
    result = result_data("finetune") | {"telemetry": sampler.result()}
    drawn = charts(page(client_a, make_job(user, "finetune", result), "en"))
    util = next(c for c in drawn.values() if c["title"].startswith("GPU utilisation"))
    memory = next(c for c in drawn.values() if c["title"].startswith("GPU memory"))
    power = next(c for c in drawn.values() if c["title"].startswith("GPU power"))
    series = result["telemetry"]["series"]
    assert [p[0] for p in util["datasets"][0]["points"]] == series["t_s"] and len(series["t_s"]) >= 3
    assert {p[1] for p in util["datasets"][0]["points"]} == {87} and util["y"] == "%"
    assert {p[1] for p in memory["datasets"][0]["points"]} == {6 * 1024} and memory["y"] == "MiB"
    assert {p[1] for p in power["datasets"][0]["points"]} == {412.5}
    assert "NVML" in util["definition"]


@pytest.mark.django_db
def test_quant_precisions_carry_their_own_telemetry_compile_flag_and_bandwidth(client_a, user):
    import time

    from gpu_runner.measure.nvml import GpuSampler
    from tests.support import FakeNvml  # test double: no NVIDIA driver on this machine

    with GpuSampler(interval_ms=10, device_index=0, nvml=FakeNvml()) as sampler:
        time.sleep(0.06)
    result = result_data("quant-inference")
    fp32 = next(e for e in result["precisions"] if e["precision"] == "fp32")
    fp32.update(telemetry=sampler.result(), compiled=True, achieved_gb_per_s=3120.5)
    html = page(client_a, make_job(user, "quant-inference", result), "en")
    util = next(c for c in charts(html).values() if c["title"].startswith("GPU utilisation"))
    assert "during the timed runs" in util["title"] and [d["label"] for d in util["datasets"]] == ["fp32"]
    assert "<th>achieved GB/s</th><th>torch.compile</th>" in html
    row = html.split("<td>fp32</td>")[1].split("</tr>")[0]
    assert "<td>3120</td><td>yes</td>" in row


@pytest.mark.django_db
def test_the_vllm_engines_settings_are_a_table(client_a, user):
    result = result_data("vllm-batch")
    engine = next(e for e in result["engines"] if e["engine"] == "hf-continuous-batching")
    engine["vllm_settings"] = {"gpu_memory_utilization": 0.42, "enable_prefix_caching": False}
    html = page(client_a, make_job(user, "vllm-batch", result), "en")
    table = html.split("vLLM settings of hf-continuous-batching")[1].split("</table>")[0]
    assert '<th scope="row">gpu_memory_utilization</th><td>0.42</td>' in table
    assert '<th scope="row">enable_prefix_caching</th><td>False</td>' in table


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_serving_page_shows_ttft_from_the_first_byte_the_clients_overhead_and_the_realised_rate(
        client_a, user, lang):
    result = result_data("serving-bench")
    engine = result["engines"][0]
    fast, slow = engine["levels"][:2]
    fast.update(ttft_first_byte_ms={"n": 2, "mean": 49.5, "median": 49.5, "p90": 50, "p99": 50},
                client_overhead_ms={"n": 2, "mean": 0.61, "median": 0.61, "p90": 0.7, "p99": 0.7},
                connect_ms=None, new_connections=0, reused_connections=8)
    fast["ttft_ms"]["median"] = 50.11
    slow.update(mode="rate", request_rate=4.0, concurrency=None, realised_request_rate=3.97, arrival_gap_cv=0.98,
                send_lag_ms={"n": 8, "mean": 1.2, "median": 1.1, "p90": 2, "p99": 3})
    html = page(client_a, make_job(user, "serving-bench", result), lang)
    header = "TTFT p50 ms (from the request's first byte)" if lang == "en" else "TTFT p50 ms（自请求首字节）"
    assert header.replace("'", "&#x27;") in html
    assert "49.5" in html and "0.61" in html and "0/8" in html
    said = html.split('data-testid="lab-statements">')[1].split("</ul>")[0]
    if lang == "en":
        assert "0.61 ms" in said and "1.2% of TTFT" in said and "reused: 8" in said
        assert "really sent 3.97 req/s" in said and "0.98" in said and "1.1 ms" in said
    else:
        assert "客户端自身开销" in said and "0.61 ms" in said and "1.2%" in said and "复用 8 次" in said
        assert "实际发出 3.97 req/s" in said and "0.98" in said
    assert "—/—" not in html
