"""The serving-benchmark lab: its parameters refuse bad input naming the field, its server runs in a
process group that dies with the job, a server that cannot start ends the job with its log tail, and a
real `transformers serve` on the fixture model is benchmarked end to end on the CPU."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import httpx
import jsonschema
import pytest
from fake_openai_server import running

from gpu_runner.errors import LabCancelled
from gpu_runner.labs import LabContext, serving_bench
from labcontract import ContractError
from labcontract.labs.serving_bench import SERVING_BENCH_RESULT, validate_params

CPU_CAPABILITIES = {"cpu": {"model": "test", "cores": 2}, "ram_bytes": 0, "cuda_devices": [], "versions": {},
                    "queues": ["lab.cpu"]}


def _error(params: dict) -> ContractError:
    with pytest.raises(ContractError) as info:
        validate_params(params)
    return info.value


# ---- bad input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -5, "fast", True, None, float("nan")])
def test_an_slo_that_is_not_a_positive_number_is_refused_naming_it(value):
    err = _error({"slo": {"tpot_ms": value}})
    assert err.field == "slo/tpot_ms"
    assert "slo.tpot_ms must be a positive number of milliseconds" in str(err)


def test_an_unknown_slo_is_refused_naming_it():
    assert _error({"slo": {"ttft_s": 1}}).field == "slo"


def test_rates_that_would_send_more_than_the_request_cap_are_refused_naming_the_rate():
    err = _error({"request_rates": [1, 20], "duration_s": 10, "max_requests_per_level": 64})
    assert err.field == "request_rates/1"
    assert "200 requests" in str(err) and "max_requests_per_level = 64" in str(err)
    # At the cap, and "inf" (which sends the cap at once), are fine.
    assert validate_params({"request_rates": [6.4, "inf"], "duration_s": 10, "max_requests_per_level": 64})


@pytest.mark.parametrize("url", ["http://10.0.0.5:8000", "http://example.com:8000", "https://8.8.8.8",
                                 "ftp://127.0.0.1:21", "127.0.0.1:8000", "http://127.0.0.1:notaport"])
def test_a_base_url_that_is_not_loopback_is_refused(url):
    err = _error({"base_url": url})
    assert err.field == "base_url" and "loopback" in str(err)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:8000/", "http://[::1]:9000",
                                 "http://127.0.0.2:8000"])
def test_loopback_base_urls_are_accepted(url):
    assert validate_params({"base_url": url})["base_url"] == url


def test_a_sweep_needs_a_rate_or_a_concurrency_and_defaults_are_filled():
    assert _error({"request_rates": [], "concurrency": []}).field == "request_rates"
    assert _error({"concurrency": [0]}).field == "concurrency/0"
    filled = validate_params({})
    assert filled["model"] == "smollm2-135m" and filled["slo_target"] == 0.9 and filled["concurrency"] == [1, 2, 4]


def test_the_lab_refuses_bad_params_before_starting_anything():
    with pytest.raises(ContractError):
        serving_bench.run({"slo": {"ttft_ms": -1}}, LabContext(device="cpu", capabilities=CPU_CAPABILITIES))


# ---- the server's process group ------------------------------------------------------------------------------

SPAWNS_A_GRANDCHILD = [sys.executable, "-c", "import subprocess, time; subprocess.Popen(['sleep', '300']); "
                                             "print('up and not listening', flush=True); time.sleep(300)"]


def _wait_for(predicate, timeout_s: float = 10.0) -> None:
    end = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def test_stopping_a_server_kills_its_whole_process_group_children_included():
    server = serving_bench.ServerProcess(SPAWNS_A_GRANDCHILD, base_url="http://127.0.0.1:9")
    _wait_for(lambda: "up and not listening" in server.tail.text())
    assert serving_bench.group_alive(server.pgid)
    server.stop(grace_s=2)
    assert not serving_bench.group_alive(server.pgid)


def test_a_server_dies_with_the_runner_that_started_it_even_when_the_runner_is_killed_outright(tmp_path):
    """The server has its own session (so a signal to the runner's group misses it): a runner killed with SIGKILL
    must not leave it serving (an orphaned `transformers serve` grew to 14 GB here before this)."""
    import signal
    import subprocess

    pid_file = tmp_path / "server.pid"
    runner = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from gpu_runner.process.servers import ServerProcess\n"
        f"s = ServerProcess([sys.executable, '-c', 'import time; time.sleep(300)'], base_url='http://127.0.0.1:9')\n"
        f"open({str(pid_file)!r}, 'w').write(str(s.pgid)); time.sleep(300)")], cwd=Path(__file__).parent.parent)
    _wait_for(lambda: pid_file.exists() and pid_file.read_text())
    pgid = int(pid_file.read_text())
    assert serving_bench.group_alive(pgid)
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    _wait_for(lambda: not serving_bench.group_alive(pgid))


def test_a_server_that_never_answers_is_stopped_and_reported_with_its_log_tail():
    server = serving_bench.ServerProcess(SPAWNS_A_GRANDCHILD, base_url="http://127.0.0.1:9")
    with pytest.raises(serving_bench.ServerStartFailed) as info:
        server.wait_ready(timeout_s=1.5)
    assert "was not ready within 2 s (/v1/models never answered 200)" in str(info.value)
    assert "up and not listening" in str(info.value)
    assert not serving_bench.group_alive(server.pgid)


# Answers /health, and /v1/models with a 500, as `transformers serve` 5.17 does on an empty hub cache.
HUB_CACHE_ONLY_SERVER = (
    "import http.server, sys\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        self.send_response(200 if self.path == '/health' else 500)\n"
    "        self.end_headers()\n"
    "        self.wfile.write(b'{}')\n"
    "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n")


def test_a_server_started_for_one_model_is_ready_when_its_health_answers_whatever_its_model_list_says():
    port = serving_bench.free_port()
    server = serving_bench.ServerProcess([sys.executable, "-c", HUB_CACHE_ONLY_SERVER, str(port)],
                                         base_url=f"http://127.0.0.1:{port}")
    try:
        assert server.wait_ready(timeout_s=60, model="/runner/models/fixture") == {
            "id": "/runner/models/fixture", "ready": "/health"}
        with pytest.raises(serving_bench.ServerStartFailed, match=r"/v1/models never answered 200"):
            server.wait_ready(timeout_s=1.5)  # without a model, only a model list makes it ready
    finally:
        server.stop(grace_s=2)


def test_a_server_that_exits_is_reported_with_its_exit_code_and_output():
    cmd = [sys.executable, "-c", "import sys; print('cannot load weights', flush=True); sys.exit(3)"]
    server = serving_bench.ServerProcess(cmd, base_url="http://127.0.0.1:9")
    with pytest.raises(serving_bench.ServerStartFailed) as info:
        server.wait_ready(timeout_s=30)
    assert "exited with code 3" in str(info.value) and "cannot load weights" in str(info.value)


def test_continuous_batching_on_a_cpu_gets_a_kv_cache_sized_for_the_job_not_for_the_hosts_ram():
    # Unsized, transformers-cb takes 60 % of the host's free RAM for its cache on a CPU (14 GB on this 23 GB
    # machine for the 2-layer fixture, a 34 s warm-up); on a GPU the engine sizes it from free GPU memory.
    def command(device: str, **changes) -> list[str]:
        return serving_bench.server_command("transformers-cb", "/m", 8000, device, validate_params(changes))

    def blocks(cmd: list[str]) -> int:
        return int(cmd[cmd.index("--cb-num-blocks") + 1])

    assert blocks(command("cpu")) == 16  # concurrency 1, 2, 4 of 32 + 64 + 16 tokens: 8 blocks, 16 at least
    assert blocks(command("cpu", concurrency=[64], prompt_tokens=400, output_tokens=100)) == 2 * 64 * 3
    # Rate levels without a cap can have every request of a level in flight at once.
    assert blocks(command("cpu", request_rates=["inf"], concurrency=[], max_requests_per_level=40)) == 80
    assert blocks(command("cpu", request_rates=["inf"], concurrency=[], max_requests_per_level=40,
                          max_concurrency=10)) == 20
    assert "--cb-num-blocks" not in command("cuda")
    plain = serving_bench.server_command("transformers", "/m", 8000, "cpu", validate_params({}))
    assert "--cb-num-blocks" not in plain and "--continuous-batching" not in plain


def test_vllm_is_unsupported_on_a_cpu_job_with_the_reason_and_nothing_is_started():
    result = serving_bench.run({"engines": ["vllm"]}, LabContext(device="cpu", capabilities=CPU_CAPABILITIES))
    assert result["engines"] == [{"engine": "vllm", "status": "unsupported",
                                  "reason": "vLLM's server runs on a CUDA GPU; this job runs on the CPU"}]
    jsonschema.validate(result, SERVING_BENCH_RESULT)


# ---- against a running server: the fake one (base_url), then transformers serve ---------------------------------


def _check_charts(entry: dict, definitions: dict) -> None:
    for name, chart in entry["charts"].items():
        assert chart["series"], name
        assert all(key in definitions for key in chart["definitions"]), name


def test_a_running_loopback_server_is_benchmarked_with_charts_that_name_their_definitions():
    params = {"base_url": None, "request_rates": [2.0, 8.0], "concurrency": [1, 2], "duration_s": 1.0,
              "max_requests_per_level": 8, "output_tokens": 6, "slo": {"ttft_ms": 500, "tpot_ms": 100},
              "warmup_requests": 1}
    with running(ttft_ms=100, itl_ms=20, capacity=4) as base:
        params["base_url"] = base
        result = serving_bench.run(params, LabContext(device="cpu", capabilities=CPU_CAPABILITIES))
    jsonschema.validate(result, SERVING_BENCH_RESULT)
    (entry,) = result["engines"]
    assert entry["engine"] == "external" and entry["status"] == "ok"
    assert entry["server"]["base_url"] == base and entry["server"]["served_model"] == "fake-model"
    assert [(lv["mode"], lv["request_rate"] or lv["concurrency"]) for lv in entry["levels"]] == \
        [("rate", 2.0), ("rate", 8.0), ("concurrency", 1), ("concurrency", 2)]
    assert all(lv["failed"] == 0 and lv["completed"] > 0 for lv in entry["levels"])
    assert set(entry["charts"]) == {"latency_vs_rate", "output_throughput_vs_rate", "goodput_vs_rate",
                                    "latency_vs_concurrency", "output_throughput_vs_concurrency"}
    slo_line = next(s for s in entry["charts"]["goodput_vs_rate"]["series"] if s["name"].startswith("SLO line"))
    assert slo_line["points"] == [[2.0, 0.9 * 2.0], [8.0, 0.9 * 8.0]]
    _check_charts(entry, result["definitions"])
    assert entry["max_rate_meeting_slo"] == 8.0 and entry["max_concurrency_meeting_slo"] == 2
    assert "TTFT" in result["definitions"]["ttft"] and "vLLM" in result["definitions"]["tpot"]


def test_the_site_cancelling_the_job_stops_the_sweep():
    with running(ttft_ms=50, itl_ms=10, capacity=4) as base:
        ctx = LabContext(device="cpu", capabilities=CPU_CAPABILITIES, progress=lambda p, s: "level" in s)
        with pytest.raises(LabCancelled):
            serving_bench.run({"base_url": base, "concurrency": [1, 2], "max_requests_per_level": 2}, ctx)


def test_a_transformers_server_that_cannot_load_its_model_ends_the_job_with_its_log_tail(tmp_path):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    source = serving_bench.serving_fixture_dir()
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        shutil.copy(source / name, broken / name)
    (broken / "config.json").write_text(json.dumps({"model_type": "qwen2", "architectures": ["NoSuchLM"]}))
    ctx = LabContext(device="cpu", capabilities=CPU_CAPABILITIES)
    with pytest.raises(serving_bench.ServerStartFailed) as info:
        serving_bench.run({"model": str(broken), "engines": ["transformers"], "concurrency": [1],
                           "server_timeout_s": 120}, ctx)
    message = str(info.value)
    assert "exited with code" in message and "Traceback" in message
    assert "Traceback" in ctx.log.text()  # the server's output is in the job's log too
    # The GPU check keeps what a lab measured: there a failed server is the engine's error entry, not the end.
    kept = serving_bench.run({"model": str(broken), "engines": ["transformers", "vllm"], "concurrency": [1],
                              "server_timeout_s": 120},
                             LabContext(device="cpu", capabilities=CPU_CAPABILITIES, keep_measured=True))
    (failed, vllm) = kept["engines"]
    assert failed["status"] == "error" and "exited with code" in failed["error"] and vllm["status"] == "unsupported"
    jsonschema.validate(kept, SERVING_BENCH_RESULT)


@pytest.mark.slow
def test_transformers_serve_on_the_fixture_plain_and_continuous_batching_end_to_end_on_cpu(monkeypatch):
    monkeypatch.setenv("DEPLOYDOJO_TORCH_THREADS", "1")  # the runner's pinned thread count reaches the server
    params = {"engines": ["transformers", "transformers-cb", "vllm"], "concurrency": [1, 2],
              "request_rates": ["inf"], "max_requests_per_level": 4, "duration_s": 600, "output_tokens": 8,
              "prompt_tokens": 16,
              "slo": {"ttft_ms": 60000}}
    stages = []
    ctx = LabContext(device="cpu", capabilities=CPU_CAPABILITIES, progress=lambda p, s: stages.append((p, s)) and False)
    result = serving_bench.run(params, ctx)
    jsonschema.validate(result, SERVING_BENCH_RESULT)
    plain, cb, vllm = result["engines"]
    assert vllm["status"] == "unsupported"
    for entry, flag in ((plain, False), (cb, True)):
        assert entry["status"] == "ok", entry
        assert ("--continuous-batching" in entry["server"]["command"]) is flag
        assert ("--cb-num-blocks" in entry["server"]["command"]) is flag  # a cache for the job, not the host's RAM
        assert entry["server"]["torch_threads"] == 1
        for level in entry["levels"]:
            assert level["completed"] == 4 and level["failed"] == 0, level["errors"]
            assert level["total_output_tokens"] == 4 * 8  # ignore_eos: every request makes exactly 8 tokens
            assert level["token_count_source"] == "usage"
            assert level["total_input_tokens"] >= 4 * 16  # the prompt plus the chat template
            assert 0 < level["ttft_ms"]["median"] < level["e2el_ms"]["median"]
            assert level["tpot_ms"]["n"] == 4 and level["tpot_ms"]["median"] > 0
        _check_charts(entry, result["definitions"])
        with pytest.raises(httpx.ConnectError):  # the server is gone with the job
            httpx.get(entry["server"]["base_url"] + "/v1/models", timeout=2, trust_env=False)
    assert stages[-1] == (100, "done")
