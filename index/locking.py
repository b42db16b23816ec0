"""One writer at a time per data dir, across threads and processes, and a generation token that tells
readers in other processes that the index changed.

``WriteLock`` is a thread lock plus an ``fcntl.flock`` on ``<data_dir>/write.lock``: a writer holds
both for a whole write (an upload, a delete, a batch ingest). The kernel releases the file lock when a
process dies, even by ``kill -9``, so a crashed writer never blocks the next one.

``Generation`` is a small file rewritten atomically by every writer: ``writing <token>`` when a write
starts, ``settled <token>`` when it completed, ``failed <token>`` when it ended by an error (``clean
<token>``: an earlier release's end, or start-up's collection, with nothing said of the outcome). A
process that reads a token other than the one it last saw re-reads the index. Only a ``settled``
token says that no write left chunks behind: after any other (a writer died mid-way, or failed, or
nobody knows), the next writer, and start-up, collect the leftovers.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag.errors import Busy

_POLL = 0.05


class WriteLock:
    """``with lock.hold(timeout): ...``; ``Busy`` when another writer keeps it longer than ``timeout``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread = threading.Lock()

    @contextmanager
    def hold(self, timeout: float | None = None) -> Iterator[None]:
        deadline = None if timeout is None else time.monotonic() + timeout
        if timeout is None:
            acquired = self._thread.acquire()
        elif timeout <= 0:
            acquired = self._thread.acquire(blocking=False)
        else:
            acquired = self._thread.acquire(timeout=timeout)
        if not acquired:
            raise _busy()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                _flock(fd, deadline)
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
        finally:
            self._thread.release()


def _flock(fd: int, deadline: float | None) -> None:
    if deadline is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise _busy() from None
            time.sleep(_POLL)


def _busy() -> Busy:
    return Busy(
        "另一个写入（上传、删除或 dafu ingest）正在进行，请稍候几秒后重试。",
        retry_after=5,
    )


class Generation:
    """The token of the last write to a data dir (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return ""

    @staticmethod
    def settled(token: str) -> bool:
        """Whether ``token`` says the last write completed, after which nothing is left to collect."""
        return token.startswith("settled ")

    def begin(self) -> bool:
        """Mark a write as started (hold the write lock); True when the previous write may have left
        chunks behind (its writer died mid-way or failed, or an earlier release does not say)."""
        unsettled = not self.settled(self.read())
        self._write(f"writing {uuid.uuid4().hex}")
        return unsettled

    def end(self, outcome: str = "clean") -> str:
        """Mark the write as ended: ``settled`` (it completed, nothing left behind), ``failed``, or
        ``clean`` (nothing said)."""
        assert outcome in ("settled", "failed", "clean")
        token = f"{outcome} {uuid.uuid4().hex}"
        self._write(token)
        return token

    def _write(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.path)
