"""Small SQLite files in the data dir (the commitments ledger, conversations, accounts): one way to open
and write them.

Autocommit connections (``isolation_level=None``: writers say ``BEGIN IMMEDIATE`` themselves), WAL so
readers never wait for a writer, and a busy timeout so two writers queue instead of failing. Files read
on every request (accounts, conversations) keep one connection per thread (``Kept``): opening one cost as
much as the statements it ran."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

BUSY_SECONDS = 30.0


def create(path: Path, schema: str) -> None:
    """Make the file (and its folder) with ``schema`` if it is not there; switch it to WAL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with connect(path) as con:
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript(schema)


@contextmanager
def connect(path: Path, *pragmas: str) -> Iterator[sqlite3.Connection]:
    """One short-lived connection, closed at the end; ``pragmas`` are run first ("foreign_keys=ON")."""
    with closing(sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)) as con:
        for pragma in pragmas:
            con.execute(f"PRAGMA {pragma}")
        yield con


class Kept:
    """One connection per thread to ``path``, opened on the thread's first use and kept until the thread
    or this object is gone (the connection closes when it is garbage-collected).

    Autocommit, so no transaction stays open between uses and other processes' writes are seen at once;
    ``transaction`` rolls back on any error, so a kept connection is never left inside one.
    """

    def __init__(self, path: Path, *pragmas: str) -> None:
        self.path = path
        self.pragmas = pragmas
        self._local = threading.local()

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
            for pragma in self.pragmas:
                con.execute(f"PRAGMA {pragma}")
            self._local.con = con
        yield con


@contextmanager
def transaction(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` (writers queue on the busy timeout), ``COMMIT`` at the end, ``ROLLBACK`` on
    any error."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
