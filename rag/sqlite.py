"""Small SQLite files in the data dir (the commitments ledger, conversations, accounts): one way to open
and write them.

Autocommit connections (``isolation_level=None``: writers say ``BEGIN IMMEDIATE`` themselves), WAL so
readers never wait for a writer, and a busy timeout so two writers queue instead of failing."""

from __future__ import annotations

import sqlite3
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
