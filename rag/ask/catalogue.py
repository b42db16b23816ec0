"""The indexed reply letters' metadata: what a question can name (文号, proposal number, proposer)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Protocol

from index.store import ChromaStore
from index.visibility import restriction, unrestricted, visible
from rag.ask.question import LetterIndex
from rag.types import LetterMeta

# Catalogues of this many committed states are kept: readers pinned to an older state while a writer
# commits the next one find theirs instead of rebuilding it.
_KEPT_STATES = 4


class Committed(Protocol):
    """A committed state of the store (``index.lexical.Snapshot``): its fingerprint and versions."""

    @property
    def fingerprint(self) -> str: ...

    @property
    def versions(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class _State:
    """The catalogue of one committed state, never changed once made. ``held``: every committed
    document (letter or not) -> (its version as read, its metadata), so that the next state reads only
    the documents whose version differs; ``index``: the letters in doc-id order, by id and by name."""

    fingerprint: str | None = None
    held: Mapping[str, tuple[str, LetterMeta]] = field(default_factory=dict)
    index: LetterIndex = field(default_factory=LetterIndex)


class Catalogue:
    """``catalogue() -> [(doc_id, metadata)]`` of the reply letters in doc-id order, for the committed
    state ``committed()`` gives (the pinned one inside a read). A reply letter is a document whose text
    states a 文号, a kind, a proposer or a proposal number (other documents, e.g. newspaper pages, are
    not).

    A new committed state costs what changed: the documents whose version differs from the last state
    made are read from the store, those no longer committed dropped, and the letter index changed by
    them (``LetterIndex.updated``); the others are neither read nor parsed again. Each state is made
    once, under a lock, and never changed after: concurrent reads of one state share it.
    """

    def __init__(self, store: ChromaStore, committed: Callable[[], Committed]) -> None:
        self.store = store
        self.committed = committed
        self._lock = threading.Lock()
        self._latest = _State()  # what the next state is made from
        self._states: dict[str, _State] = {}  # by fingerprint; replaced as a whole, never changed

    def __call__(self) -> list[tuple[str, LetterMeta]]:
        """The letters the current read may see (``index.visibility``); the cache holds them all."""
        letters, allowed = self._current().index.letters, restriction()
        return list(letters) if allowed is None else [(d, m) for d, m in letters if d in allowed]

    def prime(self) -> None:
        """Make the current state's catalogue now (at start-up) rather than on the first ask."""
        self._current()

    def index(self) -> LetterIndex:
        """Every letter by what a question can name it by (lookups keep only what the read may see)."""
        return self._current().index

    def meta(self, doc_id: str) -> LetterMeta | None:
        return self._current().index.meta.get(doc_id) if visible(doc_id) else None

    def issuer(self, doc_id: str) -> str:
        meta = self.meta(doc_id)
        return meta.issuer if meta else ""

    def examples(self) -> list[str]:
        """Questions staff ask, written from the indexed letters themselves (for the UI's examples):
        the letters of the latest year, what one proposer's letter says, when one letter was issued."""
        letters = [meta for _, meta in self()]
        out: list[str] = []
        years = sorted({m.year for m in letters if m.year}, reverse=True)
        if years:
            kinds = [m.kind for m in letters if m.year == years[0] and m.kind]
            out.append(f"{years[0]}年答复了哪些{_kind_word(kinds)}？")
        named = next((m for m in letters if m.proposer), None)
        if named is not None:
            out.append(f"{named.proposer}的{_kind_word([named.kind])}主要讲了什么？")
        numbered = next((m for m in reversed(letters) if m.doc_number), None)
        if numbered is not None:
            out.append(f"{numbered.doc_number}是哪天签发的？")
        return out

    def _current(self) -> _State:
        committed = self.committed()
        state = self._states.get(committed.fingerprint)
        if state is not None:
            return state
        with self._lock:
            state = self._states.get(committed.fingerprint)
            if state is None:
                state = self._next(self._latest, committed)
                kept = list(self._states.items())[-(_KEPT_STATES - 1) :]
                self._states = {**dict(kept), committed.fingerprint: state}
                self._latest = state
        return state

    def _next(self, base: _State, committed: Committed) -> _State:
        """The state of ``committed`` made from ``base``: only documents whose version differs are read
        (all of them in one pass when most differ, e.g. at start). A record a writer committed since the
        pinned state is held at the version read, so a later state that differs reads it again."""
        versions = committed.versions
        held = base.held
        changed = [d for d, v in versions.items() if d not in held or held[d][0] != v]
        with unrestricted():  # the cache holds every letter; lookups apply the read's restriction
            if len(changed) > len(versions) // 2:
                # At start the store has just read every record (for the versions): use that read, and
                # read again only the records a writer changed since.
                records = self.store.take_records()
                if records is None:
                    records = self.store.versioned_metas()
                now = {d: read for d, read in records.items() if versions.get(d) == read[0]}
                if stale := [d for d in versions if d not in now]:
                    now |= self.store.versioned_metas(stale)
                letters = sorted(((d, m) for d, (_, m) in now.items() if is_letter(m)), key=itemgetter(0))
                return _State(committed.fingerprint, now, LetterIndex.of(letters))
            read = self.store.versioned_metas(changed)
        out = {*changed, *(d for d in held if d not in versions)}
        now = dict(held)
        for doc_id in out:
            now.pop(doc_id, None)
        now |= read
        # The unchanged letters' pairs are kept as they are (nearly sorted already: the sort is a merge).
        letters = [pair for pair in base.index.letters if pair[0] not in out]
        letters += [(d, m) for d, (_, m) in read.items() if is_letter(m)]
        letters.sort(key=itemgetter(0))
        return _State(committed.fingerprint, now, base.index.updated(letters, out))


def _kind_word(kinds: list[str]) -> str:
    """提案, 建议 or 议案 as most of ``kinds`` call it; 答复函 when none says."""
    words = [w for k in kinds for w in ("提案", "建议", "议案") if w in k]
    return max(set(words), key=words.count) if words else "答复函"


def is_letter(meta: LetterMeta) -> bool:
    return not meta.articles and bool(meta.doc_number or meta.kind or meta.proposer or meta.proposal_number)
