"""Prometheus metrics and GPU telemetry: the site's /metrics counts the rows that exist and admits only a token
or an allowed address; the runner's registry renders its families and serves them on loopback; the NVML
sampler reports "unavailable" on this GPU-less host and, against a test double of NVML, returns its series.
MBU arithmetic is checked on a real (tiny) transformers model."""

from __future__ import annotations

import time
import urllib.request
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from gpu_runner.measure.nvml import (
    GpuSampler,
    bytes_read_per_token,
    bytes_read_per_token_from_shape,
    mbu,
    nvml_unavailable_reason,
)
from gpu_runner.service import prometheus as runner_metrics
from tests.support import FakeNvml


def families(text: str) -> dict[str, dict[tuple, float]]:
    out: dict[str, dict[tuple, float]] = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


# ---- site /metrics -------------------------------------------------------------------------------------


def _scrape(client, **extra) -> dict[str, dict[tuple, float]]:
    resp = client.get("/metrics", **extra)
    assert resp.status_code == 200, resp.content[:200]
    assert resp["Content-Type"].startswith("text/plain; version=")
    return families(resp.content.decode())


@pytest.mark.django_db
def test_site_metrics_count_the_rows_created(client, user, other_user):
    from labs.models import LabJob, Runner
    from practice.models import Exercise, Submission

    before = _scrape(client)
    ex = Exercise.objects.first()
    for status, queue, n in [("queued", "lab.cpu", 3), ("running", "lab.cuda", 1), ("failed", "lab.cpu", 2)]:
        for _ in range(n):
            LabJob.objects.create(user=user, lab="quant-inference", queue=queue, status=status)
    for status, verdict, n in [("done", "AC", 2), ("done", "WA", 1), ("queued", "", 4)]:
        for _ in range(n):
            Submission.objects.create(user=user, exercise=ex, status=status, verdict=verdict)
    now = timezone.now()
    live, _ = Runner.create_with_token(owner=user, name="live")
    Runner.objects.filter(pk=live.pk).update(last_seen_at=now)
    stale, _ = Runner.create_with_token(owner=user, name="stale")
    Runner.objects.filter(pk=stale.pk).update(last_seen_at=now - timedelta(hours=2))
    revoked, _ = Runner.create_with_token(owner=other_user, name="revoked")
    Runner.objects.filter(pk=revoked.pk).update(last_seen_at=now, revoked_at=now)

    after = _scrape(client)

    def delta(name: str, **labels: str) -> float:
        key = tuple(sorted(labels.items()))
        return after[name].get(key, 0) - before.get(name, {}).get(key, 0)

    assert delta("deploydojo_lab_jobs", status="queued", queue="lab.cpu") == 3
    assert delta("deploydojo_lab_jobs", status="running", queue="lab.cuda") == 1
    assert delta("deploydojo_lab_jobs", status="failed", queue="lab.cpu") == 2
    assert after["deploydojo_lab_jobs"][(("queue", "lab.vllm"), ("status", "succeeded"))] == 0  # zeros present
    assert len(after["deploydojo_lab_jobs"]) == 5 * 3  # every status x every queue
    assert delta("deploydojo_submissions", status="done", verdict="AC") == 2
    assert delta("deploydojo_submissions", status="done", verdict="WA") == 1
    assert delta("deploydojo_submissions", status="queued", verdict="") == 4
    assert delta("deploydojo_runners_online") == 1  # stale and revoked do not count
    assert delta("deploydojo_runners_registered") == 2  # revoked does not count


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="s3cret-metrics-token", METRICS_ALLOW=["127.0.0.1/32", "::1/128"])
def test_site_metrics_need_a_token_or_an_allowed_address(client):
    far = {"REMOTE_ADDR": "203.0.113.5"}
    assert client.get("/metrics", **far).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **far).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403  # a wrong token never passes
    assert "deploydojo_lab_jobs" in _scrape(client, HTTP_AUTHORIZATION="Bearer s3cret-metrics-token", **far)
    assert "deploydojo_runners_online" in _scrape(client)  # loopback, no token
    # Through a proxy on the same host REMOTE_ADDR is loopback: the address no longer admits it.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 403
    resp = client.get("/metrics", **far)
    assert resp.status_code == 403 and "METRICS_TOKEN" in resp.content.decode()  # no login redirect either
    assert client.post("/metrics").status_code == 405


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="", METRICS_ALLOW=["10.0.0.0/8"])
def test_allow_list_networks_and_no_token_configured(client):
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics").status_code == 403  # loopback is not in this list
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ", REMOTE_ADDR="192.0.2.1").status_code == 403


