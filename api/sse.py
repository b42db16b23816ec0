"""Server-sent events from the service's streams.

A stream's first item is computed before the response starts, so that bad input, an unknown
conversation or an unreachable model still get their ordinary HTTP status; an error after that is
reported inside the stream.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any, TypeVar

from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

T = TypeVar("T")
_END = object()
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


async def started(stream: Iterator[T]) -> Iterator[T]:
    """``stream`` with its first item already computed (in a worker thread)."""
    first = await run_in_threadpool(next, stream, _END)
    return stream if first is _END else itertools.chain([first], stream)  # type: ignore[list-item]


def event(data: Any, name: str | None = None) -> str:
    """One server-sent event; ``data`` is sent as JSON unless it is a string."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return (f"event: {name}\n" if name else "") + f"data: {payload}\n\n"


def response(events: Iterator[str]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream", headers=HEADERS)
