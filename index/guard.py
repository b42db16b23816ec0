"""Several processes on one data dir (``dafu serve`` beside ``dafu ingest`` or ``dafu rm``): writers take
turns, and every process sees the others' writes.

- ``writing()`` holds the data dir's write lock for a whole write. Before writing it brings this
  process up to date with what others wrote, and collects the leftovers of a writer that died mid-way;
  after writing it persists the lexical index and publishes a new generation token.
- ``refresh()`` is called before every read: one small file read. When the token changed, the process
  catches up (vector indexes, committed versions, lexical index) if no writer is at work; otherwise it
  keeps serving the last committed state it has and looks again on the next read.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from index.lexical import LexicalIndex
from index.locking import Generation, WriteLock
from index.store import ChromaStore
from index.visibility import unrestricted
from rag.errors import Busy

log = logging.getLogger(__name__)


class IndexGuard:
    """``poll_seconds``: also look at the store's write token this often (a Chroma server may be written
    by processes that do not share this data dir); ``None`` = rely on the generation token only."""

    def __init__(
        self,
        data_dir: Path,
        store: ChromaStore,
        lexical: LexicalIndex,
        *,
        poll_seconds: float | None = None,
        derived: Sequence[Callable[[ChromaStore], object]] = (),
    ) -> None:
        """``derived``: other indexes kept in step with the store after every write (the ledger)."""
        self.store = store
        self.lexical = lexical
        self.derived = tuple(derived)
        self.lock = WriteLock(data_dir / "write.lock")
        self.generation = Generation(data_dir / "generation")
        self.poll_seconds = poll_seconds
        self._seen: str | None = None
        self._store_seen: str | None = None  # the store's write token last caught up with (polling)
        self._refreshing = threading.Lock()
        self._last_poll = time.monotonic()

    def start(self, wait: float = 10.0) -> None:
        """At start-up: collect leftovers of interrupted writes and load or rebuild the lexical index.
        When another process is writing, only load what is committed, without writing."""
        try:
            with self.lock.hold(wait):
                self._seen = self.generation.read()
                # A store opened earlier in this process (Chroma keeps one per path) may be behind.
                self.store.catch_up()
                # Reading every chunk id costs seconds at 100k chunks: only when the last write did not
                # say it completed (a writer died or failed, or an earlier release wrote the token).
                # Start-up does not mark the data dir settled itself: the next write does.
                if not self.generation.settled(self._seen) and self.store.collect_garbage():
                    self.generation.begin()  # other processes must drop those chunks too
                    self._seen = self.generation.end()
                self._sync_written()
        except Busy:
            log.info("another process is writing the index; starting from what is committed")
            self.lexical.sync(self.store)

    @contextmanager
    def writing(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the write lock (``Busy`` after ``timeout`` seconds) around a write."""
        with self.lock.hold(timeout), self.lexical.unpinned():
            seen = self.generation.read()
            unsettled = self.generation.begin()
            with self._written(catch_up=seen != self._seen, collect=unsettled):
                yield

    def refresh(self) -> None:
        """Pick up other processes' writes, if any, without ever waiting for a writer."""
        token = self.generation.read()
        store_token = self._store_token_due()
        if token == self._seen and (store_token is None or store_token == self._store_seen):
            return
        if not self._refreshing.acquire(blocking=False):
            return  # another thread is at it; this read uses the current state
        try:
            with self.lock.hold(0):
                token = self.generation.read()
                if token.startswith("writing"):  # its writer died: clean up as the next writer would
                    with self._own_write():
                        pass
                    return
                if token != self._seen:
                    self.store.catch_up()
                self.store.forget_versions()
                # Derived indexes hold every letter, whoever's read got here; a store shared through a
                # Chroma server may have changed them too.
                with unrestricted():
                    self.lexical.sync(self.store)
                    for index in self.derived:
                        index(self.store)
                self._seen = token
                if store_token is not None:
                    self._store_seen = store_token
        except Busy:
            pass  # a writer is at work: serve the last committed state, look again on the next read
        finally:
            self._refreshing.release()

    @contextmanager
    def _own_write(self) -> Iterator[None]:
        """The body of ``writing`` for a caller that already holds the lock (a dead writer's clean-up)."""
        self.generation.begin()
        with self._written(catch_up=True, collect=True):
            yield

    @contextmanager
    def _written(self, *, catch_up: bool, collect: bool) -> Iterator[None]:
        """A write begun in ``generation``: catch up with other processes' writes and collect an
        interrupted write's leftovers when asked, then publish what was committed and end it."""
        if catch_up:
            self.store.catch_up()
        if collect:
            self.store.collect_garbage()
        # The store's cached versions follow its own commits; other writers of this data dir were
        # caught up with above, but replicas on a Chroma server do not take this lock.
        shared = self.poll_seconds is not None
        if shared:
            self.store.forget_versions()
        completed = False
        try:
            yield
            completed = True
        except BaseException:
            self.store.forget_versions()
            raise
        finally:
            # Also after a failed write: what it committed before failing is published, and the next
            # writer (or start-up) collects what it may have left.
            if shared:
                self.store.forget_versions()
            self._sync_written()
            self._seen = self.generation.end("settled" if completed else "failed")

    def _sync_written(self) -> None:
        if self.poll_seconds is not None:
            self._store_seen = self.store.write_token()
        with unrestricted():
            self.lexical.sync(self.store, persist=True)
            for index in self.derived:
                index(self.store)

    def _store_token_due(self) -> str | None:
        """The store's write token when a poll is due (one small read), else None."""
        if self.poll_seconds is None:
            return None
        now = time.monotonic()
        if now - self._last_poll < self.poll_seconds:
            return None
        self._last_poll = now
        return self.store.write_token()
