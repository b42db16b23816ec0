"""Bounded worker slots per kind of request, so that a few slow drafts never starve asks and searches.

Each kind (ask, search, draft) has its own slots and its own waiting line. A request takes a slot or
waits in line; when the line is full, or it waited ``wait`` seconds, it is refused with ``Busy`` (HTTP
503 with Retry-After) rather than left to wait without bound.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

from rag.errors import Busy

_WHAT = {"ask": "问答", "search": "检索", "draft": "起草"}


@dataclass(frozen=True)
class GateStats:
    running: int
    waiting: int


class Gate:
    """``with gate.admit(): ...`` runs at most ``workers`` callers at once; at most ``queue`` wait."""

    def __init__(self, kind: str, workers: int, queue: int, wait: float) -> None:
        self.kind = kind
        self.workers = max(1, workers)
        self.queue = max(0, queue)
        self.wait = wait
        self._slots = threading.BoundedSemaphore(self.workers)
        self._lock = threading.Lock()
        self._waiting = 0
        self._running = 0

    @contextmanager
    def admit(self) -> Iterator[None]:
        with self._lock:
            if self._waiting >= self.queue and self._running >= self.workers:
                raise self._busy()
            self._waiting += 1
        try:
            acquired = self._slots.acquire(timeout=self.wait)
        finally:
            with self._lock:
                self._waiting -= 1
        if not acquired:
            raise self._busy()
        with self._lock:
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
            self._slots.release()

    def stats(self) -> GateStats:
        with self._lock:
            return GateStats(self._running, self._waiting)

    def _busy(self) -> Busy:
        what = _WHAT.get(self.kind, self.kind)
        retry = 2 if self.kind != "draft" else 10
        return Busy(
            f"{what}请求过多，服务正忙（{self.workers} 个在处理，{self.queue} 个在排队）。请 {retry} 秒后重试。",
            retry_after=retry,
        )


class Gates:
    """One ``Gate`` per kind."""

    def __init__(self, workers: dict[str, int], queue: int, wait: dict[str, float]) -> None:
        self._gates = {kind: Gate(kind, n, queue, wait[kind]) for kind, n in workers.items()}

    def admit(self, kind: str) -> AbstractContextManager[None]:
        return self._gates[kind].admit()

    def stats(self) -> dict[str, GateStats]:
        return {kind: gate.stats() for kind, gate in self._gates.items()}
