"""Serving-benchmark lab: start an OpenAI-compatible server on loopback for the job (`transformers serve`,
with or without continuous batching, or `vllm serve` on a CUDA host that has vLLM), drive it with the
load generator over a sweep of request rates and/or concurrency levels, stop it, and report what a
deployment engineer reads off such a sweep: TTFT/TPOT/ITL/E2EL, throughput, goodput against the
learner's SLOs, where output tokens/s saturates and the highest load that still meets the SLOs.

Figures follow vLLM `bench serve` (gpu_runner.measure.loadgen.DEFINITIONS, stored with every result). The
server runs in its own process group and is killed with it, so nothing outlives the job.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from gpu_runner.errors import LabCancelled, Unsupported
from gpu_runner.labs import LabContext
from gpu_runner.measure import loadgen
from gpu_runner.process.servers import ServerProcess, ServerStartFailed, free_port, group_alive  # noqa: F401
from labcontract.labs import serving_bench as contract

PREPARE = "gpu_runner.labs.serving_bench:prepare"
SERVING_FIXTURE_VERSION = 1
DISTINCT_PROMPTS = 64
TORCH_DTYPES = {"auto": "auto", "fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}
CHATML_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                   "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
ENGINE_NOTES = {
    "transformers": "`transformers serve` without --continuous-batching runs one generate() at a time on one "
                    "inference thread: concurrent requests wait in line, so output tokens/s stays near that "
                    "of a single request.",
    "transformers-cb": "`transformers serve --continuous-batching`: requests join and leave a running batch "
                       "(paged KV cache), so output tokens/s rises with concurrency until compute saturates.",
    "vllm": "`vllm serve`: continuous batching with PagedAttention; prefix caching is off so repeated prompt "
            "prefixes are measured with their prefill.",
}


# ---- which engines this runner can start ----------------------------------------------------------------


def engine_reason(engine: str, device: str) -> str | None:
    """Why this runner cannot start the engine's server, or None when it can."""
    if engine == "vllm":
        if device != "cuda":
            return "vLLM's server runs on a CUDA GPU; this job runs on the CPU"
        if importlib.util.find_spec("vllm") is None:
            return "vLLM is not installed on this runner (it needs a CUDA GPU; gpu_runner/requirements-cuda-vllm.txt)"
        return None
    missing = [m for m in ("fastapi", "uvicorn", "openai", "pydantic") if importlib.util.find_spec(m) is None]
    if missing:
        return (f"`transformers serve` needs {', '.join(missing)} (transformers[serving]); install "
                "gpu_runner/requirements.txt")
    return None


def server_command(engine: str, model_dir: str, port: int, device: str, params: dict[str, Any]) -> list[str]:
    dtype = TORCH_DTYPES[params["dtype"]]
    if engine == "vllm":
        max_len = params["prompt_tokens"] + params["output_tokens"] + 64  # + chat template
        return [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model_dir,
                "--host", "127.0.0.1", "--port", str(port), "--dtype", dtype, "--seed", str(params["seed"]),
                "--max-model-len", str(max_len), "--no-enable-prefix-caching",
                "--gpu-memory-utilization", f"{vllm_memory_fraction(Path(model_dir)):.2f}"]
    cmd = [sys.executable, "-m", "transformers.cli.transformers", "serve", model_dir, "--host", "127.0.0.1",
           "--port", str(port), "--device", "cuda:0" if device == "cuda" else "cpu", "--dtype", dtype,
           "--log-level", "warning"]
    if engine == "transformers-cb":
        cmd.append("--continuous-batching")
        if device != "cuda":
            cmd += ["--cb-num-blocks", str(cpu_cache_blocks(params))]
    return cmd


CB_PAGE_TOKENS = 256  # transformers' ContinuousBatchingConfig.page_size: the tokens a KV-cache block holds per layer
TEMPLATE_TOKENS = 64  # the chat template around a prompt (the allowance vLLM's --max-model-len gets above)


