"""A conversation's turn from question to record: the history it is resolved against, the standalone
question (by the chat model when one condenses, else by the rules), and the answered turn stored."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from rag.chat.condense import LLMCondenser
from rag.chat.followup import FollowUpResolver, Resolution
from rag.chat.model import BY_LLM, Previous, Turn
from rag.chat.store import ConversationStore, new_id
from rag.types import Answer

log = logging.getLogger(__name__)


class Chats:
    """``history``, ``resolve``, ``record`` and ``source_answer`` over one conversation store.

    ``window``: previous turns a follow-up is resolved against (older ones are not read)."""

    def __init__(
        self,
        store: ConversationStore,
        resolver: FollowUpResolver,
        condenser: LLMCondenser | None = None,
        *,
        window: int = 6,
    ) -> None:
        self.store = store
        self.resolver = resolver
        self.condenser = condenser
        self.window = window

    def history(
        self, conversation_id: str | None, exchanges: Sequence[tuple[str, str]] | None = None
    ) -> tuple[str, bool, list[Previous]]:
        """(conversation id, whether it is new, the previous turns in the window). Without an id the
        conversation is new and ``exchanges`` — (question, answer) pairs, e.g. the messages a chat
        client sent — are its history."""
        if conversation_id is None:
            return new_id(), True, self.replay(list(exchanges or [])[-self.window :])
        turns = self.store.turns(conversation_id, self.window)
        return conversation_id, False, [turn.as_previous() for turn in turns]

    def replay(self, exchanges: Sequence[tuple[str, str]]) -> list[Previous]:
        """Earlier turns rebuilt from their text: each question resolved by the rules in turn, each
        answer's letters found by the 文号 it names."""
        numbers = [(doc_id, meta.doc_number) for doc_id, meta in self.resolver.letters()]
        out: list[Previous] = []
        for question, answer in exchanges:
            if not question.strip():
                continue
            resolution = self.resolver.resolve(question, out)
            named = sorted((answer.find(number), doc_id) for doc_id, number in numbers if number in answer)
            letters = tuple(doc_id for _, doc_id in named) or resolution.question.letters
            out.append(Previous(question=resolution.text, answer=answer, letters=letters))
        return out

    def resolve(self, text: str, history: Sequence[Previous]) -> Resolution:
        rules = self.resolver.resolve(text, history)
        if self.condenser is None or not history or rules.source_of is not None:
            return rules
        condensed = self.condenser.condense(text, history)
        if condensed is None:
            return rules
        if condensed == text.strip():
            return Resolution.of(text, rules.question if rules.text == text else self.resolver.parse(text))
        return Resolution.of(condensed, self.resolver.parse(condensed), BY_LLM)

    def record(
        self,
        conversation_id: str,
        new: bool,
        turn_id: str,
        question: str,
        resolution: Resolution,
        answer: Answer,
    ) -> Turn:
        cited = tuple(dict.fromkeys(c.doc_id for c in answer.citations))
        letters = cited or resolution.question.letters
        return self.store.add_turn(
            conversation_id, turn_id=turn_id, question=question, resolved=resolution.text,
            resolved_by=resolution.how, answer=answer, letters=letters, new=new,
        )  # fmt: skip


def source_answer(previous: Previous) -> Answer:
    """Where the previous answer came from: its citations, each with 文号, section and quote."""
    if not previous.citations:
        return Answer(answer="上一个回答没有引用答复函原文，无法指出出处。", found=False)
    lines = ["上一个回答的出处："]
    for n, c in enumerate(previous.citations, start=1):
        section = f"“{c.section}”部分" if c.section else ""
        lines.append(f"{c.doc_number or c.title}{section}：“{c.quote}”[{n}]")
    return Answer(answer="\n".join(lines), found=True, citations=previous.citations, support=1.0)
