"""Work in worker processes at a lower CPU priority than the server's own (the server's drafts).

A draft takes seconds of CPU (its pieces are embedded, searched and scored one by one); an ask takes
tens of milliseconds. Written in the server's threads, a running draft holds the interpreter lock and a
core that the asks queued behind it need, so ask latency under load followed the number of drafts
running. A worker process has its own interpreter lock, and its ``nice`` value lets the kernel give the
cores to the server first: asks stay fast, and a draft takes what CPU is left (docs/design.md "Under
load").

What a worker holds is set up by ``start(*args)`` (``rag.service`` builds a service from the same
settings: another process on the same data dir, as a CLI beside a running server is); each call is a
module-level function, sent by reference.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from rag.errors import Busy

log = logging.getLogger(__name__)
T = TypeVar("T")


class Workers:
    """``call(fn, *args)`` in one of ``workers`` processes at ``nice``, set up by ``start(*start_args)``.

    Processes start on ``start_now()`` (the server calls it at start-up, so the first call does not wait
    for a model to load) or on the first call. A worker that dies (killed, out of memory) is replaced;
    the call it was running is tried once more on a new one.
    """

    def __init__(
        self, start: Callable[..., None], start_args: tuple[Any, ...], workers: int, nice: int
    ) -> None:
        self.start = start
        self.start_args = start_args
        self.workers = max(1, workers)
        self.nice = max(0, nice)
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def start_now(self) -> Future[int]:
        """Start the worker processes; the future (a worker's pid) is done when one of them is ready."""
        return self._executor().submit(os.getpid)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        for attempt in (1, 2):
            pool = self._executor()
            try:
                return pool.submit(fn, *args).result()
            except BrokenProcessPool:
                log.warning("a worker process died; starting a new one (attempt %d)", attempt)
                self._discard(pool)
        raise Busy("后台工作进程意外退出，已重新启动。请稍后重试。", retry_after=10)

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
                    initargs=(self.nice, os.getpid(), self.start, self.start_args),
                )
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)


# -- in the worker process ------------------------------------------------------------------------
def _start_worker(nice: int, parent: int, start: Callable[..., None], args: tuple[Any, ...]) -> None:
    os.nice(nice)
    threading.Thread(target=_exit_with, args=(parent,), name="dafu-parent-watch", daemon=True).start()
    start(*args)


def _exit_with(parent: int) -> None:
    """End this worker when the process that started it is gone (even killed with SIGKILL)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)