def test_bad_allow_list_entry_stops_the_start_with_the_variable_named():
    from django.core.exceptions import ImproperlyConfigured

    from config.settings import _check_metrics_allow

    with pytest.raises(ImproperlyConfigured, match="METRICS_ALLOW: 'localhost'"):
        _check_metrics_allow(["127.0.0.1", "localhost"])


# ---- runner metrics ------------------------------------------------------------------------------------


def test_runner_registry_renders_job_and_gpu_families():
    m = runner_metrics.build_registry(nvml=FakeNvml())
    with runner_metrics.track_job(7, "quant-inference", m) as job:
        during = families(generate_latest(m.registry).decode())
        job.outcome = "done"
    runner_metrics.job_started(8, "vllm-batch", m)
    runner_metrics.job_finished(8, "vllm-batch", "failed", 3.0, m)
    with pytest.raises(RuntimeError), runner_metrics.track_job(9, "serving-bench", m):
        raise RuntimeError("lab blew up")
    after = families(generate_latest(m.registry).decode())

    assert during["deploydojo_runner_jobs_running"][()] == 1
    assert during["deploydojo_runner_current_job"][(("job_id", "7"), ("lab", "quant-inference"))] == 1
    assert after["deploydojo_runner_jobs_running"][()] == 0
    assert "deploydojo_runner_current_job" not in after  # nothing held now
    jobs = after["deploydojo_runner_jobs_total"]
    assert jobs[(("lab", "quant-inference"), ("outcome", "done"))] == 1
    assert jobs[(("lab", "vllm-batch"), ("outcome", "failed"))] == 1
    assert jobs[(("lab", "serving-bench"), ("outcome", "error"))] == 1
    assert after["deploydojo_runner_job_duration_seconds_count"][(("lab", "vllm-batch"),)] == 1
    assert after["deploydojo_runner_gpu_telemetry_available"][()] == 1
    h200 = (("gpu", "0"), ("name", "NVIDIA H200"))
    assert after["deploydojo_runner_gpu_power_watts"][h200] == 412.5
    assert after["deploydojo_runner_gpu_utilization_percent"][h200] == 87
    assert after["deploydojo_runner_gpu_memory_used_bytes"][h200] == 6 << 30
    laptop = (("gpu", "1"), ("name", "NVIDIA GeForce RTX 4070 Laptop GPU"))
    assert laptop not in after["deploydojo_runner_gpu_power_watts"]  # not supported: left out, not zero
    assert after["deploydojo_runner_gpu_temperature_celsius"][laptop] == 55
    with pytest.raises(ValueError, match="unknown job outcome"):
        runner_metrics.job_finished(1, "x", "great", 1.0, m)


def test_runner_gpu_gauges_without_nvml_say_unavailable_here():
    m = runner_metrics.build_registry()  # the real pynvml: no driver on this machine
    fams = families(generate_latest(m.registry).decode())
    assert fams["deploydojo_runner_gpu_telemetry_available"][()] == 0
    assert "deploydojo_runner_gpu_power_watts" not in fams


def test_runner_metrics_server_is_off_unless_configured_and_serves_on_loopback(monkeypatch):
    monkeypatch.delenv(runner_metrics.PORT_ENV, raising=False)
    assert runner_metrics.start_metrics_server() is None
    monkeypatch.setenv(runner_metrics.PORT_ENV, "90000")
    with pytest.raises(ValueError, match="DEPLOYDOJO_RUNNER_METRICS_PORT='90000'"):
        runner_metrics.start_metrics_server()
    m = runner_metrics.build_registry(nvml=FakeNvml())
    server, thread = runner_metrics.start_metrics_server(port=0, metrics=m)
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
            fams = families(resp.read().decode())
        assert fams["deploydojo_runner_jobs_running"][()] == 0
        assert fams["deploydojo_runner_gpu_telemetry_available"][()] == 1
    finally:
        server.shutdown()
        server.server_close()


