"""Conversations, their turns and feedback in one SQLite file of the data dir.

WAL journal, one short connection per call and ``BEGIN IMMEDIATE`` for every write: several threads of
one server and several processes (``dafu serve`` beside ``dafu feedback export``) may use the file at
once; a turn's position is allocated inside its write transaction, so two writers never share one.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from rag import sqlite
from rag.chat.model import Conversation, Feedback, Turn
from rag.errors import ConversationNotFound
from rag.types import Answer, Citation

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    idx INTEGER NOT NULL,
    question TEXT NOT NULL,
    resolved TEXT NOT NULL,
    resolved_by TEXT NOT NULL,
    answer TEXT NOT NULL,           -- Answer as JSON, without hits
    letters TEXT NOT NULL,          -- JSON list of doc ids
    created REAL NOT NULL,
    UNIQUE (conversation_id, idx)
);
CREATE TABLE IF NOT EXISTS feedback (
    turn_id TEXT PRIMARY KEY REFERENCES turns(id),
    conversation_id TEXT NOT NULL,
    rating INTEGER NOT NULL,
    comment TEXT NOT NULL,
    question TEXT NOT NULL,
    resolved TEXT NOT NULL,
    answer TEXT NOT NULL,
    found INTEGER NOT NULL,
    citations TEXT NOT NULL,        -- JSON list of Citation
    created REAL NOT NULL
);
"""


def new_id() -> str:
    return uuid.uuid4().hex


class ConversationStore:
    """``create``, ``add_turn``, ``turns``, ``conversation``, ``turn``, ``rate`` and ``feedback``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        sqlite.create(path, _SCHEMA)
        self._kept = sqlite.Kept(path, "synchronous=NORMAL", "foreign_keys=ON")

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._kept.connect()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as con, sqlite.transaction(con):
            yield con

    # -- conversations ---------------------------------------------------------------------------
    def create(self) -> str:
        conversation_id = new_id()
        with self._write() as con:
            con.execute("INSERT INTO conversations VALUES (?, ?)", (conversation_id, time.time()))
        return conversation_id

    def exists(self, conversation_id: str) -> bool:
        with self._connect() as con:
            row = con.execute("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        return row is not None

    def conversation(self, conversation_id: str) -> Conversation:
        with self._connect() as con:
            row = con.execute("SELECT created FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
            if row is None:
                raise _not_found(conversation_id)
            turns = con.execute(
                "SELECT * FROM turns WHERE conversation_id = ? ORDER BY idx", (conversation_id,)
            ).fetchall()
        return Conversation(conversation_id=conversation_id, created=row[0], turns=tuple(map(_turn, turns)))

    def turns(self, conversation_id: str, last: int) -> list[Turn]:
        """The last ``last`` turns of a conversation, oldest first."""
        with self._connect() as con:
            if not con.execute("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)).fetchone():
                raise _not_found(conversation_id)
            rows = con.execute(
                "SELECT * FROM turns WHERE conversation_id = ? ORDER BY idx DESC LIMIT ?",
                (conversation_id, last),
            ).fetchall()
        return [_turn(row) for row in reversed(rows)]

    def add_turn(
        self,
        conversation_id: str,
        *,
        turn_id: str,
        question: str,
        resolved: str,
        resolved_by: str,
        answer: Answer,
        letters: tuple[str, ...],
        new: bool = False,
    ) -> Turn:
        """Append a turn; ``new``: the turn opens the conversation ``conversation_id`` (made here, so a
        failed first answer leaves no empty conversation behind)."""
        stored = answer.model_copy(update={"hits": ()})
        created = time.time()
        with self._write() as con:
            if new:
                con.execute("INSERT INTO conversations VALUES (?, ?)", (conversation_id, created))
            elif not con.execute("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)).fetchone():
                raise _not_found(conversation_id)
            (index,) = con.execute(
                "SELECT COALESCE(MAX(idx) + 1, 0) FROM turns WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()
            con.execute(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (turn_id, conversation_id, index, question, resolved, resolved_by,
                 stored.model_dump_json(), json.dumps(list(letters)), created),
            )  # fmt: skip
        return Turn(
            turn_id=turn_id, conversation_id=conversation_id, index=index, question=question,
            resolved=resolved, resolved_by=resolved_by, answer=answer, letters=letters, created=created,
        )  # fmt: skip

    def turn(self, turn_id: str) -> Turn:
        with self._connect() as con:
            row = con.execute("SELECT * FROM turns WHERE id = ?", (turn_id,)).fetchone()
        if row is None:
            raise ConversationNotFound(
                f"没有编号为“{turn_id}”的回答。请使用提问时返回的 turn_id（或 chat completions 返回的 id）。"
            )
        return _turn(row)

    # -- feedback --------------------------------------------------------------------------------
    def rate(self, turn_id: str, rating: int, comment: str) -> Feedback:
        """Record 👍/👎 on a turn; rating again replaces the earlier rating and comment."""
        turn = self.turn(turn_id)
        feedback = Feedback(
            turn_id=turn.turn_id, conversation_id=turn.conversation_id, rating=rating, comment=comment,
            question=turn.question, resolved=turn.resolved, answer=turn.answer.answer,
            found=turn.answer.found, citations=turn.answer.citations, created=time.time(),
        )  # fmt: skip
        citations = json.dumps([c.model_dump() for c in feedback.citations], ensure_ascii=False)
        with self._write() as con:
            con.execute(
                "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (feedback.turn_id, feedback.conversation_id, rating, comment, feedback.question,
                 feedback.resolved, feedback.answer, int(feedback.found), citations, feedback.created),
            )  # fmt: skip
        return feedback

    def feedback(self) -> list[Feedback]:
        with self._connect() as con:
            rows = con.execute("SELECT * FROM feedback ORDER BY created").fetchall()
        return [
            Feedback(
                turn_id=r[0],
                conversation_id=r[1],
                rating=r[2],
                comment=r[3],
                question=r[4],
                resolved=r[5],
                answer=r[6],
                found=bool(r[7]),
                citations=tuple(Citation.model_validate(c) for c in json.loads(r[8])),
                created=r[9],
            )  # fmt: skip
            for r in rows
        ]


def _turn(row: tuple[object, ...]) -> Turn:
    turn_id, conversation_id, index, question, resolved, resolved_by, answer, letters, created = row
    return Turn(
        turn_id=str(turn_id), conversation_id=str(conversation_id), index=int(str(index)),
        question=str(question), resolved=str(resolved), resolved_by=str(resolved_by),
        answer=Answer.model_validate_json(str(answer)), letters=tuple(json.loads(str(letters))),
        created=float(str(created)),
    )  # fmt: skip


def _not_found(conversation_id: str) -> ConversationNotFound:
    return ConversationNotFound(
        f"没有编号为“{conversation_id}”的对话（可能已过期或编号有误）。请不带 conversation_id 重新开始一个新对话。"
    )