def cpu_cache_blocks(params: dict[str, Any]) -> int:
    """KV-cache blocks for `transformers serve --continuous-batching` on a CPU. Left to itself it sizes the paged
    cache from free device memory, which on a CPU is the host's RAM: 60 % of what is free, allocated at the first
    request (seen here: a 34 s warm-up for a 2-layer fixture model, most of the machine's memory taken). On a CPU
    the cache holds twice what the job's most requests in flight need instead; on a GPU the engine sizes it, as
    vLLM does."""
    in_flight = max([*params["concurrency"], params["max_concurrency"] or 0,
                     params["max_requests_per_level"] if params["request_rates"] and not params["max_concurrency"]
                     else 0])
    per_request = -(-(params["prompt_tokens"] + TEMPLATE_TOKENS + params["output_tokens"]) // CB_PAGE_TOKENS)
    return max(16, 2 * in_flight * per_request)


def vllm_memory_fraction(model_dir: Path) -> float:
    """vLLM's share of the GPU, from what is free now (gpu_runner.measure.gpu_memory; Unsupported when the model cannot
    fit)."""
    from gpu_runner.measure import gpu_memory

    free, total = gpu_memory.free_memory()
    return gpu_memory.choose_fraction(requested=None, free=free, total=total,
                                      weight_bytes=gpu_memory.model_weight_bytes(model_dir))


def request_extra(engine: str | None, params: dict[str, Any]) -> dict[str, Any]:
    """Fields that make every request produce exactly output_tokens when ignore_eos is set."""
    if not params["ignore_eos"]:
        return {}
    n = params["output_tokens"]
    if engine in ("transformers", "transformers-cb"):
        # No eos_token_id in the request's config: transformers' CB disables EOS, generate() runs to min_new_tokens.
        return {"generation_config": json.dumps({"max_new_tokens": n, "min_new_tokens": n, "do_sample": False})}
    return {"ignore_eos": True}


def server_threads() -> int | None:
    """The runner's pinned CPU thread count (DEPLOYDOJO_TORCH_THREADS), for the server's torch too: an
    oversubscribed CPU makes torch's threads spin against each other (seen here: 10x slower decode)."""
    from gpu_runner.checkpoints.loading import THREADS_ENV

    wanted = os.environ.get(THREADS_ENV, "").strip()
    return int(wanted) if wanted.isdigit() and int(wanted) > 0 else None


@contextlib.contextmanager
def started_server(engine: str, model_dir: str, ctx: LabContext, params: dict[str, Any],
                   percent: float) -> Iterator[dict[str, Any]]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    cmd = server_command(engine, model_dir, port, ctx.device, params)
    threads = server_threads()
    t0 = time.perf_counter()
    env = {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)} if threads else {}
    server = ServerProcess(cmd, base_url=base_url, job_log=ctx.log, env=env)
    try:
        model = server.wait_ready(params["server_timeout_s"],
                                  cancelled=lambda: ctx.report(percent, f"{engine}: starting the server"),
                                  model=model_dir)
        yield {"base_url": base_url, "served_model": model.get("id"), "startup_s": time.perf_counter() - t0,
               "ready_by": model.get("ready"),
               "command": cmd[1:], "torch_threads": threads or "torch's default", "process": server}
    finally:
        server.stop()


# ---- the lab -----------------------------------------------------------------------------------------------


def run(params: dict[str, Any], ctx: LabContext) -> dict[str, Any]:
    params = contract.validate_params(params)
    levels = loadgen.sweep_levels(params["request_rates"], params["concurrency"])
    external = params["base_url"] is not None
    engines = ["external"] if external else [e for e in contract.SERVING_ENGINES if e in params["engines"]]
    runnable = [e for e in engines if external or engine_reason(e, ctx.device) is None]
    prepared: dict[str, Any] = {"prompts": [], "prompt_source": None}
    if runnable:  # nothing to load when every engine is unsupported here
        prepared = ctx.run_child(PREPARE, {"model": params["model"], "prompt_tokens": params["prompt_tokens"],
                                           "api": params["api"], "distinct": DISTINCT_PROMPTS},
                                 start=0, end=5, stage="preparing the model and prompts")
    entries = []
    for i, engine in enumerate(engines):
        reason = None if external else engine_reason(engine, ctx.device)
        if reason:
            entries.append({"engine": engine, "status": "unsupported", "reason": reason})
            continue
        if ctx.cancelled is not None:
            entries.append(ctx.skipped("engine", engine))
            continue
        span = (5 + 95 * i / len(engines), 5 + 95 * (i + 1) / len(engines))
        try:
            entries.append(_measure_engine(engine, prepared, params, levels, ctx, span))
        except Unsupported as exc:  # e.g. too little free GPU memory for vLLM: the other engines still run
            entries.append({"engine": engine, "status": "unsupported", "reason": str(exc)})
        except LabCancelled as exc:  # kept (bench/gpu_check.py) or raised on (the worker)
            entries.append(ctx.kept_cancellation(exc, "engine", engine))
        except ServerStartFailed as exc:  # ends a worker's job with the log; the GPU check keeps the other engines
            if not ctx.keep_measured:
                raise
            text = str(exc)  # what happened (first line) and the end of the server's output
            entries.append({"engine": engine, "status": "error",
                            "error": text if len(text) <= 3000 else f"{text[:300]}\n...\n{text[-2700:]}"})
    ctx.report(100, "done")
    return {"lab": contract.LAB, "model": params["model"], "device": ctx.device,
            "workload": _workload(params, prepared), "slo": params["slo"], "slo_target": params["slo_target"],
            "definitions": dict(loadgen.DEFINITIONS), "engines": entries}


