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
from rag.ledger.model import STATUS_WORDS, STATUSES, Entry
from rag.types import Answer, Citation, Commitment
from rag.vocabulary import LEDGER_QUESTION, LEDGER_QUESTION_WORDS

_YEAR = re.compile(r"(\d{4})\s*年")
_MIN_SHARE = 0.5  # share of the question's subject terms a commitment must cover
_YEAR_BONUS = 0.1  # a commitment of a year the question names is preferred, not required
_OVERVIEW = 3  # commitments quoted when the question names no subject
# A subject: two Chinese characters or more left once the question's ledger words are removed.
_SUBJECT = re.compile(r"[\u4e00-\u9fff]{2,}")
_GENERIC = re.compile(r"要做的?(?:事情)?|做的事情|哪些事情?|什么事情?|事情|工作|事项")


class LedgerAnswerer:
    """``answer(question) -> Answer | None``."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def asks(self, question: str) -> bool:
        return bool(LEDGER_QUESTION.search(question))

    def answer(self, question: str) -> Answer | None:
        if not self.asks(question):
            return None
        subject = _GENERIC.sub(" ", LEDGER_QUESTION_WORDS.sub(" ", question))
        years = {int(y) for y in _YEAR.findall(question)}
        if not _SUBJECT.search(subject):
            return self._overview(years)
        found = self.ledger.related(subject, k=10, min_share=_MIN_SHARE)
        if not found:
            return None

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

    def _overview(self, years: set[int]) -> Answer | None:
        """A question about promises in general ("去年答应要做的事情做了吗？"): what the ledger says of the
        commitments that later letters could report on (of the years named, when there are some)."""
        entries = [e for e in self.ledger.view().entries if e.later_letters]
        named = [e for e in entries if e.commitment.year in years]
        scope = "、".join(f"{y}年" for y in sorted(years))
        if years and not named:
            lead = f"已收录的答复函中没有可对照后续答复的{scope}承诺；"
        else:
            lead = ""
            entries = named or entries
        if not entries:
            return None
        counts = {s: sum(e.status == s for e in entries) for s in STATUSES}
        parts = [
            f"{lead}已收录的答复函中，有后续答复可对照的{scope if named else ''}承诺共{len(entries)}条："
            + "，".join(f"{STATUS_WORDS[s]}{n}条" for s, n in counts.items() if n)
        ]
        shown = [e for e in entries if e.status == "done"][:_OVERVIEW] or entries[:_OVERVIEW]
        citations: list[Citation] = []
        for entry in shown:
            c = entry.commitment
            line = f"{c.doc_number or c.title}承诺“{c.quote}”（{STATUS_WORDS[entry.status]}"
            citations.append(_promise_citation(c, 0.0))
            if entry.evidence:
                line += f"，见{entry.evidence[0].doc_number or entry.evidence[0].title}：“{entry.evidence[0].quote}”"
                citations.append(entry.evidence[0])
            parts.append(line + "）")
        parts.append("完整清单见“承诺”页或 GET /v1/commitments")
        return Answer(answer="；".join(parts) + "。", found=True, citations=tuple(citations), support=1.0)


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
