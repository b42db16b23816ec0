"""The commitments ledger against a hand-made gold set (``eval/data/commitments.jsonl``).

Every promise of every letter of the sample letters and of the other-bureaus corpus was marked by hand
as a span of the letter's canonical text (the unit: a sentence; an enumeration label joined to its
sentence; section headings and sentences that only announce a list are not promises); the sample
letters' commitments of 2022 and 2023 also carry their status in the later letters (done /
in_progress / not_mentioned). Measured on what the service's ledger holds after indexing the corpus:

- extraction precision and recall: a predicted commitment matches a gold one when their spans overlap
  by at least half of the shorter; letters listed with no commitment count every prediction as false;
- status accuracy over the gold commitments that carry a status (one the ledger missed counts wrong).

A gold quote that is no longer the text between its offsets (cleaning changed) is looked up by its
words; one not found at all is reported as lost, never silently dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import DafuError
from rag.service import DafuService
from rag.settings import PROJECT_ROOT

GOLD = PROJECT_ROOT / "eval" / "data" / "commitments.jsonl"
CORPORA = ("letters", "other_bureaus")
TARGETS = {"precision": 0.85, "recall": 0.85, "status_accuracy": 0.8}


@dataclass
class LedgerScore:
    corpus: str
    letters: int
    gold: int
    predicted: int
    matched_predicted: int
    matched_gold: int
    statuses: int = 0
    statuses_right: int = 0
    lost: list[str] = field(default_factory=list)  # gold spans not found in the indexed text
    misses: list[str] = field(default_factory=list)  # gold commitments the ledger lacks
    extras: list[str] = field(default_factory=list)  # ledger commitments not in the gold set
    wrong_status: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.matched_predicted / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.matched_gold / self.gold if self.gold else None

    @property
    def status_accuracy(self) -> float | None:
        return self.statuses_right / self.statuses if self.statuses else None

    def to_json(self) -> dict[str, Any]:
        return {
            "corpus": self.corpus, "letters": self.letters, "gold": self.gold, "predicted": self.predicted,
            "precision": self.precision, "recall": self.recall, "statuses": self.statuses,
            "status_accuracy": self.status_accuracy, "lost": self.lost, "misses": self.misses,
            "extras": self.extras, "wrong_status": self.wrong_status,
        }  # fmt: skip


def load_gold(corpus: str, path: Path = GOLD) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["corpus"] == corpus]


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    shared = min(a[1], b[1]) - max(a[0], b[0])
    return shared > 0 and shared >= 0.5 * min(a[1] - a[0], b[1] - b[0])


def _locate(text: str, gold: dict[str, Any]) -> tuple[int, int] | None:
    start, end, quote = gold["start"], gold["end"], gold["quote"]
    if text[start:end] == quote:
        return start, end
    found = text.find(quote)
    return (found, found + len(quote)) if found >= 0 else None


def score_ledger(service: DafuService, corpus: str, path: Path = GOLD) -> LedgerScore:
    """Score the ledger of a service that indexed the corpus's letters (ids: the files' stems)."""
    rows = load_gold(corpus, path)
    if not rows:
        raise DafuError(f"{path.name} 中没有 {corpus} 的承诺标注。")
    entries = service.commitments()
    score = LedgerScore(corpus, len(rows), 0, 0, 0, 0)
    for row in rows:
        doc_id = row["doc_id"]
        text = service.document(doc_id).text
        predicted = [e for e in entries if e.commitment.doc_id == doc_id]
        spans = [(e.commitment.start, e.commitment.end) for e in predicted]
        gold = []
        for g in row["commitments"]:
            span = _locate(text, g)
            if span is None:
                score.lost.append(f"{doc_id}: {g['quote'][:30]}")
            gold.append((span, g))
        score.gold += len(gold)
        score.predicted += len(spans)
        for e, span in zip(predicted, spans, strict=True):
            if any(s is not None and _overlaps(span, s) for s, _ in gold):
                score.matched_predicted += 1
            else:
                score.extras.append(f"{doc_id}: {e.commitment.quote[:40]}")
        for span, g in gold:
            hit = next(
                (e for e, s in zip(predicted, spans, strict=True) if span and _overlaps(s, span)), None
            )
            if hit is None:
                score.misses.append(f"{doc_id}: {g['quote'][:40]}")
            else:
                score.matched_gold += 1
            if "status" in g:
                score.statuses += 1
                if hit is not None and hit.status == g["status"]:
                    score.statuses_right += 1
                else:
                    got = hit.status if hit is not None else "missing"
                    score.wrong_status.append(f"{doc_id}: {g['status']} → {got}: {g['quote'][:30]}")
    return score


def rows(scores: list[LedgerScore]) -> list[list[str]]:
    """Table rows: corpus, letters, gold, predicted, precision, recall, status accuracy (n)."""

    def f(value: float | None) -> str:
        return "—" if value is None else f"{value:.3f}"

    return [
        [
            s.corpus,
            str(s.letters),
            str(s.gold),
            str(s.predicted),
            f(s.precision),
            f(s.recall),
            f"{f(s.status_accuracy)} ({s.statuses})",
        ]  # fmt: skip
        for s in scores
    ]


HEADER = ["corpus", "letters", "gold", "predicted", "precision", "recall", "status acc (n)"]