def _workload(params: dict[str, Any], prepared: dict[str, Any]) -> dict[str, Any]:
    keys = ("api", "prompt_tokens", "output_tokens", "ignore_eos", "seed", "duration_s", "max_requests_per_level",
            "request_rates", "concurrency", "max_concurrency", "warmup_requests")
    return {**{k: params[k] for k in keys}, "distinct_prompts": len(prepared["prompts"]),
            "prompt_source": prepared["prompt_source"]}


def _measure_engine(engine: str, prepared: dict[str, Any], params: dict[str, Any], levels: list[dict[str, Any]],
                    ctx: LabContext, span: tuple[float, float]) -> dict[str, Any]:
    start, end = span
    ctx.report(start, f"{engine}: starting the server")
    with contextlib.ExitStack() as stack:
        if engine == "external":
            server = {"base_url": params["base_url"].rstrip("/"), "served_model": None, "startup_s": None,
                      "command": None, "process": None}
            server["served_model"] = _probe_models(server["base_url"])
        else:
            server = stack.enter_context(started_server(engine, prepared["model_dir"], ctx, params, start))
        path = "/v1/chat/completions" if params["api"] == "chat" else "/v1/completions"
        workload = loadgen.Workload(url=server["base_url"] + path, model=server["served_model"],
                                    prompts=prepared["prompts"], max_tokens=params["output_tokens"], api=params["api"],
                                    extra_body=request_extra(engine if engine != "external" else None, params),
                                    request_timeout_s=params["request_timeout_s"])
        process = server["process"]

        def on_level(i: int, level: dict[str, Any]) -> None:
            if process is not None and not process.alive():
                raise ServerStartFailed(f"the {engine} server died during the sweep.\nlast output:\n"
                                        f"{process.tail.text()}")
            ctx.report(start + (end - start) * (i + 1) / len(levels), f"{engine}: level {i + 1}/{len(levels)}")

        ctx.report(start + 1, f"{engine}: warm-up")
        try:
            raw = loadgen.run_sweep(workload, levels, duration_s=params["duration_s"],
                                    max_requests=params["max_requests_per_level"], seed=params["seed"],
                                    max_concurrency=params["max_concurrency"],
                                    warmup_requests=params["warmup_requests"],
                                    warmup_timeout_s=params["server_timeout_s"], on_level=on_level)
        except RuntimeError as exc:  # the warm-up failed: the server's own output says why
            if process is None or isinstance(exc, ServerStartFailed):
                raise
            raise ServerStartFailed(f"{engine}: {exc}\nlast server output:\n{process.tail.text()}") from None
    summaries = [loadgen.summarize(level, params["slo"]) for level in raw]
    return _engine_entry(engine, server, summaries, params)


def _probe_models(base_url: str) -> str | None:
    import httpx

    try:
        resp = httpx.get(f"{base_url}/v1/models", timeout=5.0, trust_env=False)
        resp.raise_for_status()
        data = resp.json().get("data") or []
    except (httpx.HTTPError, ValueError) as exc:
        raise ServerStartFailed(f"no OpenAI-compatible server answers {base_url}/v1/models: {exc}") from None
    return data[0].get("id") if data else None


