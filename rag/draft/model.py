"""What a draft is: its sections, citations, similar letters and the placeholders left to fill.

A leaf: the finder, the drafter, the LLM rewrite and the writers import it; it imports none of them.
"""

from __future__ import annotations

import re

from rag.claims import unsupported_claims
from rag.draft.proposal import Proposal
from rag.ledger.model import Entry, FigureChange
from rag.types import Citation, Frozen

PLACEHOLDER = re.compile(r"【待填[^】]*】")
_CN_NUMERALS = "一二三四五六七八九十"


def todo(what: str) -> str:
    """A visible placeholder for what the drafter cannot know."""
    return f"【待填：{what}】"


def strip_placeholders(text: str) -> str:
    return PLACEHOLDER.sub("", text)


class SimilarLetter(Frozen):
    doc_id: str
    doc_number: str
    title: str
    proposal_title: str = ""
    year: int | None = None
    score: float


class DraftSection(Frozen):
    heading: str  # 一、关于“…”的建议
    suggestion: str  # the proposal's suggestion it answers
    status: str  # 现状 paragraph, with [n] markers into Draft.citations
    next_steps: str  # 下一步 paragraph, with [n] markers
    citations: tuple[Citation, ...] = ()
    numbers: tuple[int, ...] = ()  # the [n] of each citation above
    notes: tuple[str, ...] = ()  # e.g. two letters disagree and the newer one is used
    unsupported: tuple[str, ...] = ()  # numbers/dates/文号 of the text that its citations do not hold

    @property
    def text(self) -> str:
        return f"{self.status}\n{self.next_steps}"

    def checked(self) -> DraftSection:
        """The section with ``unsupported`` recomputed from its text and citations."""
        return self.model_copy(update={"unsupported": tuple(check_section(self))})


class Draft(Frozen):
    proposal: Proposal
    mode: str  # offline | llm
    doc_number: str
    title: str
    salutation: str
    opening: str
    sections: tuple[DraftSection, ...]
    closing: str
    contact: str
    issuer: str
    date: str
    citations: tuple[Citation, ...]
    similar: tuple[SimilarLetter, ...]
    placeholders: tuple[str, ...]
    markdown: str
    # For the drafter, not part of the letter: what earlier replies promised on the proposal's topics and
    # what became of it, and figures two letters state differently (the newest is to be used knowingly).
    commitments: tuple[Entry, ...] = ()
    changed_figures: tuple[FigureChange, ...] = ()


def check_section(section: DraftSection) -> list[str]:
    """Numbers, dates and 文号 of the section's text that none of its citations holds (placeholders excluded)."""
    sources = [f"{c.doc_number}\n{c.quote}" for c in section.citations]
    return unsupported_claims(strip_placeholders(section.text), sources)


def cn_ordinal(n: int) -> str:
    """0 -> 一, 9 -> 十, 10 -> 十一, 19 -> 二十."""
    n += 1
    if n <= 10:
        return _CN_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else _CN_NUMERALS[tens - 1]
    return head + "十" + (_CN_NUMERALS[ones - 1] if ones else "")


def heading_for(n: int, summary: str) -> str:
    inner = summary.replace("“", "‘").replace("”", "’")
    return f"{cn_ordinal(n)}、关于“{inner}”的建议"
