"""BM25 over jieba tokens (bm25s), persisted beside Chroma and rebuilt from it when missing or stale."""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from index.store import ChromaStore, matches
from index.tokenize import TOKENIZER_VERSION, tokenize
from rag.types import Filters, Hit

log = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)

# Bumped whenever the persisted layout changes, so older folders are rebuilt rather than misread.
_FORMAT = "2"


class LexicalIndex:
    """In-memory BM25 over the committed chunks of a ``ChromaStore``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fingerprint = ""
        self._bm25: bm25s.BM25 | None = None
        self._hits: list[Hit] = []
        self._df: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._hits)

    def sync(self, store: ChromaStore) -> None:
        """Load the persisted index if it matches the store, otherwise rebuild it from the store."""
        fingerprint = store.fingerprint()
        if fingerprint == self.fingerprint:
            return
        if self._load(fingerprint):
            return
        self.rebuild(store, fingerprint)

    def rebuild(self, store: ChromaStore, fingerprint: str | None = None) -> None:
        self._hits = store.all_hits()
        self._bm25 = None
        corpus = [tokenize(_indexed_text(h)) for h in self._hits]
        self._df = dict(Counter(t for tokens in corpus for t in set(tokens)))
        if self._hits:
            self._bm25 = bm25s.BM25(k1=1.2, b=0.75)
            self._bm25.index(corpus, show_progress=False)
        self.fingerprint = fingerprint or store.fingerprint()
        self._save()

    def idf(self, token: str) -> float:
        """Inverse document frequency of a token over the chunks; unseen tokens weigh the most."""
        n = len(self._hits)
        df = self._df.get(token, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def search(self, tokens: Sequence[str], k: int, filters: Filters | None = None) -> list[Hit]:
        """The best chunks for a question's search tokens (``index.tokenize.tokenize``), BM25-scored."""
        tokens = list(tokens)
        if self._bm25 is None or not tokens:
            return []
        vocab = self._bm25.vocab_dict
        ids = [vocab[t] for t in tokens if t in vocab]
        if not ids:
            return []
        scores = self._bm25.get_scores(tokens)
        order = np.argsort(-scores, kind="stable")
        out: list[Hit] = []
        for i in order:
            if scores[i] <= 0 or len(out) >= k:
                break
            if matches(filters, self._hits[i]):
                out.append(self._hits[i].model_copy(update={"score": float(scores[i])}))
        return out

    # -- persistence: a folder replaced as a whole, so a crash never leaves half an index ----------
    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".lexical-", dir=self.path.parent))
        try:
            if self._bm25 is not None:
                self._bm25.save(str(tmp / "bm25"), show_progress=False)
            payload = {
                "fingerprint": self.fingerprint,
                "hits": [h.model_dump() for h in self._hits],
                "df": self._df,
                "tokenizer": TOKENIZER_VERSION,
                "format": _FORMAT,
            }
            (tmp / "chunks.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
            old = self.path.with_name(self.path.name + ".old")
            if self.path.exists():
                os.replace(self.path, old)
            os.replace(tmp, self.path)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _load(self, fingerprint: str) -> bool:
        meta_file = self.path / "chunks.json"
        if not meta_file.exists():
            return False
        try:
            payload = json.loads(meta_file.read_text(encoding="utf-8"))
            if (
                payload.get("fingerprint") != fingerprint
                or payload.get("tokenizer") != TOKENIZER_VERSION
                or payload.get("format") != _FORMAT
            ):
                return False
            hits = [Hit.model_validate(h) for h in payload["hits"]]
            bm25 = bm25s.BM25.load(str(self.path / "bm25")) if hits else None
        except (OSError, ValueError, KeyError) as exc:
            log.warning("lexical index at %s unreadable (%s); rebuilding", self.path, exc)
            return False
        self._hits, self._bm25 = hits, bm25
        self._df = payload.get("df", {})
        self.fingerprint = fingerprint
        return True


def _indexed_text(hit: Hit) -> str:
    return f"{hit.section}\n{hit.text}"