# ---- telemetry -----------------------------------------------------------------------------------------


def test_sampler_reports_unavailable_with_the_reason_on_this_host():
    reason = nvml_unavailable_reason()
    assert reason is not None and "NVML" in reason
    with GpuSampler(interval_ms=50) as sampler:
        time.sleep(0.1)
    out = sampler.result()
    assert out == {"status": "unavailable", "reason": out["reason"]} and "NVML did not initialise" in out["reason"]


def test_sampler_series_against_an_nvml_test_double():
    nvml = FakeNvml()
    with GpuSampler(interval_ms=10, device_index=0, nvml=nvml) as sampler:
        time.sleep(0.15)
        nvml.mem_used = 9 << 30
        time.sleep(0.05)
    out = sampler.result()
    assert out["status"] == "ok" and out["device"]["name"] == "NVIDIA H200"
    assert out["device"]["driver"] == "580.65.06" and out["device"]["power_limit_w"] == 700.0
    s = out["series"]
    n = len(s["t_s"])
    assert n >= 5 and all(len(s[k]) == n for k in ("util_pct", "mem_used_bytes", "power_w", "temperature_c"))
    assert s["t_s"] == sorted(s["t_s"]) and 0 <= s["t_s"][0] < 0.01  # the first sample at the start (one interval)
    assert set(s["power_w"]) == {412.5} and set(s["util_pct"]) == {87}
    assert s["mem_used_bytes"][-1] == 9 << 30 and out["summary"]["mem_used_bytes_max"] == 9 << 30


def test_sampler_stays_bounded_and_spans_the_whole_job():
    with GpuSampler(interval_ms=5, max_samples=8, nvml=FakeNvml()) as sampler:
        time.sleep(0.3)
    out = sampler.result()
    assert out["samples"] <= 8 and out["interval_ms"] > 5
    assert out["series"]["t_s"][-1] >= 0.25


def test_sampler_without_power_support_records_none():
    with GpuSampler(interval_ms=10, device_index=1, nvml=FakeNvml()) as sampler:
        time.sleep(0.05)
    out = sampler.result()
    assert set(out["series"]["power_w"]) == {None} and out["summary"]["power_w_mean"] is None


def test_bytes_read_per_token_leaves_out_an_untied_input_embedding():
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    def build(tied: bool) -> LlamaForCausalLM:
        cfg = LlamaConfig(vocab_size=1000, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                          num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=tied)
        return LlamaForCausalLM(cfg).to(torch.float16)

    untied, tied = build(False), build(True)
    params = sum(p.numel() for p in untied.parameters())
    table = 1000 * 64
    assert bytes_read_per_token(untied) == 2 * (params - table + 64)  # all but the gathered rows
    tied_params = sum(p.numel() for p in tied.parameters())  # counted once by parameters()
    assert bytes_read_per_token(tied) == 2 * tied_params  # the head reads the whole table for logits
    assert bytes_read_per_token_from_shape(params_total=params, vocab=1000, hidden=64, bytes_per_param=2,
                                           tied=False) == bytes_read_per_token(untied)


def test_mbu_from_decode_speed_and_bandwidth():
    # 3 GB read per step, 50 tok/s at batch 1 on a 300 GB/s part: 150 GB/s achieved, MBU 0.5, ceiling 100 tok/s.
    out = mbu(50.0, 3_000_000_000, 300.0)
    assert out["mbu"] == pytest.approx(0.5) and out["decode_ceiling_tokens_per_s"] == pytest.approx(100.0)
    at4 = mbu(200.0, 3_000_000_000, 300.0, batch=4)  # 4 sequences share each weight read
    assert at4["mbu"] == pytest.approx(0.5) and at4["decode_ceiling_tokens_per_s"] == pytest.approx(400.0)
    with pytest.raises(ValueError):
        mbu(50.0, 0, 300.0)
