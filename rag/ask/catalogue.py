"""The indexed reply letters' metadata: what a question can name (文号, proposal number, proposer)."""

from __future__ import annotations

from collections.abc import Callable

from index.store import ChromaStore
from rag.types import LetterMeta


class Catalogue:
    """``catalogue() -> [(doc_id, metadata)]`` of the letters with a 文号, re-read when ``version()``
    (a fingerprint of the committed documents) changes."""

    def __init__(self, store: ChromaStore, version: Callable[[], str]) -> None:
        self.store = store
        self.version = version
        self._cached: tuple[str | None, list[tuple[str, LetterMeta]]] = (None, [])

    def __call__(self) -> list[tuple[str, LetterMeta]]:
        version = self.version()
        if self._cached[0] != version:
            infos = self.store.list_documents()
            self._cached = (version, [(i.doc_id, i.meta) for i in infos if i.meta.doc_number])
        return self._cached[1]
