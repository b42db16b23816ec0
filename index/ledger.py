"""The commitments of the committed letters, in one SQLite file of the data dir.

Commitments are derived from the store, as the lexical index is: ``sync(store)`` makes the ledger hold
exactly the commitments of the committed document versions — a letter added or re-ingested gets its
commitments extracted, a deleted one loses them, a failed ingest changes no committed version and so
nothing here. It runs after every write and at start-up (``IndexGuard``, always holding the data dir's
write lock, never from a reader pinned to an older state), inside one SQLite transaction, so a process
killed half-way leaves the previous state and the next sync completes it.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from pathlib import Path

from index.commitments import EXTRACTOR_VERSION, extract_commitments
from index.store import ChromaStore, fingerprint_of
from index.visibility import unrestricted
from rag import sqlite
from rag.types import Commitment

_SCHEMA = """
CREATE TABLE IF NOT EXISTS letters (
    doc_id TEXT PRIMARY KEY,
    version TEXT NOT NULL,       -- the committed version the commitments were read from
    extractor TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS commitments (
    id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES letters(doc_id),
    ordinal INTEGER NOT NULL,
    body TEXT NOT NULL           -- the Commitment as JSON
);
CREATE INDEX IF NOT EXISTS commitments_doc ON commitments(doc_id);
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


class CommitmentStore:
    """``sync(store)``, ``commitments()``, ``fingerprint``; one file per store namespace."""

    def __init__(self, path: Path) -> None:
        self.path = path
        sqlite.create(path, _SCHEMA)

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite.connect(self.path)

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the committed versions the ledger was last synced to ("" before)."""
        with self._connect() as con:
            row = con.execute("SELECT value FROM state WHERE key = 'fingerprint'").fetchone()
        return str(row[0]) if row else ""

    def sync(self, store: ChromaStore) -> bool:
        """Match the store's committed versions; True when anything changed."""
        versions = store.versions()
        fingerprint = f"{EXTRACTOR_VERSION}:{fingerprint_of(versions)}"
        if fingerprint == self.fingerprint:
            return False
        with self._connect() as con, sqlite.transaction(con):
            held = con.execute("SELECT doc_id, version, extractor FROM letters").fetchall()
            kept = set()
            for doc_id, version, extractor in held:
                if versions.get(doc_id) == version and extractor == EXTRACTOR_VERSION:
                    kept.add(doc_id)
                    continue
                con.execute("DELETE FROM commitments WHERE doc_id = ?", (doc_id,))
                con.execute("DELETE FROM letters WHERE doc_id = ?", (doc_id,))
            for doc_id, version in sorted(versions.items()):
                if doc_id in kept:
                    continue
                with unrestricted():  # every letter's commitments, whoever's read triggered the sync
                    doc = store.get_document(doc_id)
                if doc is None:  # deleted by another process since the versions were read
                    continue
                found = extract_commitments(doc_id, version, doc.text, doc.meta)
                con.execute(
                    "INSERT INTO letters (doc_id, version, extractor) VALUES (?, ?, ?)",
                    (doc_id, version, EXTRACTOR_VERSION),
                )
                con.executemany(
                    "INSERT INTO commitments (id, doc_id, ordinal, body) VALUES (?, ?, ?, ?)",
                    [(c.commitment_id, doc_id, i, c.model_dump_json()) for i, c in enumerate(found)],
                )
            con.execute("INSERT OR REPLACE INTO state (key, value) VALUES ('fingerprint', ?)", (fingerprint,))
        return True

    def commitments(self, doc_id: str | None = None) -> list[Commitment]:
        """Every commitment (of one letter when ``doc_id``), by letter and reading order."""
        query = "SELECT body FROM commitments"
        args: tuple[str, ...] = ()
        if doc_id is not None:
            query, args = query + " WHERE doc_id = ?", (doc_id,)
        with self._connect() as con:
            rows = con.execute(query + " ORDER BY doc_id, ordinal", args).fetchall()
        return [Commitment.model_validate_json(body) for (body,) in rows]