def _engine_entry(engine: str, server: dict[str, Any], levels: list[dict[str, Any]],
                  params: dict[str, Any]) -> dict[str, Any]:
    rates = [lv for lv in levels if lv["mode"] == "rate"]
    concs = [lv for lv in levels if lv["mode"] == "concurrency"]
    threshold, target = params["saturation_threshold"], params["slo_target"]
    saturation = {}
    if rates:
        saturation["rate"] = loadgen.saturation(rates, threshold)
    if concs:
        saturation["concurrency"] = loadgen.saturation(concs, threshold)
    max_conc = loadgen.max_meeting_slo(concs, target) if params["slo"] else None
    notes = [ENGINE_NOTES[engine]] if engine in ENGINE_NOTES else []
    if any(lv["failed"] for lv in levels):
        notes.append("some requests failed; each level lists its first distinct errors")
    return {"engine": engine, "status": "ok",
            "server": {k: v for k, v in server.items() if k != "process"},
            "levels": levels, "saturation": saturation,
            "max_rate_meeting_slo": loadgen.max_meeting_slo(rates, target) if params["slo"] else None,
            "max_concurrency_meeting_slo": int(max_conc) if max_conc is not None else None,
            "charts": charts(levels, params["slo"], target, saturation), "notes": notes}


# ---- chart series the site draws -----------------------------------------------------------------------------


def _points(levels: list[dict[str, Any]], x: Callable[[dict[str, Any]], float],
            y: Callable[[dict[str, Any]], float | None]) -> list[list[float]]:
    return [[x(lv), v] for lv in levels if (v := y(lv)) is not None]


def _stat(name: str, key: str) -> Callable[[dict[str, Any]], float | None]:
    return lambda lv: lv[name][key] if lv[name] else None


def charts(levels: list[dict[str, Any]], slo: dict[str, float], target: float,
           saturation: dict[str, Any]) -> dict[str, Any]:
    """Series per chart; `definitions` names the keys of result.definitions each chart follows."""
    rates = sorted((lv for lv in levels if lv["mode"] == "rate" and lv["request_rate"] != loadgen.INF),
                   key=loadgen.offered_load)
    concs = sorted((lv for lv in levels if lv["mode"] == "concurrency"), key=loadgen.offered_load)
    out: dict[str, Any] = {}
    latency = [("TTFT p50", _stat("ttft_ms", "median")), ("TTFT p99", _stat("ttft_ms", "p99")),
               ("TPOT p50", _stat("tpot_ms", "median")), ("TPOT p99", _stat("tpot_ms", "p99"))]
    for name, group, x, xlabel in (("rate", rates, loadgen.offered_load, "offered request rate (req/s)"),
                                   ("concurrency", concs, loadgen.offered_load, "concurrency (requests in flight)")):
        if not group:
            continue
        out[f"latency_vs_{name}"] = {
            "title": f"TTFT p50/p99 and TPOT against {name}", "x": xlabel, "y": "ms",
            "definition": "ttft, tpot", "definitions": ["ttft", "tpot", "statistics"],
            "series": [{"name": label, "points": _points(group, x, fn)} for label, fn in latency]}
        out[f"output_throughput_vs_{name}"] = {
            "title": f"output tokens/s against {name}", "x": xlabel, "y": "output tokens/s",
            "definition": "output_throughput", "definitions": ["output_throughput", "output_tokens", "saturation"],
            "series": [{"name": "output tokens/s", "points": _points(group, x, lambda lv: lv["output_throughput"])}],
            "saturation": saturation.get(name)}
    if rates and slo:
        out["goodput_vs_rate"] = {
            "title": "goodput against request rate", "x": "offered request rate (req/s)", "y": "req/s",
            "definition": "goodput", "definitions": ["goodput", "slo_attainment", "max_meeting_slo"],
            "slo": slo, "slo_target": target,
            "series": [
                {"name": "goodput", "points": _points(rates, loadgen.offered_load, lambda lv: lv["goodput"])},
                {"name": "request throughput",
                 "points": _points(rates, loadgen.offered_load, lambda lv: lv["request_throughput"])},
                # A level whose goodput sits on or above this line met the attainment target.
                {"name": f"SLO line: {target:.0%} of the offered rate",
                 "points": [[loadgen.offered_load(lv), target * loadgen.offered_load(lv)] for lv in rates]},
            ]}
    return out


# ---- child process: the model directory the server loads, and the prompts ------------------------------------


