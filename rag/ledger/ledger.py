"""The ledger over the committed letters: commitments (extracted at ingest, ``index.ledger``), their
follow-through and the figures that changed, recomputed once per committed state of the index.

Follow-through depends on every later letter, so it is not stored per letter: it is computed when the
committed versions change and kept in memory until they change again.

A read restricted to some letters (``index.visibility``: a reader outside a letter's access label) gets
the ledger of those letters only — their commitments, statuses and evidence from them alone, figures
compared among them — so a letter it may not see leaves no trace, not even in a status. One view is
kept per committed state and restriction (few: one per combination of groups); the sentence vectors
are shared, so a restricted view costs no new embedding.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from index.ledger import CommitmentStore
from index.store import ChromaStore
from index.tokenize import tokenize
from index.visibility import restriction, unrestricted
from rag.ledger.figures import FigureWeights, figure_changes
from rag.ledger.followthrough import FollowThrough
from rag.ledger.model import Entry, FigureChange, LedgerFilters
from rag.types import Commitment, Document

_VIEWS = 16  # restricted views kept per committed state


@dataclass(frozen=True)
class View:
    """The ledger of one committed state."""

    fingerprint: str
    entries: tuple[Entry, ...]
    changes: tuple[FigureChange, ...]
    documents: dict[str, Document]


class Ledger:
    """``view()``, ``entries(filters)``, ``changes(doc_id)`` and ``related(text)``."""

    def __init__(
        self,
        commitments: CommitmentStore,
        store: ChromaStore,
        follow: FollowThrough,
        figures: FigureWeights = FigureWeights(),
    ) -> None:
        self.commitments = commitments
        self.store = store
        self.follow = follow
        self.figures = figures
        # Every letter and commitment of one committed state, then the views computed from them.
        self._letters: tuple[str, dict[str, Document], list[Commitment]] = ("", {}, [])
        self._views: dict[frozenset[str] | None, View] = {}
        self._lock = threading.Lock()

    def view(self) -> View:
        """The ledger of the committed state the ledger store was last synced to, over the letters the
        current read may see. Only writers sync it (``IndexGuard``, holding the write lock): a reader
        pinned to an older state must not rewrite it."""
        fingerprint = self.commitments.fingerprint
        allowed = restriction()
        view = self._views.get(allowed)
        if view is not None and view.fingerprint == fingerprint:
            return view
        with self._lock:
            view = self._views.get(allowed)
            if view is not None and view.fingerprint == fingerprint:
                return view
            if self._letters[0] != fingerprint:
                with unrestricted():  # shared by every caller; each view narrows it below
                    documents = {d: doc for d in self.store.versions() if (doc := self.store.get_document(d))}
                self._letters = (fingerprint, documents, self.commitments.commitments())
                self._views = {}
            _, every, commitments = self._letters
            documents = every if allowed is None else {d: doc for d, doc in every.items() if d in allowed}
            found = [c for c in commitments if c.doc_id in documents]
            ordered = sorted(documents.values(), key=lambda d: d.doc_id)
            entries = self.follow.entries(found, ordered)
            changes = figure_changes(ordered, self.figures)
            view = View(fingerprint, tuple(entries), tuple(changes), documents)
            if len(self._views) >= _VIEWS:
                self._views.pop(next(iter(self._views)))
            self._views[allowed] = view
            return view

    def entries(self, filters: LedgerFilters | None = None) -> list[Entry]:
        filters = filters or LedgerFilters()
        out = []
        for entry in self.view().entries:
            c = entry.commitment
            if filters.year is not None and c.year != filters.year:
                continue
            if filters.doc_id and c.doc_id != filters.doc_id:
                continue
            if filters.doc_number and c.doc_number != filters.doc_number:
                continue
            if filters.status and entry.status != filters.status:
                continue
            if filters.topic and not _mentions(c, filters.topic):
                continue
            out.append(entry)
        return out

    def changes(self, doc_id: str | None = None) -> list[FigureChange]:
        return [
            ch
            for ch in self.view().changes
            if doc_id is None or doc_id in (ch.earlier.doc_id, ch.later.doc_id)
        ]

    def related(self, text: str, k: int = 5, *, min_share: float = 0.5) -> list[tuple[float, Entry]]:
        """The commitments whose words cover most of ``text``'s terms (a topic, a question), best first:
        (share of the text's terms, IDF-weighted over the commitments, the entry)."""
        view = self.view()
        terms = set(tokenize(text))
        if not terms or not view.entries:
            return []
        sets = [frozenset(tokenize(f"{e.commitment.topic} {e.commitment.quote}")) for e in view.entries]
        idf = _idf(sets)
        total = sum(idf.get(t, 0.0) for t in terms)
        if total <= 0:
            return []
        scored = [
            (sum(idf.get(t, 0.0) for t in terms & words) / total, entry)
            for words, entry in zip(sets, view.entries, strict=True)
        ]
        scored = [(s, e) for s, e in scored if s >= min_share]
        scored.sort(key=lambda p: p[0], reverse=True)
        return scored[:k]


def _mentions(commitment: Commitment, topic: str) -> bool:
    """True when the topic's words appear in the commitment's topic or text (every word, any order)."""
    haystack = f"{commitment.topic} {commitment.quote}"
    words = [w for w in re.split(r"[\s,，、]+", topic.strip()) if w]
    return all(w in haystack for w in words)


def _idf(sets: Sequence[frozenset[str]]) -> dict[str, float]:
    df: dict[str, int] = {}
    for s in sets:
        for t in s:
            df[t] = df.get(t, 0) + 1
    n = len(sets)
    return {t: math.log(1 + n / c) for t, c in df.items()}
