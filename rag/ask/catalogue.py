"""The indexed reply letters' metadata: what a question can name (文号, proposal number, proposer)."""

from __future__ import annotations

from collections.abc import Callable

from index.store import ChromaStore
from index.visibility import unrestricted, visible
from rag.ask.question import LetterIndex
from rag.types import LetterMeta


class Catalogue:
    """``catalogue() -> [(doc_id, metadata)]`` of the reply letters, re-read when ``version()`` (a
    fingerprint of the committed documents) changes. A reply letter is a document whose text states a
    文号, a kind, a proposer or a proposal number (other documents, e.g. newspaper pages, are not)."""

    def __init__(self, store: ChromaStore, version: Callable[[], str]) -> None:
        self.store = store
        self.version = version
        self._cached: tuple[str | None, list[tuple[str, LetterMeta]], dict[str, LetterMeta]] = (None, [], {})
        self._index: tuple[str | None, LetterIndex] = (None, LetterIndex())

    def __call__(self) -> list[tuple[str, LetterMeta]]:
        """The letters the current read may see (``index.visibility``); the cache holds them all."""
        return [(doc_id, meta) for doc_id, meta in self._current()[1] if visible(doc_id)]

    def index(self) -> LetterIndex:
        """Every letter by what a question can name it by (lookups keep only what the read may see)."""
        version, letters, _ = self._current()
        if self._index[0] != version:
            self._index = (version, LetterIndex.of(letters))
        return self._index[1]

    def meta(self, doc_id: str) -> LetterMeta | None:
        return self._current()[2].get(doc_id) if visible(doc_id) else None

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

    def _current(self) -> tuple[str | None, list[tuple[str, LetterMeta]], dict[str, LetterMeta]]:
        version = self.version()
        if self._cached[0] != version:
            with unrestricted():
                infos = self.store.list_documents()
            letters = [(i.doc_id, i.meta) for i in infos if is_letter(i.meta)]
            self._cached = (version, letters, dict(letters))
        return self._cached


def _kind_word(kinds: list[str]) -> str:
    """提案, 建议 or 议案 as most of ``kinds`` call it; 答复函 when none says."""
    words = [w for k in kinds for w in ("提案", "建议", "议案") if w in k]
    return max(set(words), key=words.count) if words else "答复函"


def is_letter(meta: LetterMeta) -> bool:
    return not meta.articles and bool(meta.doc_number or meta.kind or meta.proposer or meta.proposal_number)
