"""The conversation store: a real SQLite file, reopened as after a restart, written by several threads
and several processes at once."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest

from rag.chat.store import ConversationStore, new_id
from rag.errors import ConversationNotFound
from rag.types import Answer, Citation

CITATION = Citation(
    doc_id="001", doc_number="温科提复〔2024〕126号", title="答复函", section="答复", quote="引进注册企业216家",
    start=10, end=19, score=0.9,
)  # fmt: skip
ANSWER = Answer(answer="引进注册企业216家[1]", found=True, citations=(CITATION,), support=0.8)


def add(store: ConversationStore, conversation_id: str, question: str, *, new: bool = False) -> str:
    turn_id = new_id()
    store.add_turn(
        conversation_id, turn_id=turn_id, question=question, resolved=f"完整的{question}", resolved_by="rules",
        answer=ANSWER, letters=("001",), new=new,
    )  # fmt: skip
    return turn_id


def test_turns_and_feedback_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "chat.sqlite3"
    store = ConversationStore(path)
    conversation_id = new_id()
    first = add(store, conversation_id, "问题一", new=True)
    add(store, conversation_id, "问题二")
    store.rate(first, -1, "数字不对")

    reopened = ConversationStore(path)
    conversation = reopened.conversation(conversation_id)
    assert [t.question for t in conversation.turns] == ["问题一", "问题二"]
    assert [t.index for t in conversation.turns] == [0, 1]
    turn = conversation.turns[0]
    assert turn.resolved == "完整的问题一" and turn.letters == ("001",)
    assert turn.answer.citations == (CITATION,) and turn.answer.hits == ()
    [feedback] = reopened.feedback()
    assert (feedback.turn_id, feedback.rating, feedback.comment) == (first, -1, "数字不对")
    assert feedback.question == "问题一" and feedback.answer == ANSWER.answer
    assert feedback.citations == (CITATION,)
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_rating_again_replaces_the_rating(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "chat.sqlite3")
    turn_id = add(store, new_id(), "问题", new=True)
    store.rate(turn_id, -1, "")
    store.rate(turn_id, 1, "其实是对的")
    assert [(f.rating, f.comment) for f in store.feedback()] == [(1, "其实是对的")]


def test_the_window_is_the_latest_turns(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "chat.sqlite3")
    conversation_id = new_id()
    for n in range(10):
        add(store, conversation_id, f"问题{n}", new=n == 0)
    assert [t.question for t in store.turns(conversation_id, 3)] == ["问题7", "问题8", "问题9"]


def test_unknown_ids_are_domain_errors(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "chat.sqlite3")
    with pytest.raises(ConversationNotFound, match="新对话"):
        store.turns("nope", 5)
    with pytest.raises(ConversationNotFound, match="nope"):
        store.conversation("nope")
    with pytest.raises(ConversationNotFound):
        add(store, "nope", "问题")
    with pytest.raises(ConversationNotFound, match="turn_id"):
        store.rate("nope", 1, "")
    assert store.feedback() == []


def _append_many(path: str, conversation_id: str, label: str, count: int) -> None:
    store = ConversationStore(Path(path))
    for n in range(count):
        add(store, conversation_id, f"{label}-{n}")


def test_threads_and_processes_append_without_losing_or_sharing_a_place(tmp_path: Path) -> None:
    path = tmp_path / "chat.sqlite3"
    store = ConversationStore(path)
    conversation_id = new_id()
    add(store, conversation_id, "start", new=True)
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_append_many, args=(str(path), conversation_id, f"p{i}", 15)) for i in range(2)
    ]
    threads = [
        threading.Thread(target=_append_many, args=(str(path), conversation_id, f"t{i}", 15))
        for i in range(3)
    ]
    for worker in [*processes, *threads]:
        worker.start()
    for worker in [*processes, *threads]:
        worker.join(timeout=120)
    assert all(p.exitcode == 0 for p in processes)
    turns = store.conversation(conversation_id).turns
    assert len(turns) == 1 + 5 * 15
    assert [t.index for t in turns] == list(range(len(turns)))
    assert {t.question for t in turns} == {"start"} | {
        f"{w}{i}-{n}" for w, k in (("p", 2), ("t", 3)) for i in range(k) for n in range(15)
    }
