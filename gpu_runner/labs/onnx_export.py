"""ONNX Runtime lab: export a model to ONNX with its KV cache as explicit graph inputs and outputs, quantize the
graph, run it on the execution providers this runner has, and set every figure beside PyTorch on the same model,
prompt and token counts, measured in the same job.

Export: transformers' OnnxExporter (torch.onnx.export with the dynamo exporter underneath) on the model's decode
step captured by transformers.exporters.utils.decompose_for_generation with multi_token_decode=True: one graph
whose inputs are input_ids, position_ids and every layer's past keys and values, and whose outputs are the
logits and the grown cache. Prefill is that graph on an empty cache (past length 0); decode feeds each step's
cache back. Exporter "torch-dynamo+ort-fusions" also fuses the graph into ONNX Runtime's CPU contrib ops
(GroupQueryAttention, SkipSimplifiedLayerNormalization, ...). Weights always go to an external .data file.
int8: onnxruntime.quantization.quantize_dynamic (MatMul weights int8 per channel, activations quantized per call).
int4: onnxruntime's MatMulNBitsQuantizer (MatMulNBits, 4-bit blocks of 32, symmetric).

Every measurement runs in its own fresh process: PyTorch (fp32, the reference), the export, then one process per
(precision, execution provider) that imports onnxruntime and numpy only, so peak memory is the session's own.
Timing is the same greedy loop on both sides: one prefill call on prompt_len tokens, then gen_len - 1 single-token
decode calls feeding the cache back (no IO binding: ORT's outputs are copied to numpy and fed in again, as a
plain Python loop does).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gpu_runner.checkpoints.loading import describe_model, prepare_model
from gpu_runner.errors import Unsupported
from gpu_runner.labs import LabContext

PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider", "tensorrt": "TensorrtExecutionProvider"}
EXPORTERS = ("torch-dynamo", "torch-dynamo+ort-fusions", "ort-genai-builder")
PROTOBUF_LIMIT = 2 * 1024 ** 3  # one ONNX protobuf file cannot exceed 2 GB: larger weights must be external
KL_CHUNK = 16


def provider_reason(provider: str, device: str, available: list[str]) -> str | None:
    """Why this runner cannot run an execution provider, or None when it can."""
    name = PROVIDERS[provider]
    if name not in available:
        return (f"providers: {name} is not in onnxruntime.get_available_providers() on this runner "
                f"({', '.join(available)}); the CUDA and TensorRT providers come with the onnxruntime-gpu package "
                "(and TensorRT's libraries)")
    if provider != "cpu" and device != "cuda":
        return f"providers: {name} needs a CUDA device; this job runs on {device}"
    return None


def precision_reason(precision: str, provider: str) -> str | None:
    if precision == "fp16" and provider == "cpu":
        return ("fp16 graphs are for the CUDA and TensorRT providers: ONNX Runtime's CPU provider has no fp16 "
                "kernels for most ops")
    return None


def exporter_reason(exporter: str) -> str | None:
    import importlib.util

    if exporter == "ort-genai-builder" and importlib.util.find_spec("onnxruntime_genai") is None:
        return ("exporter: onnxruntime-genai (its model builder) is not installed on this runner; the "
                "torch-dynamo exporters need only onnx, onnxscript and onnxruntime")
    if exporter == "ort-genai-builder":
        return "exporter: the onnxruntime-genai model builder path is not wired into this lab yet"
    for module in ("onnx", "onnxscript", "onnxruntime"):
        if importlib.util.find_spec(module) is None:
            return f"exporter: {module} is not installed on this runner (see gpu_runner/requirements.txt)"
    return None


def run(params: dict[str, Any], ctx: LabContext) -> dict[str, Any]:
    import onnxruntime as ort

    available = list(ort.get_available_providers())
    base = {"lab": "onnx-export", "model": params["model"], "device": ctx.device, "exporter": params["exporter"],
            "settings": {k: params[k] for k in ("prompt_len", "gen_len", "repeats", "warmup", "quality_tokens")},
            "onnxruntime": {"version": ort.__version__, "available_providers": available}}
    reason = exporter_reason(params["exporter"])
    if reason:
        return {**base, "model_info": describe_model(params["model"]), "pytorch": None,
                "export": {"status": "unsupported", "reason": reason}, "runs": []}
    prepare_model(ctx, params["model"])
    precisions, providers = list(params["precisions"]), list(params["providers"])
    pairs = [(p, q) for p in precisions for q in providers]
    total = 2 + len(pairs)
    with tempfile.TemporaryDirectory(prefix="dd-onnx-") as workdir:
        spec = {**params, "device": ctx.device, "workdir": workdir}
        pytorch = ctx.measure("gpu_runner.labs.onnx_export:measure_pytorch", spec, key="backend", name="pytorch",
                              index=0, total=total)
        export = ctx.measure("gpu_runner.labs.onnx_export:export", spec, key="stage", name="export", index=1,
                             total=total)
        graphs = {g["precision"]: g for g in export.get("graphs", [])}
        runs: list[dict[str, Any]] = []
        for i, (precision, provider) in enumerate(pairs):
            entry = {"precision": precision, "provider": provider}
            why = provider_reason(provider, ctx.device, available) or precision_reason(precision, provider)
            graph = graphs.get(precision)
            if why is None and (graph is None or graph.get("status") != "ok"):
                failed = graph or export
                why = f"precisions: no {precision} graph ({failed.get('reason') or failed.get('error') or 'no export'})"
            if why:
                runs.append({**entry, "status": "unsupported", "reason": why})
                continue
            out = ctx.measure("gpu_runner.labs.onnx_export:measure_ort",
                              {**spec, "precision": precision, "provider": provider, "graph": graph["path"]},
                              key="precision", name=f"{precision} on {provider}", index=2 + i, total=total)
            runs.append({**out, **entry})  # an error entry names the pair in its key; the pair's own keys win
        for g in export.get("graphs", []):
            g.pop("path", None)
    if pytorch.get("status") == "ok":
        for r in runs:
            if r.get("status") == "ok":
                r["prefill_speedup_vs_pytorch"] = (pytorch["prefill_latency_s"]["median"]
                                                   / r["prefill_latency_s"]["median"])
                r["decode_speedup_vs_pytorch"] = r["decode_tokens_per_s"] / pytorch["decode_tokens_per_s"]
        pytorch.pop("greedy_tokens_path", None)
    ctx.report(100, "done")
    return {**base, "model_info": describe_model(params["model"]), "pytorch": pytorch, "export": export,
            "runs": runs}


# ---- shared by the child processes ----------------------------------------------------------------


def _inputs_path(workdir: str) -> Path:
    return Path(workdir) / "inputs.json"


def greedy_loop(prefill: Callable[[list[int]], tuple[Any, Any]], step: Callable[[int, int, Any], tuple[Any, Any]],
                prompt: list[int], gen_len: int) -> tuple[list[int], float, float]:
    """(generated tokens, prefill s, decode s): prefill(prompt) -> (last logits, cache); then gen_len - 1 calls of
    step(token, position, cache) -> (logits, cache). The first token comes from the prefill."""
    import numpy as np

    start = time.perf_counter()
    logits, cache = prefill(prompt)
    token = int(np.argmax(logits))
    mid = time.perf_counter()
    tokens = [token]
    for i in range(gen_len - 1):
        logits, cache = step(token, len(prompt) + i, cache)
        token = int(np.argmax(logits))
        tokens.append(token)
    end = time.perf_counter()
    return tokens, mid - start, end - mid


def timed_loops(loop: Callable[[], tuple[list[int], float, float]], warmup: int, repeats: int, gen_len: int,
                report: Callable[[float, str], None]) -> dict[str, Any]:
    from gpu_runner.measure import timing as m

    for _ in range(warmup):
        loop()
    prefill, decode, tokens = [], [], []
    for i in range(repeats):
        report(0.2 + 0.6 * i / repeats, "timed runs")
        tokens, p, d = loop()
        prefill.append(p)
        decode.append(d)
    runs = [(gen_len - 1) / d for d in decode]
    return {"prefill_latency_s": m.summarize(prefill), "decode_latency_s": m.summarize(decode),
            "decode_tokens_per_s": (gen_len - 1) / m.summarize(decode)["median"], "decode_tokens_per_s_runs": runs,
            "greedy_tokens": tokens}


def measure_pytorch(spec: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    """The reference: PyTorch fp32 eager, the same greedy loop; saves prompt/quality ids, logits and tokens."""
    import numpy as np
    import torch
    from transformers import AutoModelForCausalLM, DynamicCache

    from gpu_runner.checkpoints.loading import load_tokenizer, model_path, pin_threads, warm_imports
    from gpu_runner.labs.texts import DEFAULT_PROMPT, QUALITY_TEXT, tokens_of_length
    from gpu_runner.measure import timing as m

    threads = pin_threads()
    load_before = os.getloadavg()[0]
    report(0.0, "loading")
    tok = load_tokenizer(spec["model"])
    prompt = tokens_of_length(tok.encode(DEFAULT_PROMPT), spec["prompt_len"])
    quality = tokens_of_length(tok.encode(QUALITY_TEXT), spec["quality_tokens"])
    warm_imports(spec["model"])
    load_s, model = m.timed(lambda: AutoModelForCausalLM.from_pretrained(model_path(spec["model"]),
                                                                         dtype=torch.float32).eval(), lambda: None)
    context = model.config.max_position_embeddings
    longest = max(spec["prompt_len"] + spec["gen_len"], spec["quality_tokens"])
    if longest > context:
        field = "quality_tokens" if spec["quality_tokens"] >= spec["prompt_len"] + spec["gen_len"] else "prompt_len"
        raise Unsupported(f"{field}: {longest} tokens is past this model's context of {context} "
                          "(max_position_embeddings)")

    def prefill(ids: list[int]) -> tuple[Any, Any]:
        cache = DynamicCache(config=model.config)
        out = model(input_ids=torch.tensor([ids]), position_ids=torch.arange(len(ids))[None], past_key_values=cache,
                    use_cache=True)
        return out.logits[0, -1].numpy(), cache

    def step(token: int, position: int, cache: Any) -> tuple[Any, Any]:
        out = model(input_ids=torch.tensor([[token]]), position_ids=torch.tensor([[position]]), past_key_values=cache,
                    use_cache=True)
        return out.logits[0, -1].numpy(), cache

    with torch.inference_mode():
        figures = timed_loops(lambda: greedy_loop(prefill, step, prompt, spec["gen_len"]), spec["warmup"],
                              spec["repeats"], spec["gen_len"], report)
        report(0.85, "reference logits")
        logits = model(input_ids=torch.tensor([quality]), position_ids=torch.arange(len(quality))[None]).logits[0]
        np.save(Path(spec["workdir"]) / "reference_logits.npy", logits.float().numpy())
    _inputs_path(spec["workdir"]).write_text(json.dumps({
        "prompt": prompt, "quality": quality, "greedy_tokens": figures["greedy_tokens"],
        "kv_shape": [model.config.num_key_value_heads, getattr(model.config, "head_dim", None)
                     or model.config.hidden_size // model.config.num_attention_heads],
        "sliding_window": getattr(model.config, "sliding_window", None)}))
    report(1.0, "done")
    return {"backend": "pytorch", "status": "ok",
            "description": f"PyTorch {torch.__version__} fp32 eager, DynamicCache",
            "load_s": load_s, "torch_threads": threads, "weight_bytes": m.weight_bytes(model),
            "memory": {"peak_rss_bytes": m.peak_rss_bytes()}, "host_load": m.host_load(load_before), **figures}


def graph_facts(path: Path) -> dict[str, Any]:
    """Op counts by type (ONNX Runtime's com.microsoft contrib ops are the fused ones), file sizes, cache inputs."""
    import collections

    import onnx

    proto = onnx.load(str(path), load_external_data=False)
    ops = collections.Counter(n.op_type for n in proto.graph.node)
    fused = collections.Counter(n.op_type for n in proto.graph.node if n.domain == "com.microsoft")
    data = [p for p in path.parent.iterdir() if p.name != path.name and p.suffix in (".data", "") and p.is_file()
            and p.name.startswith(path.name)]
    onnx_bytes, data_bytes = path.stat().st_size, sum(p.stat().st_size for p in data)
    inputs = [i.name for i in proto.graph.input]
    return {"ops": dict(ops.most_common()), "fused_ops": dict(fused.most_common()), "nodes": sum(ops.values()),
            "onnx_bytes": onnx_bytes, "data_bytes": data_bytes, "bytes": onnx_bytes + data_bytes,
            "external_data": data_bytes > 0, "over_protobuf_limit": onnx_bytes + data_bytes > PROTOBUF_LIMIT,
            "cache_inputs": sum(1 for n in inputs if "cache" in n or "past" in n), "opset": max(
                (o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), default=None)}


def export(spec: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    """Export the fp32 graph once, then make each requested quantized graph from it."""
    import torch
    from transformers import AutoModelForCausalLM
    from transformers.exporters import OnnxConfig, OnnxExporter
    from transformers.exporters.utils import decompose_for_generation

    from gpu_runner.checkpoints.loading import model_path, pin_threads

    pin_threads()
    report(0.0, "loading")
    model = AutoModelForCausalLM.from_pretrained(model_path(spec["model"]), dtype=torch.float32).eval()
    workdir = Path(spec["workdir"])
    ids = torch.tensor([json.loads(_inputs_path(spec["workdir"]).read_text())["prompt"][:8]]) \
        if _inputs_path(spec["workdir"]).is_file() else torch.arange(1, 9)[None]
    report(0.05, "tracing the decode step with its cache (torch.export)")
    start = time.perf_counter()
    stages = decompose_for_generation(model, {"input_ids": ids, "attention_mask": torch.ones_like(ids)},
                                      multi_token_decode=True)
    submodel, inputs = stages["decode"]
    fusions = "cpu" if spec["exporter"] == "torch-dynamo+ort-fusions" else None
    exported = OnnxExporter().export(submodel, inputs, OnnxConfig(dynamic_shapes=sequence_axes(inputs),
                                                                  ort_fusions=fusions))
    fp32_dir = workdir / "fp32"
    exported.save_pretrained(fp32_dir)
    export_s = time.perf_counter() - start
    fp32 = fp32_dir / "model.onnx"
    graphs = [{"precision": "fp32", "status": "ok", "path": str(fp32), "make_s": export_s, **graph_facts(fp32)}]
    for precision in spec["precisions"]:
        if precision == "fp32":
            continue
        report(0.7, f"{precision} graph")
        try:
            graphs.append(_quantized(precision, fp32, workdir))
        except Unsupported as exc:
            graphs.append({"precision": precision, "status": "unsupported", "reason": str(exc)})
        except Exception as exc:  # noqa: BLE001 — a quantizer failing is a figure of this precision, not the job
            graphs.append({"precision": precision, "status": "error", "error": f"{type(exc).__name__}: {exc}"[:2000]})
    report(1.0, "done")
    keep = {"fp32"} | set(spec["precisions"])
    return {"stage": "export", "status": "ok", "exporter": spec["exporter"], "export_s": export_s,
            "tool": f"transformers {__import__('transformers').__version__} OnnxExporter (torch {torch.__version__} "
                    f"torch.onnx.export, dynamo){', ORT CPU fusions' if fusions else ''}",
            "graphs": [g for g in graphs if g["precision"] in keep]}


def sequence_axes(inputs: dict[str, Any]) -> Any:
    """torch.export dynamic shapes with only the axes that vary marked: the new tokens' axis of input_ids and
    position_ids, the past-length axis of every cached key and value. transformers' dynamic=True marks every axis
    Dim.AUTO (batch, heads and head_dim too), which its own warning says makes the export much slower; this walks
    the inputs the same way (exporter_dynamo.get_auto_dynamic_shapes) with a narrower rule per tensor."""
    from unittest import mock

    import torch
    from transformers.exporters import exporter_dynamo

    def varying(tensor: Any) -> dict[int, Any]:
        if tensor.dim() == 4:  # [batch, kv heads, past length, head_dim]
            return {2: torch.export.Dim.AUTO}
        return {tensor.dim() - 1: torch.export.Dim.AUTO} if tensor.dim() >= 1 else {}

    with mock.patch.object(exporter_dynamo, "_auto_dynamic_shape", varying):
        shapes = exporter_dynamo.get_auto_dynamic_shapes(inputs)
    return {k: v for k, v in shapes.items() if isinstance(inputs[k], torch.Tensor) or k == "cache"}


def _quantized(precision: str, fp32: Path, workdir: Path) -> dict[str, Any]:
    out_dir = workdir / precision
    out_dir.mkdir()
    out = out_dir / "model.onnx"
    start = time.perf_counter()
    if precision == "int8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(fp32), str(out), op_types_to_quantize=["MatMul"], per_channel=True,
                         weight_type=QuantType.QInt8, use_external_data_format=True)
        how = "onnxruntime.quantization.quantize_dynamic: MatMul weights int8 per channel, activations per call"
    elif precision == "int4":
        import onnx
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

        quant = MatMulNBitsQuantizer(onnx.load(str(fp32)), bits=4, block_size=32, is_symmetric=True)
        quant.process()
        quant.model.save_model_to_file(str(out), use_external_data_format=True)
        how = "onnxruntime MatMulNBitsQuantizer: MatMul weights int4, blocks of 32, symmetric (MatMulNBits)"
    else:  # fp16
        raise Unsupported("precisions: fp16 graphs are made for the CUDA and TensorRT providers only; "
                          "this runner exports for CPU")
    return {"precision": precision, "status": "ok", "path": str(out), "make_s": time.perf_counter() - start,
            "method": how, **graph_facts(out)}


def measure_ort(spec: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    """One (precision, provider): an ONNX Runtime session on the graph, the same greedy loop, parity with PyTorch."""
    import numpy as np
    import onnxruntime as ort

    from gpu_runner.measure import timing as m

    load_before = os.getloadavg()[0]
    report(0.0, "session")
    threads = int(os.environ.get("DEPLOYDOJO_TORCH_THREADS") or 0) or (os.cpu_count() or 1)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    load_s, session = m.timed(lambda: ort.InferenceSession(spec["graph"], options,
                                                           providers=[PROVIDERS[spec["provider"]]]), lambda: None)
    saved = json.loads(_inputs_path(spec["workdir"]).read_text())
    cache_inputs = [i for i in session.get_inputs() if i.name not in ("input_ids", "position_ids")]
    outputs = [o.name for o in session.get_outputs()]
    cache_outputs = outputs[1:]
    heads, dim = saved["kv_shape"]
    # A sliding-window layer's cache (transformers' DynamicSlidingWindowLayer) carries its window as an int64
    # scalar beside its keys and values; the graph takes it as an input and hands it back.
    empty = {i.name: (np.array(saved.get("sliding_window") or 0, dtype=np.int64) if i.type == "tensor(int64)"
                      else np.zeros((1, heads, 0, dim), dtype=np.float32)) for i in cache_inputs}
    fed_back = {o: "input." + o.removeprefix("output.") for o in cache_outputs}
    missing = [o for o, i in fed_back.items() if i not in empty]
    if missing:
        raise RuntimeError(f"graph outputs {missing} match no cache input (inputs: {list(empty)})")

    def call(ids: list[int], start: int, cache: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        feed = {"input_ids": np.array([ids], dtype=np.int64),
                "position_ids": np.arange(start, start + len(ids), dtype=np.int64)[None], **cache}
        out = session.run(None, feed)
        return out[0], {fed_back[name]: v for name, v in zip(outputs[1:], out[1:], strict=True)}

    def prefill(ids: list[int]) -> tuple[Any, Any]:
        logits, cache = call(ids, 0, empty)
        return logits[0, -1], cache

    def step(token: int, position: int, cache: Any) -> tuple[Any, Any]:
        logits, cache = call([token], position, cache)
        return logits[0, -1], cache

    figures = timed_loops(lambda: greedy_loop(prefill, step, saved["prompt"], spec["gen_len"]), spec["warmup"],
                          spec["repeats"], spec["gen_len"], report)
    report(0.85, "parity")
    logits, _ = call(saved["quality"], 0, empty)
    parity = _parity(np.load(Path(spec["workdir"]) / "reference_logits.npy"), logits[0].astype(np.float32))
    ref_tokens, tokens = saved["greedy_tokens"], figures["greedy_tokens"]
    same = next((i for i, (a, b) in enumerate(zip(ref_tokens, tokens, strict=True)) if a != b), len(tokens))
    parity.update(greedy_identical_tokens=same, greedy_tokens=len(tokens))
    report(1.0, "done")
    del figures["greedy_tokens"]
    return {"status": "ok", "description": f"ONNX Runtime {ort.__version__} {PROVIDERS[spec['provider']]}",
            "session_load_s": load_s, "intra_op_threads": threads, "cache_outputs": len(cache_outputs),
            "memory": {"peak_rss_bytes": m.peak_rss_bytes()}, "host_load": m.host_load(load_before),
            "parity": parity, **figures}


def _parity(ref: Any, mine: Any) -> dict[str, float]:
    """max |delta logit|, top-1 agreement and mean KL(PyTorch || ORT) over the evaluation positions."""
    import numpy as np

    kl = []
    for i in range(0, ref.shape[0], KL_CHUNK):
        a, b = ref[i:i + KL_CHUNK].astype(np.float64), mine[i:i + KL_CHUNK].astype(np.float64)
        la = a - a.max(-1, keepdims=True)
        la -= np.log(np.exp(la).sum(-1, keepdims=True))
        lb = b - b.max(-1, keepdims=True)
        lb -= np.log(np.exp(lb).sum(-1, keepdims=True))
        kl.extend((np.exp(la) * (la - lb)).sum(-1).tolist())
    return {"max_abs_logit_diff": float(np.abs(ref - mine).max()),
            "top1_agreement": float((ref.argmax(-1) == mine.argmax(-1)).mean()), "mean_kl": float(np.mean(kl)),
            "positions": int(ref.shape[0])}
