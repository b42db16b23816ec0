"""Users, keys, UI sessions, document labels, conversation owners and the audit trail in one SQLite
file of the data dir (``accounts.sqlite3``).

WAL journal and one short connection per call, as the conversation store: the server's threads, a
second server and ``dafu users`` may use the file at once. The audit table is append-only: triggers
refuse every UPDATE and DELETE on it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from rag import sqlite
from rag.access.model import AuditEntry, AuditQuery, Role, User

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    groups TEXT NOT NULL,           -- JSON list
    active INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS keys (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users(name),
    salt BLOB NOT NULL,
    hash BLOB NOT NULL,
    active INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    digest TEXT PRIMARY KEY,        -- SHA-256 of the cookie's token
    user TEXT NOT NULL REFERENCES users(name),
    key_id TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS labels (
    doc_id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS owners (
    conversation_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    user TEXT NOT NULL,
    key_id TEXT NOT NULL,
    via TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"""


class AccessStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        sqlite.create(path, _SCHEMA)
        self._kept = sqlite.Kept(path, "synchronous=NORMAL")

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._kept.connect()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as con, sqlite.transaction(con):
            yield con

    # -- users -------------------------------------------------------------------------------------
    def has_users(self) -> bool:
        with self._connect() as con:
            return con.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def has_admin(self) -> bool:
        with self._connect() as con:
            row = con.execute(
                "SELECT 1 FROM users WHERE role = ? AND active = 1 LIMIT 1", (Role.ADMIN.value,)
            ).fetchone()
        return row is not None

    def add_user(self, name: str, role: Role, groups: tuple[str, ...]) -> bool:
        """False when the name is taken."""
        with self._write() as con:
            if con.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                return False
            con.execute(
                "INSERT INTO users VALUES (?, ?, ?, 1, ?)",
                (name, role.value, json.dumps(list(groups), ensure_ascii=False), time.time()),
            )
        return True

    def user(self, name: str) -> User | None:
        with self._connect() as con:
            row = con.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
            keys = con.execute(
                "SELECT id FROM keys WHERE user = ? AND active = 1 ORDER BY created", (name,)
            ).fetchall()
        return _user(row, [k[0] for k in keys]) if row else None

    def users(self) -> list[User]:
        with self._connect() as con:
            rows = con.execute("SELECT * FROM users ORDER BY name").fetchall()
            keys = con.execute("SELECT user, id FROM keys WHERE active = 1 ORDER BY created").fetchall()
        by_user: dict[str, list[str]] = {}
        for user, key_id in keys:
            by_user.setdefault(user, []).append(key_id)
        return [_user(r, by_user.get(r[0], [])) for r in rows]

    def update_user(
        self, name: str, *, role: Role | None = None, groups: tuple[str, ...] | None = None,
        active: bool | None = None,
    ) -> None:  # fmt: skip
        with self._write() as con:
            if role is not None:
                con.execute("UPDATE users SET role = ? WHERE name = ?", (role.value, name))
            if groups is not None:
                con.execute(
                    "UPDATE users SET groups = ? WHERE name = ?",
                    (json.dumps(list(groups), ensure_ascii=False), name),
                )
            if active is not None:
                con.execute("UPDATE users SET active = ? WHERE name = ?", (int(active), name))
                if not active:
                    con.execute("DELETE FROM sessions WHERE user = ?", (name,))

    # -- keys and sessions -------------------------------------------------------------------------
    def add_key(self, user: str, key_id: str, salt: bytes, digest: bytes) -> None:
        with self._write() as con:
            con.execute(
                "INSERT INTO keys VALUES (?, ?, ?, ?, 1, ?)", (key_id, user, salt, digest, time.time())
            )

    def key(self, key_id: str) -> tuple[str, bytes, bytes, bool] | None:
        """(user, salt, hash, active) of a key id."""
        with self._connect() as con:
            row = con.execute("SELECT user, salt, hash, active FROM keys WHERE id = ?", (key_id,)).fetchone()
        return (str(row[0]), bytes(row[1]), bytes(row[2]), bool(row[3])) if row else None

    def disable_keys(self, user: str, key_id: str | None = None) -> int:
        """Disable one key of a user, or all of them; their UI sessions end too."""
        with self._write() as con:
            if key_id is None:
                cur = con.execute("UPDATE keys SET active = 0 WHERE user = ? AND active = 1", (user,))
                con.execute("DELETE FROM sessions WHERE user = ?", (user,))
            else:
                cur = con.execute(
                    "UPDATE keys SET active = 0 WHERE user = ? AND id = ? AND active = 1", (user, key_id)
                )
                con.execute("DELETE FROM sessions WHERE key_id = ?", (key_id,))
        return cur.rowcount

    def add_session(self, digest: str, user: str, key_id: str, expires: float) -> None:
        now = time.time()
        with self._write() as con:
            con.execute("DELETE FROM sessions WHERE expires < ?", (now,))
            con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)", (digest, user, key_id, now, expires))

    def session(self, digest: str) -> tuple[str, str] | None:
        """(user, key id) of a session that has not expired."""
        with self._connect() as con:
            row = con.execute(
                "SELECT user, key_id FROM sessions WHERE digest = ? AND expires > ?", (digest, time.time())
            ).fetchone()
        return (str(row[0]), str(row[1])) if row else None

    def end_session(self, digest: str) -> tuple[str, str] | None:
        with self._write() as con:
            row = con.execute("SELECT user, key_id FROM sessions WHERE digest = ?", (digest,)).fetchone()
            con.execute("DELETE FROM sessions WHERE digest = ?", (digest,))
        return (str(row[0]), str(row[1])) if row else None

    # -- labels and owners -------------------------------------------------------------------------
    def labels(self) -> dict[str, str]:
        with self._connect() as con:
            return dict(con.execute("SELECT doc_id, label FROM labels").fetchall())

    def label(self, doc_id: str) -> str | None:
        with self._connect() as con:
            row = con.execute("SELECT label FROM labels WHERE doc_id = ?", (doc_id,)).fetchone()
        return str(row[0]) if row else None

    def set_label(self, doc_id: str, label: str | None, by: str) -> None:
        """``None`` removes the document's own label (it then has the default one)."""
        with self._write() as con:
            if label is None:
                con.execute("DELETE FROM labels WHERE doc_id = ?", (doc_id,))
            else:
                con.execute(
                    "INSERT OR REPLACE INTO labels VALUES (?, ?, ?, ?)", (doc_id, label, by, time.time())
                )

    def set_owner(self, conversation_id: str, owner: str) -> None:
        with self._write() as con:
            con.execute("INSERT OR IGNORE INTO owners VALUES (?, ?)", (conversation_id, owner))

    def owner(self, conversation_id: str) -> str | None:
        with self._connect() as con:
            row = con.execute(
                "SELECT owner FROM owners WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()
        return str(row[0]) if row else None

    # -- audit -------------------------------------------------------------------------------------
    def record(self, entry: AuditEntry) -> None:
        with self._write() as con:
            con.execute(
                "INSERT INTO audit (at, user, key_id, via, action, target, detail, outcome) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (entry.at, entry.user, entry.key_id, entry.via, entry.action, entry.target, entry.detail,
                 entry.outcome),
            )  # fmt: skip

    def audit(self, query: AuditQuery) -> list[AuditEntry]:
        """Newest first."""
        where: list[str] = []
        args: list[object] = []
        if query.user:
            where.append("user = ?")
            args.append(query.user)
        if query.action:
            where.append("action = ?")
            args.append(query.action)
        if query.text:
            where.append("(instr(target, ?) > 0 OR instr(detail, ?) > 0)")
            args += [query.text, query.text]
        if query.since is not None:
            where.append("at >= ?")
            args.append(query.since)
        if query.until is not None:
            where.append("at < ?")
            args.append(query.until)
        sql = "SELECT * FROM audit" + (" WHERE " + " AND ".join(where) if where else "")
        with self._connect() as con:
            rows = con.execute(sql + " ORDER BY seq DESC LIMIT ?", (*args, query.limit)).fetchall()
        return [
            AuditEntry(
                seq=r[0],
                at=r[1],
                user=r[2],
                key_id=r[3],
                via=r[4],
                action=r[5],
                target=r[6],
                detail=r[7],
                outcome=r[8],
            )  # fmt: skip
            for r in rows
        ]


def _user(row: tuple[object, ...], keys: list[str]) -> User:
    name, role, groups, active, created = row
    return User(
        name=str(name), role=Role(str(role)), groups=tuple(json.loads(str(groups))), active=bool(active),
        created=float(str(created)), keys=tuple(keys),
    )  # fmt: skip
