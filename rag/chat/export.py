"""Feedback as rows of the eval set's format (``eval/data/letters_qa.jsonl``), so that real questions
become eval questions.

- 👍 on an answer: answerable, gold = its citations, facts = the numbers, dates and 文号 of the answer
  that its quotes state (else the first quote);
- 👍 on a refusal: an unanswerable question;
- 👎: the same fields from the answer given, marked ``needs_review`` (the eval skips such rows until a
  reviewer writes the right gold and facts, using the comment).
"""

from __future__ import annotations

from typing import Any

from rag.chat.model import Feedback
from rag.claims import find_claims, unsupported_claims

_FACT_CHARS = 40


def eval_row(feedback: Feedback) -> dict[str, Any]:
    quotes = [c.quote for c in feedback.citations]
    claims = [c.text for c in find_claims(feedback.answer)]
    stated = [c for c in claims if not unsupported_claims(c, quotes)] if quotes else []
    facts = stated or ([quotes[0][:_FACT_CHARS]] if quotes else [])
    liked = feedback.rating > 0
    return {
        "id": f"fb-{feedback.turn_id[:12]}",
        "question": feedback.resolved,
        "answerable": feedback.found if liked else bool(quotes),
        "gold": [{"doc_id": c.doc_id, "quote": c.quote} for c in feedback.citations],
        "facts": facts if feedback.found else [],
        "type": "feedback",
        "style": "colloquial",
        "needs_review": not liked,
        "asked": feedback.question,
        "answer": feedback.answer,
        "rating": feedback.rating,
        "comment": feedback.comment,
    }
