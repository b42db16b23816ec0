"""The ledger's result types (the leaf of the package): a commitment with its follow-through, and a
figure two letters state differently."""

from __future__ import annotations

from typing import Literal

from rag.types import Citation, Commitment, Frozen

Status = Literal["done", "in_progress", "not_mentioned"]
STATUSES: tuple[Status, ...] = ("done", "in_progress", "not_mentioned")
STATUS_WORDS: dict[str, str] = {
    "done": "已报告完成",
    "in_progress": "已报告推进中",
    "not_mentioned": "此后未再提及",
}


class Entry(Frozen):
    """A commitment, its status in the letters written after it, and the passages that say so."""

    commitment: Commitment
    status: Status
    evidence: tuple[Citation, ...] = ()  # best first; empty when not mentioned since
    later_letters: int = 0  # how many letters were written after it (0: nothing could report on it)


class FigureChange(Frozen):
    """One subject, two letters, two different figures; ``earlier`` is the older letter when known."""

    subject: str  # the words the figure counts, as the earlier passage prints them
    earlier: Citation
    later: Citation
    earlier_value: str  # as printed: 216家
    later_value: str


class LedgerFilters(Frozen):
    """Filters of ``GET /v1/commitments``; empty fields do not filter."""

    topic: str | None = None  # words of the topic or of the promise
    year: int | None = None
    doc_id: str | None = None
    doc_number: str | None = None
    status: Status | None = None
