"""What a conversation is made of: turns (question, the standalone question answered, the answer and its
citations) and the feedback on an answer. The leaf of ``rag.chat``: the rest imports it."""

from __future__ import annotations

from pydantic import Field

from rag.types import Answer, Citation, Frozen

# How a turn's question became the standalone question that was answered.
STANDALONE = ""  # it was standalone already
BY_RULES = "rules"  # carried over subject, letter, year or ask from the previous turns
BY_LLM = "llm"  # the chat model condensed it


class Previous(Frozen):
    """What a follow-up may refer to in one earlier turn: the question it answered and its letters."""

    question: str  # the standalone question that was answered
    answer: str = ""
    letters: tuple[str, ...] = ()  # doc ids the turn named or cited, the first cited first
    citations: tuple[Citation, ...] = ()


class Resolved(Frozen):
    """The first event of a streamed turn: the question as understood, before the answer is written."""

    conversation_id: str
    turn_id: str
    question: str
    resolved: str
    resolved_by: str = STANDALONE


class Turn(Frozen):
    turn_id: str
    conversation_id: str
    index: int  # 0 for the first turn of its conversation
    question: str  # as the user wrote it
    resolved: str  # the standalone question that was answered (== question when not a follow-up)
    resolved_by: str = STANDALONE
    answer: Answer  # with the retrieved hits only on the turn just answered; stored without them
    letters: tuple[str, ...] = ()
    created: float = 0.0

    def as_previous(self) -> Previous:
        return Previous(
            question=self.resolved, answer=self.answer.answer, letters=self.letters,
            citations=self.answer.citations,
        )  # fmt: skip


class Conversation(Frozen):
    conversation_id: str
    created: float
    turns: tuple[Turn, ...] = ()


class Feedback(Frozen):
    """A 👍 (rating 1) or 👎 (rating -1) on one answer, with the question, answer and citations it was on."""

    turn_id: str
    conversation_id: str
    rating: int = Field(ge=-1, le=1)
    comment: str = ""
    question: str
    resolved: str
    answer: str
    found: bool
    citations: tuple[Citation, ...] = ()
    created: float = 0.0