def prepare(spec: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    """Runs in a fresh process: resolve the model directory (a tokenizer-carrying copy for the fixture) and
    build `distinct` prompts of prompt_tokens tokens each with the model's own tokenizer."""
    from gpu_runner.checkpoints import fixture

    report(0.0, "model")
    if spec["model"] == fixture.FIXTURE_NAME:
        model_dir = serving_fixture_dir()
    else:
        from gpu_runner.checkpoints.loading import model_path

        model_dir = model_path(spec["model"])
    tok = DirTokenizer(model_dir)
    if spec["api"] == "chat" and not tok.has_chat_template:
        raise Unsupported(f"model {spec['model']!r} has no chat template; choose api 'completions'")
    report(0.5, "prompts")
    prompts = make_prompts(tok, spec["prompt_tokens"], spec["distinct"])
    return {"model_dir": str(model_dir), "prompts": prompts,
            "prompt_source": f"gpu_runner.labs.texts, cut to {spec['prompt_tokens']} tokens by the model's tokenizer "
                             "(the chat template adds a few more: input tokens come from the server's usage)"}


class DirTokenizer:
    """The tokenizer a server will load from a model directory, read with the `tokenizers` library (fast: no
    torch import) when the directory has tokenizer.json, else through transformers."""

    def __init__(self, model_dir: Path):
        config_file = model_dir / "tokenizer_config.json"
        config = json.loads(config_file.read_text()) if config_file.is_file() else {}
        self.has_chat_template = bool(config.get("chat_template")) or any(
            (model_dir / name).is_file() for name in ("chat_template.jinja", "chat_template.json"))
        if (model_dir / "tokenizer.json").is_file():
            from tokenizers import Tokenizer

            fast = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
            self._encode = lambda text: fast.encode(text, add_special_tokens=False).ids
            self._decode = fast.decode
            return
        try:
            from transformers import AutoTokenizer

            slow = AutoTokenizer.from_pretrained(str(model_dir))
        except (OSError, ValueError) as exc:
            raise Unsupported(f"{model_dir} has no tokenizer a server can load: {exc}") from None
        self.has_chat_template = self.has_chat_template or bool(getattr(slow, "chat_template", None))
        self._encode = lambda text: slow.encode(text, add_special_tokens=False)
        self._decode = slow.decode

    def encode(self, text: str) -> list[int]:
        return list(self._encode(text))

    def decode(self, ids: list[int]) -> str:
        return self._decode(ids)


def make_prompts(tok: DirTokenizer, length: int, distinct: int) -> list[str]:
    """`distinct` prompts of `length` tokens: a request number first (so no two share a prefix), then text."""
    from gpu_runner.labs.texts import DEFAULT_PROMPT, QUALITY_TEXT, tokens_of_length

    body = tok.encode(" " + DEFAULT_PROMPT + " " + QUALITY_TEXT)
    prompts = []
    for i in range(distinct):
        head = tok.encode(f"Request {i}:")
        ids = (head + tokens_of_length(body[i % len(body):] + body, max(length - len(head), 1)))[:length]
        prompts.append(tok.decode(ids))
    return prompts


def serving_fixture_dir() -> Path:
    """The fixture model with its tokenizer in Hugging Face format and a ChatML template (servers load
    tokenizers from the model directory; the fixture's own is tiktoken). Weights are symlinks."""

    from gpu_runner.checkpoints import fixture
    from gpu_runner.process.cache import build_once

    source = fixture.fixture_dir()
    target = fixture.cache_root() / f"fixture-serving-v{fixture.FIXTURE_VERSION}.{SERVING_FIXTURE_VERSION}"
    return build_once(target, lambda tmp: _build_serving_fixture(source, tmp), marker="tokenizer.json",
                      name="fixture-serving")[0]


def _build_serving_fixture(source: Path, tmp: Path) -> None:
    """The tokenizer (tokenizer.json, the marker) and symlinks to the fixture's weights, written into tmp."""
    from transformers import PreTrainedTokenizerFast
    from transformers.convert_slow_tokenizer import TikTokenConverter

    from gpu_runner.checkpoints import fixture

    ranks = tmp / "fixture.tiktoken"
    with open(fixture.qwen_tiktoken_path(), "rb") as src, open(ranks, "wb") as dst:
        for line in src:  # sorted by rank: the fixture's table is the first FIXTURE_RANKS lines
            if int(line.split()[1]) >= fixture.FIXTURE_RANKS:
                break
            dst.write(line)
    specials = {t: fixture.FIXTURE_RANKS + i for i, t in enumerate(fixture.SPECIAL_TOKENS)}
    backend = TikTokenConverter(vocab_file=str(ranks), pattern=fixture.QWEN_PAT_STR,
                                extra_special_tokens=specials).converted()
    tok = PreTrainedTokenizerFast(tokenizer_object=backend, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    tok.chat_template = CHATML_TEMPLATE
    for item in source.iterdir():
        if item.name != "tokenizer.json" and not (tmp / item.name).exists():
            os.symlink(item, tmp / item.name)
    tok.save_pretrained(tmp)  # tokenizer.json last: the marker build_once looks for
