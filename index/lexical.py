"""BM25 over jieba tokens (bm25s), persisted beside Chroma and rebuilt from it when missing or stale.

The index in memory is an immutable snapshot (the committed versions it was built from, its chunks,
the BM25 matrix), replaced as a whole: a search never sees half of a rebuild. A reader pins the
current snapshot for a whole request (``pinned``), and with it the versions the dense side filters by.

On disk each snapshot is a folder named after its fingerprint, written once into a temp folder and
renamed: a process loads the folder of the fingerprint it needs or rebuilds. Only writers (holding the
data dir's write lock) write folders and remove old ones.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import numpy as np

from index.store import ChromaStore, fingerprint_of, matches, pinned
from index.tokenize import TOKENIZER_VERSION, tokenize
from index.visibility import visible
from rag.types import Filters, Hit

log = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)

# Bumped whenever the persisted layout changes, so older folders are rebuilt rather than misread.
_FORMAT = "3"


@dataclass(frozen=True)
class Snapshot:
    """One committed state of the store, searchable by BM25."""

    fingerprint: str = ""
    versions: Mapping[str, str] = field(default_factory=dict)
    hits: tuple[Hit, ...] = ()
    bm25: bm25s.BM25 | None = None
    df: Mapping[str, int] = field(default_factory=dict)


_PINNED: ContextVar[Snapshot | None] = ContextVar("dafu_pinned_lexical", default=None)


class LexicalIndex:
    """In-memory BM25 over the committed chunks of a ``ChromaStore``; ``path`` holds its folders."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._snap = Snapshot()

    @property
    def snapshot(self) -> Snapshot:
        """The pinned snapshot inside ``pinned()``, else the current one."""
        return _PINNED.get() or self._snap

    @property
    def fingerprint(self) -> str:
        return self.snapshot.fingerprint

    def __len__(self) -> int:
        return len(self.snapshot.hits)

    @contextmanager
    def pinned(self) -> Iterator[Snapshot]:
        """Search the current snapshot, and filter the store by its versions, until the block ends."""
        snap = self.snapshot
        token = _PINNED.set(snap)
        try:
            with pinned(snap.versions):
                yield snap
        finally:
            _PINNED.reset(token)

    @contextmanager
    def unpinned(self) -> Iterator[None]:
        """Undo ``pinned`` within the block: a write sees the store as it is."""
        token = _PINNED.set(None)
        try:
            with pinned(None):
                yield
        finally:
            _PINNED.reset(token)

    def sync(self, store: ChromaStore, *, persist: bool = False) -> None:
        """Match the store's committed versions: load the persisted folder or rebuild.

        ``persist``: the caller holds the write lock; save a rebuilt index and remove older folders.
        """
        versions = store.versions()
        fingerprint = fingerprint_of(versions)
        if fingerprint == self._snap.fingerprint and (not persist or self._folder(fingerprint).exists()):
            return
        snap = self._load(fingerprint, versions)
        if snap is None:
            snap = self._build(store, versions, fingerprint)
            if persist:
                self._save(snap)
        self._snap = snap
        if persist:
            self._remove_others(fingerprint)

    def rebuild(self, store: ChromaStore, *, persist: bool = False) -> None:
        """Rebuild from the store, ignoring any persisted folder."""
        versions = store.versions()
        snap = self._build(store, versions, fingerprint_of(versions))
        if persist:
            self._save(snap)
            self._remove_others(snap.fingerprint)
        self._snap = snap

    def idf(self, token: str) -> float:
        """Inverse document frequency of a token over the chunks; unseen tokens weigh the most."""
        snap = self.snapshot
        n = len(snap.hits)
        df = snap.df.get(token, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def known(self, token: str) -> bool:
        """Whether any indexed chunk contains the token."""
        return token in self.snapshot.df

    def search(self, tokens: Sequence[str], k: int, filters: Filters | None = None) -> list[Hit]:
        """The best chunks for a question's search tokens (``index.tokenize.tokenize``), BM25-scored."""
        snap = self.snapshot
        tokens = list(tokens)
        if snap.bm25 is None or not tokens:
            return []
        vocab = snap.bm25.vocab_dict
        if not any(t in vocab for t in tokens):
            return []
        scores = snap.bm25.get_scores(tokens)
        order = np.argsort(-scores, kind="stable")
        out: list[Hit] = []
        for i in order:
            if scores[i] <= 0 or len(out) >= k:
                break
            if matches(filters, snap.hits[i]) and visible(snap.hits[i].doc_id):
                out.append(snap.hits[i].model_copy(update={"score": float(scores[i])}))
        return out

    # -- building and persistence ------------------------------------------------------------------
    @staticmethod
    def _build(store: ChromaStore, versions: Mapping[str, str], fingerprint: str) -> Snapshot:
        with pinned(versions):
            hits = tuple(store.all_hits())
        corpus = [tokenize(_indexed_text(h)) for h in hits]
        df = dict(Counter(t for tokens in corpus for t in set(tokens)))
        bm25 = None
        if hits:
            bm25 = bm25s.BM25(k1=1.2, b=0.75)
            bm25.index(corpus, show_progress=False)
        return Snapshot(fingerprint, dict(versions), hits, bm25, df)

    def _folder(self, fingerprint: str) -> Path:
        return self.path / f"{fingerprint}-{_FORMAT}.{TOKENIZER_VERSION}"

    def _save(self, snap: Snapshot) -> None:
        target = self._folder(snap.fingerprint)
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=self.path))
        try:
            if snap.bm25 is not None:
                snap.bm25.save(str(tmp / "bm25"), show_progress=False)
            payload = {
                "fingerprint": snap.fingerprint,
                "versions": dict(snap.versions),
                "hits": [h.model_dump() for h in snap.hits],
                "df": dict(snap.df),
                "tokenizer": TOKENIZER_VERSION,
                "format": _FORMAT,
            }
            (tmp / "chunks.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
            if target.exists():  # unreadable or from an older layout: replace it
                shutil.rmtree(target, ignore_errors=True)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _remove_others(self, fingerprint: str) -> None:
        keep = self._folder(fingerprint).name
        if not self.path.is_dir():
            return
        for child in self.path.iterdir():
            if child.name != keep:
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)

    def _load(self, fingerprint: str, versions: Mapping[str, str]) -> Snapshot | None:
        folder = self._folder(fingerprint)
        meta_file = folder / "chunks.json"
        if not meta_file.exists():
            return None
        try:
            payload = json.loads(meta_file.read_text(encoding="utf-8"))
            if (
                payload.get("fingerprint") != fingerprint
                or payload.get("versions") != dict(versions)
                or payload.get("tokenizer") != TOKENIZER_VERSION
                or payload.get("format") != _FORMAT
            ):
                return None
            hits = tuple(Hit.model_validate(h) for h in payload["hits"])
            bm25 = bm25s.BM25.load(str(folder / "bm25")) if hits else None
        # A writer may remove an old folder while another process reads it: rebuilding is the answer.
        except (OSError, ValueError, KeyError) as exc:
            log.warning("lexical index at %s unreadable (%s); rebuilding", folder, exc)
            return None
        return Snapshot(fingerprint, dict(versions), hits, bm25, payload.get("df", {}))


def _indexed_text(hit: Hit) -> str:
    return f"{hit.section}\n{hit.text}"
