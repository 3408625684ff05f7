"""Reference client for the serving lab's clock: a streamed OpenAI-compatible request written and read on a
bare asyncio stream (no HTTP library), so what it reads is what the server and the loopback network took.

One keep-alive HTTP/1.1 connection; the request is framed by hand and written in one call; the clock starts
right before that write. The response's chunked transfer encoding is undone by hand and each piece is
timestamped as it is read; an SSE event (`data: ...` ended by a blank line) counts at the arrival of the piece
that completes it. TTFT is the first event whose choice carries text (as the lab counts it), E2EL the last
such event, TPOT (E2EL - TTFT) / (text events - 1).

    from raw_sse_client import RawClient
    async with RawClient("http://127.0.0.1:8000") as raw:
        timing = await raw.request("/v1/chat/completions", body_bytes)
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit


def _text(event: dict[str, Any]) -> str:
    choices = event.get("choices") or []
    if not choices:
        return ""
    delta = choices[0].get("delta")
    return (delta.get("content") if isinstance(delta, dict) else choices[0].get("text")) or ""


class RawClient:
    """One keep-alive connection to an OpenAI-compatible server; requests one after another."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> RawClient:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()

    async def _pieces(self, headers: dict[str, str]):  # noqa: ANN202 - an async generator of (bytes, time)
        assert self.reader is not None
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()  # the blank line after the last chunk (no trailers)
                    return
                data = await self.reader.readexactly(size)
                now = time.perf_counter()
                await self.reader.readexactly(2)
                yield data, now
        else:
            left = int(headers.get("content-length", "0"))
            while left > 0:
                data = await self.reader.read(min(left, 65536))
                if not data:
                    return
                left -= len(data)
                yield data, time.perf_counter()

    async def request(self, path: str, body: bytes) -> dict[str, Any]:
        """Send one streamed request; return its timing in seconds from the first byte written."""
        assert self.reader is not None and self.writer is not None
        head = (f"POST {path} HTTP/1.1\r\nhost: {self.host}:{self.port}\r\ncontent-type: application/json\r\n"
                f"content-length: {len(body)}\r\n\r\n").encode()
        message = head + body
        written = time.perf_counter()
        self.writer.write(message)
        status = await self.reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(f"server answered {status!r}")
        headers: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        buffer, first, last, events = b"", None, None, 0
        async for data, now in self._pieces(headers):
            buffer += data
            while b"\n\n" in buffer:
                event, buffer = buffer.split(b"\n\n", 1)
                line = event.strip()
                if not line.startswith(b"data:") or line[5:].strip() == b"[DONE]":
                    continue
                if _text(json.loads(line[5:])):
                    first = now if first is None else first
                    last = now
                    events += 1
        if first is None or last is None:
            raise RuntimeError("the stream ended without a chunk carrying text")
        ttft, e2el = first - written, last - written
        return {"ttft": ttft, "e2el": e2el, "tpot": (e2el - ttft) / (events - 1) if events > 1 else None,
                "events": events}
