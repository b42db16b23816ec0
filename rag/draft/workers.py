"""Drafts written in worker processes at a lower CPU priority than the server's own.

A draft takes seconds of CPU (its pieces are embedded, searched and scored one by one); an ask takes
tens of milliseconds. Written in the server's threads, a running draft holds the interpreter lock and a
core that the asks queued behind it need, so ask latency under load followed the number of drafts
running. A worker process has its own interpreter lock, and its ``nice`` value lets the kernel give the
cores to the server first: asks stay fast, and a draft takes what CPU is left (docs/design.md "Under
load").

Each worker is another process on the same data dir, as a CLI beside a running server is: it builds its
own service from the same settings, reads only what is committed (``IndexGuard``) and sees only what the
caller may see (the caller's ``Principal`` travels with each draft). The server keeps admission, audit
and input checks; the worker only writes the draft.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from rag.access.model import Principal
from rag.draft.model import Draft
from rag.draft.proposal import Proposal
from rag.errors import Busy
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.service import DafuService

log = logging.getLogger(__name__)

_service: DafuService | None = None  # in a worker process: the service its drafts are written with


class DraftWorkers:
    """``draft(who, proposal, top_k, mode) -> Draft`` in one of ``workers`` processes at ``nice``.

    Processes start on ``start()`` (the server calls it at start-up, so the first draft does not wait
    for a model to load) or on the first draft. A worker that dies (killed, out of memory) is replaced;
    the draft it was writing is tried once more on a new one.
    """

    def __init__(self, settings: Settings, workers: int, nice: int) -> None:
        # The workers write their drafts in their own threads: a worker must not start workers itself.
        self.settings = settings.model_copy(update={"draft_isolation": False})
        self.workers = max(1, workers)
        self.nice = max(0, nice)
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> Future[int]:
        """Start the worker processes; the future is done when one of them is ready."""
        return self._executor().submit(_ready)

    def draft(self, who: Principal, proposal: Proposal, top_k: int, mode: str) -> Draft:
        for attempt in (1, 2):
            pool = self._executor()
            try:
                return pool.submit(_draft, who, proposal, top_k, mode).result()
            except BrokenProcessPool:
                log.warning("a draft worker process died; starting a new one (attempt %d)", attempt)
                self._discard(pool)
        raise Busy("起草进程意外退出，已重新启动。请稍后重试。", retry_after=10)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(self.settings, self.nice, os.getpid()),
                )
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)


# -- in the worker process ------------------------------------------------------------------------
def _start_worker(settings: Settings, nice: int, parent: int) -> None:
    global _service
    from rag.service import build_service

    os.nice(nice)
    threading.Thread(target=_exit_with, args=(parent,), name="dafu-parent-watch", daemon=True).start()
    _service = build_service(settings)


def _exit_with(parent: int) -> None:
    """End this worker when the server that started it is gone (even killed with SIGKILL)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _ready() -> int:
    return os.getpid()


def _draft(who: Principal, proposal: Proposal, top_k: int, mode: str) -> Draft:
    assert _service is not None, "draft worker not started"
    return _service.acting_as(who)._write_draft(proposal, top_k, mode)
