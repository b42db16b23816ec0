"""Feedback as eval rows, loaded back by the eval's own loader."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from eval.datasets import load_letters
from rag.chat.export import eval_row
from rag.chat.model import Feedback
from rag.chat.store import ConversationStore, new_id
from rag.types import Answer, Citation

CITATION = Citation(
    doc_id="001", doc_number="温科提复〔2024〕126号", title="答复函", section="答复",
    quote="目前已获批国家级平台6个，引进注册企业216家", start=5, end=27, score=0.9,
)  # fmt: skip


def feedback(
    rating: int, answer: str = "目前已获批国家级平台6个，引进注册企业216家[1]", found: bool = True
) -> Feedback:
    return Feedback(
        turn_id=new_id(), conversation_id="c", rating=rating, comment="数字对" if rating > 0 else "答非所问",
        question="那眼谷呢？", resolved="中国眼谷引进注册企业多少家？", answer=answer, found=found,
        citations=(CITATION,) if found else (),
    )  # fmt: skip


def test_a_liked_answer_becomes_an_answerable_question_with_its_facts() -> None:
    row = eval_row(feedback(1))
    assert row["question"] == "中国眼谷引进注册企业多少家？" and row["answerable"] is True
    assert row["gold"] == [{"doc_id": "001", "quote": CITATION.quote}]
    assert row["facts"] == ["6个", "216家"]
    assert row["needs_review"] is False and row["type"] == "feedback"


def test_a_liked_refusal_is_unanswerable_and_a_dislike_needs_review() -> None:
    refusal = eval_row(feedback(1, "已收录的答复函中未找到相关内容。", found=False))
    assert refusal["answerable"] is False and refusal["gold"] == [] and refusal["facts"] == []
    disliked = eval_row(feedback(-1))
    assert disliked["needs_review"] is True and disliked["comment"] == "答非所问"


def test_the_export_command_writes_rows_the_eval_loads(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from rag.cli import cli
    from rag.settings import get_settings

    monkeypatch.setenv("DAFU_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    store = ConversationStore(get_settings().chat_path)
    answer = Answer(answer="目前已获批国家级平台6个，引进注册企业216家[1]", found=True, citations=(CITATION,))
    for rating in (1, -1):
        turn_id = new_id()
        store.add_turn(
            new_id(), turn_id=turn_id, question="问", resolved="中国眼谷引进注册企业多少家？", resolved_by="",
            answer=answer, letters=("001",), new=True,
        )  # fmt: skip
        store.rate(turn_id, rating, "")
    out = tmp_path / "fb.jsonl"
    try:
        result = CliRunner().invoke(cli, ["feedback", "export", "-o", str(out)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["rating"] for r in rows] == [1, -1]
    loaded = load_letters(out).questions
    assert [q.question for q in loaded] == ["中国眼谷引进注册企业多少家？"]  # the 👎 row waits for review
    assert loaded[0].facts == (("6个",), ("216家",))  # each fact with its accepted forms
