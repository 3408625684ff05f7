"""Load generator for OpenAI-compatible streaming servers, measured the way vLLM's `bench serve`
(vllm/benchmarks/serve.py) defines its figures, so a learner's numbers compare with published ones.

Each request is one streamed chat/completions (or completions) call through one pooled httpx.AsyncClient per
sweep (keep-alive connections reused wherever the server keeps them open, as vLLM's one aiohttp session per run);
the client timestamps every server-sent event as it arrives. The clock of a request starts where vLLM's does
(vllm/benchmarks/lib/endpoint_request_func.py: `st = time.perf_counter()` right before `session.post`), and
httpcore's trace extension also stamps the moment the request's first byte is written, so every TTFT is given
both ways and the difference, the client's own overhead (connection from the pool or a new TCP connect,
request framing), is reported per request. Load comes as levels: Poisson arrivals at a
request rate (seeded exponential gaps, mean 1/rate; "inf" sends everything at once), or a closed loop
that keeps at most `concurrency` requests in flight. Pure asyncio + httpx, no Django, no torch.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import math
import random
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

INF = "inf"
ERRORS_KEPT = 5
# httpx logs every request at INFO: thousands of lines per sweep in the runner's log, and time spent in a level.
logging.getLogger("httpx").setLevel(logging.WARNING)

DEFINITIONS: dict[str, str] = {
    "ttft": "TTFT = arrival of the first streamed chunk carrying text - send time (includes queueing and "
            "prefill); vLLM bench serve, vllm/benchmarks/serve.py. The send time is taken where vLLM takes it "
            "(vllm/benchmarks/lib/endpoint_request_func.py: just before the client's post call on the run's one "
            "pooled session), so it includes the client's own overhead (client_overhead). Chunks without text "
            "(the role-only first chunk, the final usage chunk) do not count.",
    "ttft_first_byte": "TTFT from the first byte = arrival of the first chunk carrying text - the moment the "
                       "request's first byte was written to the connection (httpcore's "
                       "http11.send_request_headers trace event): what the server and the network took, without "
                       "the client's set-up. TTFT = client_overhead + TTFT from the first byte.",
    "client_overhead": "client overhead = the request's first byte written - vLLM's send time: taking a "
                       "connection from the pool (opening a TCP connection when none is idle: connect) and "
                       "framing the request. It is inside TTFT and E2EL, not inside TPOT or ITL (those are "
                       "differences of arrival times).",
    "connect": "connect = time to open a new TCP connection, for the requests that found no idle keep-alive "
               "connection in the pool (new_connections counts them; reused_connections the others). One "
               "client per run keeps connections open between requests wherever the server allows.",
    "realised_arrivals": "rate levels: realised request rate = (sent requests - 1) / (last send - first send), "
                         "arrival gap CV = std / mean of the gaps between realised sends (1 for a Poisson "
                         "process), send lag = realised send - scheduled send (event-loop lateness, and the "
                         "max_concurrency gate when one is set).",
    "itl": "ITL = every gap between consecutive text-carrying chunks, pooled over all requests of the level "
           "(vLLM bench serve). Events that arrive in one network read have gaps near 0.",
    "tpot": "TPOT per request = (E2EL - TTFT) / (output tokens - 1), only for requests with more than one "
            "output token (vLLM bench serve); statistics are over requests.",
    "e2el": "E2EL = arrival of the last text-carrying chunk - send time (vLLM bench serve).",
    "request_throughput": "completed requests / level duration; the level lasts from its first send until "
                          "its last response ends (vLLM bench serve).",
    "output_throughput": "sum of output tokens / level duration (vLLM bench serve).",
    "total_token_throughput": "sum of input + output tokens / level duration (vLLM bench serve).",
    "goodput": "requests meeting every SLO given (TTFT, TPOT, E2EL; a request with one output token has "
               "TPOT 0) / level duration (vLLM bench serve --goodput, after DistServe).",
    "slo_attainment": "requests meeting every SLO / requests sent; failed requests count as misses "
                      "(as GuideLLM counts errors).",
    "output_tokens": "output tokens per request from the server's usage (completion_tokens, asked for with "
                     "stream_options.include_usage) when it sends one, else the number of text-carrying chunks; "
                     "each level says which (token_count_source).",
    "arrivals": "rate levels: gaps drawn from an exponential distribution with mean 1/rate (a Poisson process; "
                "vLLM's gamma arrivals with burstiness 1), seeded, sent until duration_s or the request cap; "
                "rate inf sends the capped number at once. Concurrency levels: a semaphore keeps at most N "
                "requests in flight, new ones start until duration_s or the cap.",
    "statistics": "mean, median, p90, p99 (numpy's linear interpolation, as vLLM), std, min, max; in ms.",
    "saturation": "the first level (in order of offered load) after which output tokens/s rises by less than "
                  "the threshold (default 5%) at the next level; 'not reached' when every step still rises.",
    "max_meeting_slo": "the highest request rate (or concurrency) whose SLO attainment is at least the target.",
}


@dataclass
class Workload:
    """What every request of a run sends."""

    url: str  # full endpoint URL, e.g. http://127.0.0.1:8000/v1/chat/completions
    model: str | None
    prompts: Sequence[str]  # request i sends prompts[i % len(prompts)]
    max_tokens: int
    api: str = "chat"  # "chat" or "completions"
    extra_body: dict[str, Any] = field(default_factory=dict)
    include_usage: bool = True
    request_timeout_s: float = 120.0

    def payload(self, index: int) -> dict[str, Any]:
        prompt = self.prompts[index % len(self.prompts)]
        body: dict[str, Any] = {"stream": True, "temperature": 0.0}
        if self.model is not None:
            body["model"] = self.model
        if self.api == "chat":
            body["messages"] = [{"role": "user", "content": prompt}]
        else:
            body["prompt"] = prompt
        body["max_tokens"] = self.max_tokens
        if self.include_usage:
            body["stream_options"] = {"include_usage": True}
        body.update(self.extra_body)
        return body


@dataclass
class RequestRecord:
    """One request as the client saw it; times in seconds (start relative to the level's start)."""

    start: float = 0.0
    ttft: float | None = None
    e2el: float | None = None
    itl: list[float] = field(default_factory=list)
    output_tokens: int = 0
    prompt_tokens: int = 0
    token_source: str = "none"  # "usage" or "chunks"
    success: bool = False
    error: str = ""
    scheduled: float | None = None  # planned send time (rate levels), relative to the level's start
    overhead: float | None = None  # first byte written - send time (the client's own part of TTFT and E2EL)
    connect: float | None = None  # TCP connect time when this request opened a new connection, else None
    new_connection: bool | None = None  # None: the trace did not say (no request written)

    @property
    def ttft_first_byte(self) -> float | None:
        if self.ttft is None or self.overhead is None:
            return None
        return self.ttft - self.overhead

    @property
    def tpot(self) -> float | None:
        if not self.success or self.output_tokens <= 1 or self.ttft is None or self.e2el is None:
            return None
        return (self.e2el - self.ttft) / (self.output_tokens - 1)


def _chunk_text(data: dict[str, Any]) -> str:
    choices = data.get("choices") or []
    if not choices:
        return ""
    choice = choices[0]
    delta = choice.get("delta")
    if isinstance(delta, dict):
        return delta.get("content") or ""
    return choice.get("text") or ""


def _encoded(workload: Workload, index: int) -> bytes:
    return json.dumps(workload.payload(index), separators=(",", ":")).encode()


async def send_request(client: httpx.AsyncClient, workload: Workload, index: int, t0: float,
                       scheduled: float | None = None) -> RequestRecord:
    """Send request `index` and time its stream (every SSE `data:` line is timestamped on arrival).

    The clock starts where vLLM's does, just before the client call (the body is encoded before it, as vLLM
    builds its payload before); httpcore's trace callback stamps the first byte written and any TCP connect."""
    rec = RequestRecord(scheduled=scheduled)
    body = _encoded(workload, index)
    marks: dict[str, float] = {}

    async def trace(name: str, info: dict[str, Any]) -> None:
        if name not in marks:
            marks[name] = time.perf_counter()

    sent = time.perf_counter()
    rec.start = sent - t0
    last = sent
    chunks = 0
    usage: dict[str, Any] | None = None
    try:
        async with client.stream("POST", workload.url, content=body, headers=_JSON_HEADERS,
                                 timeout=workload.request_timeout_s, extensions={"trace": trace}) as resp:
            stamps = _stamps(resp)
            _clock_marks(rec, marks, sent, stamps)
            if resp.status_code != 200:
                text = (await resp.aread()).decode(errors="replace")
                rec.error = f"HTTP {resp.status_code}: {text[:300]}"
                return rec
            done = False
            async for line in resp.aiter_lines():
                # After [DONE] the body is read to its end, not left: httpcore closes a connection whose
                # response was not read through, and the next request would pay a new TCP connect.
                if done or not line.startswith("data:"):
                    continue  # blank separators, SSE comments (pings)
                # Arrival = when the socket read that completed this line returned (httpx parses a read fully
                # before it reads again); the client's parsing after it is not the server's time.
                now = stamps.read_at if stamps is not None and stamps.read_at is not None else time.perf_counter()
                data_str = line[5:].strip()
                if data_str == "[DONE]":
                    done = True
                    continue
                data = json.loads(data_str)
                if "error" in data and not data.get("choices"):
                    rec.error = f"server error in stream: {str(data['error'])[:300]}"
                    return rec
                if data.get("usage"):
                    usage = data["usage"]
                if _chunk_text(data):
                    if rec.ttft is None:
                        rec.ttft = now - sent
                    else:
                        rec.itl.append(now - last)
                    last = now
                    chunks += 1
    except (httpx.HTTPError, json.JSONDecodeError, OSError) as exc:
        _clock_marks(rec, marks, sent, None)
        rec.error = f"{type(exc).__name__}: {exc}"[:300]
        return rec
    if rec.ttft is None:
        rec.error = "the stream ended without a chunk carrying text"
        return rec
    rec.e2el = last - sent
    if usage and usage.get("completion_tokens") is not None:
        rec.output_tokens, rec.token_source = int(usage["completion_tokens"]), "usage"
    else:
        rec.output_tokens, rec.token_source = chunks, "chunks"
    rec.prompt_tokens = int((usage or {}).get("prompt_tokens") or 0)
    rec.success = True
    return rec


_JSON_HEADERS = {"content-type": "application/json"}
_WRITE_EVENTS = ("http11.send_request_headers.started", "http2.send_request_headers.started")


def _stamps(resp: httpx.Response) -> _StampedStream | None:
    stream = resp.extensions.get("network_stream")
    stamps = stream.get_extra_info("loadgen_stamps") if stream is not None else None
    return stamps if isinstance(stamps, _StampedStream) else None


def _clock_marks(rec: RequestRecord, marks: dict[str, float], sent: float, stamps: _StampedStream | None) -> None:
    """Fill the record's first-byte and connect times: the socket write of the request when the connection is
    ours, else httpcore's trace event before the request head is written."""
    written = next((marks[name] for name in _WRITE_EVENTS if name in marks), None)
    if stamps is not None and stamps.written_at is not None and stamps.written_at >= sent:
        written = stamps.written_at
    if written is not None:
        rec.overhead = written - sent
    began, done = marks.get("connection.connect_tcp.started"), marks.get("connection.connect_tcp.complete")
    if began is not None and done is not None:
        rec.connect = done - began
    if written is not None or began is not None:
        rec.new_connection = began is not None


def poisson_arrivals(rate: float | str, *, duration_s: float, max_requests: int, seed: int) -> list[float]:
    """Send times (s from the level's start): exponential gaps with mean 1/rate, the first request at 0,
    none at or after duration_s, at most max_requests. Rate "inf": max_requests at time 0."""
    if rate == INF or rate == math.inf:
        return [0.0] * max_requests
    rate = float(rate)
    if not rate > 0:
        raise ValueError(f"request rate must be positive, got {rate}")
    rng = random.Random(seed)
    times, t = [], 0.0
    while len(times) < max_requests and t < duration_s:
        times.append(t)
        t += rng.expovariate(rate)
    return times


async def _run_rate(client: httpx.AsyncClient, workload: Workload, arrivals: list[float],
                    max_concurrency: int | None, first_index: int) -> tuple[list[RequestRecord], float]:
    gate = asyncio.Semaphore(max_concurrency) if max_concurrency else None
    t0 = time.perf_counter()

    async def one(i: int, at: float) -> RequestRecord:
        delay = t0 + at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if gate is None:
            return await send_request(client, workload, first_index + i, t0, at)
        async with gate:
            return await send_request(client, workload, first_index + i, t0, at)

    records = await asyncio.gather(*(one(i, at) for i, at in enumerate(arrivals)))
    return list(records), time.perf_counter() - t0


async def _run_closed_loop(client: httpx.AsyncClient, workload: Workload, concurrency: int, duration_s: float,
                           max_requests: int, first_index: int) -> tuple[list[RequestRecord], float]:
    t0 = time.perf_counter()
    issued = 0
    records: list[RequestRecord] = []

    async def worker() -> None:
        nonlocal issued
        while issued < max_requests and time.perf_counter() - t0 < duration_s:
            i = issued
            issued += 1
            records.append(await send_request(client, workload, first_index + i, t0))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return records, time.perf_counter() - t0


PRECONNECT_MAX = 64
KEEPALIVE_S = 60.0  # as vLLM's connector; a server that closes idle connections sooner shows as new_connections


class _StampedStream(httpcore.AsyncNetworkStream):
    """A connection on bare asyncio streams (the same path as bench/raw_sse_client.py) that times its bytes
    where a raw-socket client would: `written_at` right before a request's bytes go to the socket, `read_at`
    right after each read from it returns. httpcore writes a request's head and body in two calls; they are
    held and written together when the response is first read, so the server gets the request in one piece."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.pending: list[bytes] = []
        self.written_at: float | None = None
        self.read_at: float | None = None

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.pending.append(buffer)

    async def _flush(self, timeout: float | None) -> None:
        if not self.pending:
            return
        data, self.pending = b"".join(self.pending), []
        self.written_at = time.perf_counter()
        try:
            self.writer.write(data)
            async with asyncio.timeout(timeout):
                await self.writer.drain()
        except TimeoutError:
            raise httpcore.WriteTimeout("timed out writing the request") from None
        except OSError as exc:
            raise httpcore.WriteError(str(exc)) from exc

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        await self._flush(timeout)
        try:
            async with asyncio.timeout(timeout):
                data = await self.reader.read(max_bytes)
        except TimeoutError:
            raise httpcore.ReadTimeout("timed out reading the response") from None
        except OSError as exc:
            raise httpcore.ReadError(str(exc)) from exc
        self.read_at = time.perf_counter()
        return data

    async def aclose(self) -> None:
        self.pending = []
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()

    async def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        await self._flush(timeout)
        try:
            await self.writer.start_tls(ssl_context, server_hostname=server_hostname, ssl_handshake_timeout=timeout)
        except (OSError, ssl.SSLError) as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "loadgen_stamps":
            return self
        if info == "is_readable":  # an idle keep-alive connection the server closed, or one with stray bytes
            return self.reader.at_eof() or self.writer.is_closing()
        if info == "ssl_object":
            return self.writer.get_extra_info("ssl_object")
        if info in ("client_addr", "server_addr"):
            return self.writer.get_extra_info("sockname" if info == "client_addr" else "peername")
        if info == "socket":
            return self.writer.get_extra_info("socket")
        return None


class _StampingBackend(httpcore.AsyncNetworkBackend):
    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None, socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, local_addr=(local_address, 0) if local_address else None)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"timed out connecting to {host}:{port}") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        sock = writer.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return _StampedStream(reader, writer)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_unix_connection(path)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"timed out connecting to {path}") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return _StampedStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def make_client(width: int) -> httpx.AsyncClient:
    """One pooled client for a whole sweep (never one per request): keep-alive connections opened in the
    warm-up are reused by the levels for as long as the server keeps them open. Its connections time their
    bytes at the socket (_StampedStream)."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx (pinned 0.28.1) takes no network backend; its transport's pool is swapped for one with ours.
    transport._pool = httpcore.AsyncConnectionPool(  # noqa: SLF001
        max_connections=width + 4, max_keepalive_connections=width + 4, keepalive_expiry=KEEPALIVE_S,
        network_backend=_StampingBackend())
    return httpx.AsyncClient(transport=transport, trust_env=False)


def models_url(url: str) -> str:
    """The /v1/models URL beside an endpoint URL (http://h:p/v1/chat/completions -> http://h:p/v1/models)."""
    head, sep, _ = url.partition("/v1/")
    return f"{head}/v1/models" if sep else url


async def preconnect(client: httpx.AsyncClient, url: str, connections: int) -> int:
    """Open up to `connections` keep-alive connections at once with cheap GETs of /v1/models (any answer
    leaves the connection in the pool), so a level's first requests do not pay a TCP connect. Returns how
    many answered."""
    async def one() -> bool:
        try:
            await client.get(models_url(url), timeout=10.0)
            return True
        except httpx.HTTPError:
            return False

    return sum(await asyncio.gather(*(one() for _ in range(min(connections, PRECONNECT_MAX)))))


async def run_level_async(client: httpx.AsyncClient, workload: Workload, *, rate: float | str | None = None,
                          concurrency: int | None = None, duration_s: float, max_requests: int, seed: int = 0,
                          max_concurrency: int | None = None, first_index: int = 0) -> dict[str, Any]:
    """One load level: either a request rate (Poisson arrivals) or a concurrency (closed loop)."""
    if (rate is None) == (concurrency is None):
        raise ValueError("a level has either a request rate or a concurrency")
    if rate is not None:
        arrivals = poisson_arrivals(rate, duration_s=duration_s, max_requests=max_requests, seed=seed)
        records, duration = await _run_rate(client, workload, arrivals, max_concurrency, first_index)
    else:
        assert concurrency is not None
        records, duration = await _run_closed_loop(client, workload, concurrency, duration_s, max_requests,
                                                   first_index)
    return {"mode": "rate" if rate is not None else "concurrency", "request_rate": rate,
            "concurrency": concurrency, "records": records, "duration_s": duration}


async def warm_up(client: httpx.AsyncClient, workload: Workload, requests: int, width: int) -> list[RequestRecord]:
    """Untimed requests before the sweep (lazy server start-up, connection set-up), `width` at a time."""
    out: list[RequestRecord] = []
    for start in range(0, requests, max(width, 1)):
        batch = range(start, min(requests, start + width))
        out += await asyncio.gather(*(send_request(client, workload, 10**6 + i, time.perf_counter()) for i in batch))
    return out


def sweep_levels(request_rates: Sequence[float | str], concurrency: Sequence[int]) -> list[dict[str, Any]]:
    """The levels of a sweep in the order they run: rates ascending (inf last), then concurrencies ascending."""
    rates = sorted(request_rates, key=lambda r: math.inf if r == INF else float(r))
    return [{"rate": r} for r in rates] + [{"concurrency": c} for c in sorted(concurrency)]


async def run_sweep_async(workload: Workload, levels: Sequence[dict[str, Any]], *, duration_s: float,
                          max_requests: int, seed: int = 0, max_concurrency: int | None = None,
                          warmup_requests: int = 1, warmup_timeout_s: float | None = None,
                          on_level: Any = None) -> list[dict[str, Any]]:
    """Run every level on one pooled client; on_level(i, level) is called after each (for progress).
    The warm-up may take longer than a request (a server that sets up its batching on the first request):
    warmup_timeout_s, default the request timeout."""
    width = max([lv.get("concurrency") or 0 for lv in levels] + [max_concurrency or 0, 1])
    if any("rate" in lv for lv in levels) and not max_concurrency:
        width = max(width, max_requests)
    out = []
    async with make_client(width) as client:
        if warmup_requests:
            slow = dataclasses.replace(workload, request_timeout_s=max(workload.request_timeout_s,
                                                                       warmup_timeout_s or 0.0))
            failed = [r for r in await warm_up(client, slow, warmup_requests, min(width, warmup_requests))
                      if not r.success]
            if failed:
                raise RuntimeError(f"warm-up request failed: {failed[0].error}")
            await preconnect(client, workload.url, width)
        index = 0
        for i, lv in enumerate(levels):
            level = await run_level_async(client, workload, rate=lv.get("rate"), concurrency=lv.get("concurrency"),
                                          duration_s=duration_s, max_requests=max_requests, seed=seed + i,
                                          max_concurrency=max_concurrency, first_index=index)
            index += len(level["records"])
            out.append(level)
            if on_level is not None:
                on_level(i, level)
    return out


def run_sweep(workload: Workload, levels: Sequence[dict[str, Any]], **kwargs: Any) -> list[dict[str, Any]]:
    """Run the sweep on an event loop of its own. When the calling thread already runs a loop (a host that
    embeds the lab, or Playwright's sync API in the test process), the sweep runs on a fresh thread, so the
    timing loop is never shared with someone else's tasks."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run_sweep_async(workload, levels, **kwargs))
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="loadgen") as pool:
        return pool.submit(asyncio.run, run_sweep_async(workload, levels, **kwargs)).result()


# ---- figures --------------------------------------------------------------------------------------------


def stats_ms(values_s: Sequence[float]) -> dict[str, float] | None:
    """mean, median, p90, p99, std, min, max in milliseconds (None for no values)."""
    if not values_s:
        return None
    from gpu_runner.measure.timing import summarize

    return summarize(list(values_s), scale=1000.0)


def meets_slo(rec: RequestRecord, slo: dict[str, float]) -> bool:
    """vLLM's goodput test: every SLO given holds (a one-token request has TPOT 0)."""
    if not rec.success or rec.ttft is None or rec.e2el is None:
        return False
    measured = {"ttft_ms": rec.ttft, "tpot_ms": rec.tpot or 0.0, "e2el_ms": rec.e2el}
    return all(measured[name] * 1000.0 <= limit for name, limit in slo.items())


def _max_in_flight(records: Sequence[RequestRecord]) -> int:
    events = []
    for r in records:
        if r.success and r.e2el is not None:
            events += [(r.start, 1), (r.start + r.e2el, -1)]
    events.sort()  # a departure sorts before an arrival at the same instant
    peak = cur = 0
    for _, delta in events:
        cur += delta
        peak = max(peak, cur)
    return peak


def summarize(level: dict[str, Any], slo: dict[str, float]) -> dict[str, Any]:
    """The figures of one level (records dropped), as vLLM bench serve computes them."""
    records: list[RequestRecord] = level["records"]
    ok = [r for r in records if r.success]
    duration = level["duration_s"]
    out_tokens = sum(r.output_tokens for r in ok)
    in_tokens = sum(r.prompt_tokens for r in ok)
    sources = {r.token_source for r in ok}
    good = sum(meets_slo(r, slo) for r in ok) if slo else None
    return {
        "mode": level["mode"], "request_rate": level["request_rate"], "concurrency": level["concurrency"],
        "requests": len(records), "completed": len(ok), "failed": len(records) - len(ok),
        "errors": sorted({r.error for r in records if not r.success})[:ERRORS_KEPT],
        "duration_s": duration,
        "request_throughput": len(ok) / duration if duration > 0 else 0.0,
        "output_throughput": out_tokens / duration if duration > 0 else 0.0,
        "total_token_throughput": (in_tokens + out_tokens) / duration if duration > 0 else 0.0,
        "total_input_tokens": in_tokens, "total_output_tokens": out_tokens,
        "ttft_ms": stats_ms([r.ttft for r in ok if r.ttft is not None]),
        "tpot_ms": stats_ms([t for r in ok if (t := r.tpot) is not None]),
        "itl_ms": stats_ms([g for r in ok for g in r.itl]),
        "e2el_ms": stats_ms([r.e2el for r in ok if r.e2el is not None]),
        "goodput": (good / duration if duration > 0 else 0.0) if good is not None else None,
        "slo_attainment": (good / len(records) if records else 0.0) if good is not None else None,
        "max_concurrent_requests": _max_in_flight(records),
        **clock_figures(records),
        **(arrival_figures(records) if level["mode"] == "rate" else {}),
        "token_count_source": sources.pop() if len(sources) == 1 else ("mixed" if sources else "none"),
    }


def clock_figures(records: Sequence[RequestRecord]) -> dict[str, Any]:
    """Where each TTFT's time went: from the first byte written (server + network), the client's own overhead,
    TCP connects, and how many requests reused a connection."""
    ok = [r for r in records if r.success]
    return {
        "ttft_first_byte_ms": stats_ms([t for r in ok if (t := r.ttft_first_byte) is not None]),
        "client_overhead_ms": stats_ms([r.overhead for r in ok if r.overhead is not None]),
        "connect_ms": stats_ms([r.connect for r in records if r.connect is not None]),
        "new_connections": sum(r.new_connection is True for r in records),
        "reused_connections": sum(r.new_connection is False for r in records),
    }


def arrival_figures(records: Sequence[RequestRecord]) -> dict[str, Any]:
    """How the rate level's sends really went out: realised rate, CV of the gaps, lateness per send."""
    starts = sorted(r.start for r in records)
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    span = starts[-1] - starts[0] if len(starts) > 1 else 0.0
    mean = sum(gaps) / len(gaps) if gaps else 0.0
    cv = (math.sqrt(sum((g - mean) ** 2 for g in gaps) / len(gaps)) / mean) if mean > 0 else None
    return {"realised_request_rate": (len(starts) - 1) / span if span > 0 else None, "arrival_gap_cv": cv,
            "send_lag_ms": stats_ms([r.start - r.scheduled for r in records if r.scheduled is not None])}


def offered_load(level: dict[str, Any]) -> float:
    """Sort key of a level within its sweep: the rate (inf last) or the concurrency."""
    if level["mode"] == "rate":
        return math.inf if level["request_rate"] == INF else float(level["request_rate"])
    return float(level["concurrency"])


def saturation(levels: Sequence[dict[str, Any]], threshold: float) -> dict[str, Any]:
    """First level after which output tokens/s rises by less than `threshold` (a fraction) at the next one."""
    ordered = sorted(levels, key=offered_load)
    for here, nxt in zip(ordered, ordered[1:], strict=False):
        base = here["output_throughput"]
        gain = (nxt["output_throughput"] - base) / base if base > 0 else math.inf
        if gain < threshold:
            return {"found": True, "mode": here["mode"], "request_rate": here["request_rate"],
                    "concurrency": here["concurrency"], "output_throughput": base, "next_gain": gain,
                    "threshold": threshold}
    return {"found": False, "mode": ordered[0]["mode"] if ordered else None, "threshold": threshold,
            "reason": "output tokens/s still rose by at least the threshold at every step of the sweep"
            if len(ordered) > 1 else "a sweep needs at least two levels"}


def max_meeting_slo(levels: Sequence[dict[str, Any]], target: float) -> float | None:
    """Highest finite offered load whose SLO attainment reaches the target (None if none, or no SLO)."""
    meeting = [offered_load(lv) for lv in levels
               if lv["slo_attainment"] is not None and lv["slo_attainment"] >= target]
    finite = [x for x in meeting if math.isfinite(x)]
    return max(finite) if finite else None
