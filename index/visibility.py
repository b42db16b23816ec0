"""Which documents the current read may see: one restriction, applied by every reader of the index.

The service computes the documents its caller may see (``rag.access``) and runs each read inside
``only(doc_ids)``. Everything that reads documents or passages — the dense search and its fallback,
the lexical search, a document by id, the document list, the letters a question can name, similar
letters for a draft — checks ``visible(doc_id)``, so no answerer, drafter or client can get around it.
Outside ``only`` (the CLI's own operator, ingestion, index maintenance) nothing is restricted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_VISIBLE: ContextVar[frozenset[str] | None] = ContextVar("dafu_visible_documents", default=None)


@contextmanager
def only(doc_ids: Iterable[str] | None) -> Iterator[None]:
    """Restrict every read inside the block to ``doc_ids`` (``None``: no restriction)."""
    token = _VISIBLE.set(None if doc_ids is None else frozenset(doc_ids))
    try:
        yield
    finally:
        _VISIBLE.reset(token)


@contextmanager
def unrestricted() -> Iterator[None]:
    """Lift the restriction inside the block (caches shared by every caller are filled here)."""
    with only(None):
        yield


def restriction() -> frozenset[str] | None:
    """The documents the current read may see, or ``None`` when it may see all."""
    return _VISIBLE.get()


def visible(doc_id: str) -> bool:
    allowed = _VISIBLE.get()
    return allowed is None or doc_id in allowed
