"""The conversations set: two- and three-turn conversations, each turn with its facts; what counts is
how well the second and third turns (the follow-ups) are answered.

Two configurations: ``chat`` holds the conversation (``DafuService.chat``, follow-ups resolved against
the earlier turns), ``no-history`` asks every turn on its own (``DafuService.ask``), which shows what
the resolution is worth.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.datasets import DATA_DIR, DEFAULT_OTHER, Gold
from eval.metrics import facts_present, mean
from eval.runner import QuestionResult
from rag.service import DafuService
from rag.types import Answer

CONVERSATIONS = DATA_DIR / "conversations.jsonl"
# The other bodies' letters live outside the repository and are read from there (absent: skipped).
# Corpora by name: the folder whose letter files a conversation's doc ids (file stems) refer to.
OTHER_BUREAUS = DEFAULT_OTHER / "letters"

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Turn:
    question: str
    answerable: bool
    facts: tuple[str, ...]
    gold: tuple[Gold, ...]
    follow_up: str  # "" for the first turn; subject | year | letter | ask | particular | source


@dataclass(frozen=True)
class Conversation:
    id: str
    corpus: str
    turns: tuple[Turn, ...]


def load_conversations(path: Path = CONVERSATIONS, corpus: str | None = None) -> list[Conversation]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if corpus is not None and row["corpus"] != corpus:
            continue
        turns = tuple(
            Turn(
                question=t["question"],
                answerable=bool(t.get("answerable", True)),
                facts=tuple(t.get("facts", ())),
                gold=tuple(Gold(g["doc_id"], g["quote"]) for g in t.get("gold", ())),
                follow_up=t.get("follow_up", ""),
            )
            for t in row["turns"]
        )
        out.append(Conversation(row["id"], row["corpus"], turns))
    return out


def correct(turn: Turn, answer: Answer) -> bool:
    """An answerable turn: answered with all its facts; an unanswerable one: refused."""
    if turn.answerable:
        return answer.found and facts_present(answer.answer, turn.facts)
    return not answer.found


def run(
    service: DafuService, conversations: Sequence[Conversation], progress: Progress | None = None
) -> list[QuestionResult]:
    results: list[QuestionResult] = []
    for config in ("chat", "no-history"):
        for done, conversation in enumerate(conversations):
            if progress:
                progress(config, done, len(conversations))
            conversation_id: str | None = None
            for index, turn in enumerate(conversation.turns):
                start = time.perf_counter()
                if config == "chat":
                    answered = service.chat(turn.question, conversation_id)
                    conversation_id, answer, asked = (
                        answered.conversation_id,
                        answered.answer,
                        answered.resolved,
                    )
                else:
                    answer, asked = service.ask(turn.question), turn.question
                results.append(_result(conversation, index, turn, config, answer, asked, start))
        if progress:
            progress(config, len(conversations), len(conversations))
    return results


def _result(
    conversation: Conversation, index: int, turn: Turn, config: str, answer: Answer, asked: str, start: float
) -> QuestionResult:
    return QuestionResult(
        id=f"{conversation.id}.{index + 1}", config=config, question=asked, type=turn.follow_up or "first",
        answerable=turn.answerable, ranks=[], latency_ms=(time.perf_counter() - start) * 1000,
        found=answer.found, answer=answer.answer, correct=correct(turn, answer), support=answer.support,
        citations=[{"doc_id": c.doc_id, "quote": c.quote, "start": c.start, "end": c.end, "exact": True}
                   for c in answer.citations],
    )  # fmt: skip


def summarize(results: Sequence[QuestionResult]) -> dict[str, dict[str, float | None]]:
    """config -> accuracy of the first, second and third turns and of all follow-ups."""
    out: dict[str, dict[str, float | None]] = {}
    for config in dict.fromkeys(r.config for r in results):
        rows = [r for r in results if r.config == config]

        def acc(rows: list[QuestionResult]) -> float | None:
            return mean([1.0 if r.correct else 0.0 for r in rows]) if rows else None

        follow = [r for r in rows if _turn(r) > 1]
        out[config] = {
            "turn1_acc": acc([r for r in rows if _turn(r) == 1]),
            "turn2_acc": acc([r for r in rows if _turn(r) == 2]),
            "turn3_acc": acc([r for r in rows if _turn(r) == 3]),
            "follow_up_acc": acc(follow),
            "follow_up_refusal_acc": acc([r for r in follow if not r.answerable]),
        }
    return out


def per_kind(results: Sequence[QuestionResult]) -> dict[str, dict[str, Any]]:
    """config -> kind of follow-up -> {"n", "acc"} (turns after the first)."""
    table: dict[str, dict[str, list[float]]] = {}
    for r in results:
        if _turn(r) > 1:
            table.setdefault(r.config, {}).setdefault(r.type, []).append(1.0 if r.correct else 0.0)
    return {
        config: {kind: {"n": len(v), "acc": mean(v)} for kind, v in sorted(kinds.items())}
        for config, kinds in table.items()
    }


def _turn(result: QuestionResult) -> int:
    return int(result.id.rsplit(".", 1)[1])
