"""The data dir's small SQLite files: kept per-thread connections see every write at once and are never
left inside a transaction."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from rag import sqlite

SCHEMA = "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER NOT NULL);"


def test_one_kept_connection_per_thread(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite"
    sqlite.create(path, SCHEMA)
    kept = sqlite.Kept(path, "synchronous=NORMAL")
    with kept.connect() as first, kept.connect() as again:
        assert first is again
    seen: list[object] = []

    def other() -> None:
        with kept.connect() as con:
            seen.append(con)
            con.execute("INSERT INTO t VALUES ('b', 2)")

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen and seen[0] is not first
    # Autocommit: the other thread's write is visible here at once, as is another process's.
    with kept.connect() as con:
        assert con.execute("SELECT v FROM t WHERE k = 'b'").fetchone() == (2,)
    with sqlite.connect(path) as outside, sqlite.transaction(outside):
        outside.execute("INSERT INTO t VALUES ('c', 3)")
    with kept.connect() as con:
        assert con.execute("SELECT count(*) FROM t").fetchone() == (2,)


def test_a_failed_write_leaves_the_kept_connection_outside_any_transaction(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite"
    sqlite.create(path, SCHEMA)
    kept = sqlite.Kept(path)
    with pytest.raises(sqlite3.IntegrityError), kept.connect() as con, sqlite.transaction(con):
        con.execute("INSERT INTO t VALUES ('a', 1)")
        con.execute("INSERT INTO t VALUES ('a', 2)")  # primary key taken
    with kept.connect() as con:
        assert not con.in_transaction
        assert con.execute("SELECT count(*) FROM t").fetchone() == (0,)
    # Another writer is not blocked by a transaction left open here.
    with sqlite.connect(path) as outside, sqlite.transaction(outside):
        outside.execute("INSERT INTO t VALUES ('z', 9)")
