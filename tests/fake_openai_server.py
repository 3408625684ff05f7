"""Test double of an OpenAI-compatible streaming server with known timing (a stand-in for a model server
whose TTFT and ITL are fixed numbers): the load generator's measurements are checked against it.

Each request waits for one of `capacity` decode slots (at most that many requests are decoded at once,
others queue), then streams: a role-only chunk at once, the first token TTFT after it got its slot, and
token k at TTFT + k x ITL, on absolute deadlines so sleep overshoot does not add up; then a usage chunk
and [DONE]. Runs in its own process (uvicorn + starlette), so its timing does not share the client's GIL.

    python tests/fake_openai_server.py --port 18000 --ttft-ms 100 --itl-ms 20 --capacity 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

MODEL_ID = "fake-model"


def build_app(ttft_s: float, itl_s: float, capacity: int):  # noqa: ANN201 - starlette is a test dependency
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    slots = asyncio.Semaphore(capacity)

    async def models(request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": MODEL_ID, "object": "model", "owned_by": "test"}]})

    def chunk(kind: str, text: str | None, usage: dict | None = None) -> str:
        if kind == "chat":
            delta = {"role": "assistant"} if text is None else {"content": text}
            choice = {"index": 0, "delta": delta if usage is None else {}, "finish_reason": "length" if usage else None}
        else:
            choice = {"index": 0, "text": text or "", "finish_reason": "length" if usage else None}
        body = {"id": "fake", "object": "chat.completion.chunk", "model": MODEL_ID, "choices": [choice]}
        if usage:
            body["usage"] = usage
        return f"data: {json.dumps(body)}\n\n"

    async def stream(kind: str, n: int, prompt_tokens: int, with_usage: bool):
        loop = asyncio.get_running_loop()
        if kind == "chat":
            yield chunk(kind, None)  # role-only: must not count as the first token
        async with slots:
            began = loop.time()
            for k in range(n):
                delay = began + ttft_s + k * itl_s - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                yield chunk(kind, f" tok{k}")
        if with_usage:  # as OpenAI's API: only when stream_options.include_usage is true
            usage = {"prompt_tokens": prompt_tokens, "completion_tokens": n, "total_tokens": prompt_tokens + n}
            yield chunk(kind, None if kind == "chat" else "", usage)
        yield "data: [DONE]\n\n"

    def endpoint(kind: str):  # noqa: ANN202
        async def handle(request: Request) -> StreamingResponse | JSONResponse:
            body = await request.json()
            n = int(body.get("max_completion_tokens") or body.get("max_tokens") or 16)
            text = json.dumps(body.get("messages") if kind == "chat" else body.get("prompt"))
            if not body.get("stream"):
                return JSONResponse({"error": "this fake server only streams"}, status_code=400)
            with_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return StreamingResponse(stream(kind, n, len(text.split()), with_usage), media_type="text/event-stream")

        return handle

    return Starlette(routes=[
        Route("/v1/models", models),
        Route("/v1/chat/completions", endpoint("chat"), methods=["POST"]),
        Route("/v1/completions", endpoint("completions"), methods=["POST"]),
    ])


@contextlib.contextmanager
def running(*, ttft_ms: float, itl_ms: float, capacity: int, timeout_s: float = 30.0) -> Iterator[str]:
    """Start the fake server in a child process; yield its base URL; stop it. The child is a ServerProcess, as a
    lab's server is: its own process group, stopped whole, and killed with the thread that started it (a test run
    killed outright leaves no fake server behind)."""
    import httpx

    from gpu_runner.process.servers import ServerProcess, free_port

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = ServerProcess([sys.executable, str(Path(__file__).resolve()), "--port", str(port), "--ttft-ms",
                            str(ttft_ms), "--itl-ms", str(itl_ms), "--capacity", str(capacity)], base_url=base)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if not server.alive():
                raise RuntimeError(f"fake server exited: {server.tail.text()[-2000:]}")
            try:
                if httpx.get(f"{base}/v1/models", timeout=1.0, trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("fake server did not answer /v1/models in time")
            time.sleep(0.1)
        yield base
    finally:
        server.stop()


def main() -> None:
    import uvicorn

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ttft-ms", type=float, required=True)
    ap.add_argument("--itl-ms", type=float, required=True)
    ap.add_argument("--capacity", type=int, required=True)
    args = ap.parse_args()
    app = build_app(args.ttft_ms / 1000, args.itl_ms / 1000, args.capacity)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
