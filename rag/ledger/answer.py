"""Questions about what was promised and what became of it ("去年答应的三张清单做了吗？"), answered from
the ledger with both passages: the promise, and what a later letter reports (or, when no later letter
speaks of it, the passage that states the subject's present beside the promise).

A question is a ledger question when it asks about a promise (承诺, 答应, 做了吗, 后来…怎么说 …) and the
ledger holds a commitment that covers its subject; otherwise ``answer`` returns None and the question
is answered as any other.
"""

from __future__ import annotations

import re

from rag.ledger.ledger import Ledger
from rag.ledger.model import Entry
from rag.types import Answer, Citation, Commitment
from rag.vocabulary import LEDGER_QUESTION, LEDGER_QUESTION_WORDS

_YEAR = re.compile(r"(\d{4})\s*年")
_MIN_SHARE = 0.5  # share of the question's subject terms a commitment must cover
_YEAR_BONUS = 0.1  # a commitment of a year the question names is preferred, not required


class LedgerAnswerer:
    """``answer(question) -> Answer | None``."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def asks(self, question: str) -> bool:
        return bool(LEDGER_QUESTION.search(question))

    def answer(self, question: str) -> Answer | None:
        if not self.asks(question):
            return None
        subject = LEDGER_QUESTION_WORDS.sub(" ", question)
        found = self.ledger.related(subject, k=10, min_share=_MIN_SHARE)
        if not found:
            return None
        years = {int(y) for y in _YEAR.findall(question)}

        def rank(pair: tuple[float, Entry]) -> float:
            share, entry = pair
            c = entry.commitment
            # A year the question names is the letter's year, or the year the promise is for.
            named = c.year in years or any(str(y) in c.quote for y in years)
            return share + (_YEAR_BONUS if named else 0.0)

        share, entry = max(found, key=rank)
        view = self.ledger.view()
        promise = _promise_citation(entry.commitment, share)
        c = entry.commitment
        where = c.doc_number or c.title or c.doc_id
        parts = [f"{where}{_year(c)}承诺：“{c.quote}”"]
        citations = [promise]
        if entry.evidence:
            first = entry.evidence[0]
            said = "报告" if entry.status == "done" else "再次提到（仍在推进）"
            parts.append(f"此后，{first.doc_number or first.title}{said}：“{first.quote}”")
            citations.append(first)
        else:
            later = "此后的答复函未再提及" if entry.later_letters else "已收录的答复函中没有晚于它的答复"
            parts.append(later)
            context = self.ledger.follow.context(c, list(view.documents.values()))
            if context is not None:
                same = context.doc_id == c.doc_id
                label = "同一答复中的现状" if same else f"{context.doc_number or context.title}中的相关情况"
                parts.append(f"{label}：“{context.quote}”")
                citations.append(context)
        return Answer(
            answer="；".join(parts) + "。",
            found=True,
            citations=tuple(citations),
            support=round(share, 4),
        )


def _year(c: Commitment) -> str:
    return f"（{c.date or c.year}）" if (c.date or c.year) else ""


def _promise_citation(c: Commitment, score: float) -> Citation:
    return Citation(
        doc_id=c.doc_id,
        doc_number=c.doc_number,
        title=c.title,
        section=c.section,
        quote=c.quote,
        start=c.start,
        end=c.end,
        score=round(score, 4),
    )
