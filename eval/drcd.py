"""The DRCD dev set as a retrieval corpus: 1000 Wikipedia paragraphs, each one document.

The index is cached under ``var/eval-cache/drcd-<chunk_size>-<model>``: embedding the paragraphs takes a
few minutes once, reruns reuse it (ingestion skips unchanged documents).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from eval.datasets import Corpus, Question
from eval.metrics import doc_rank
from index.embeddings import model_slug
from index.ingest import Progress
from rag.errors import DafuError
from rag.service import DafuService, build_service
from rag.settings import PROJECT_ROOT, Settings
from rag.types import Hit

CACHE_ROOT = PROJECT_ROOT / "var" / "eval-cache"


def cache_dir(settings: Settings, corpus: Corpus, root: Path = CACHE_ROOT) -> Path:
    suffix = corpus.name.removeprefix("drcd")
    return root / f"drcd-{settings.chunk_size}-{model_slug(settings.embed_model)}{suffix}"


def drcd_service(
    corpus: Corpus, settings: Settings, *, root: Path = CACHE_ROOT, progress: Progress | None = None
) -> DafuService:
    """A service over the DRCD paragraphs in the cache folder: what is missing is indexed, what is
    not in the corpus is removed, so the index holds exactly the corpus."""
    assert corpus.documents is not None
    folder = cache_dir(settings, corpus, root)
    service = build_service(settings.model_copy(update={"data_dir": folder, "chroma_url": None}))
    wanted = {doc_id for doc_id, _ in corpus.documents}
    for extra in set(service.store.versions()) - wanted:
        service.delete(extra)
    if set(service.store.versions()) == wanted:
        return service
    with tempfile.TemporaryDirectory(prefix="dafu-drcd-") as texts:
        paths = []
        for doc_id, text in corpus.documents:
            path = Path(texts) / f"{doc_id}.txt"
            path.write_text(text, encoding="utf-8")
            paths.append(path)
        report = service.ingest(paths, progress)
    if report.failed:
        raise DafuError(f"DRCD 段落索引失败：{report.failed[:3]}。请检查 DAFU_DRCD_PATH 指向的文件。")
    return service


def paragraph_ranker(hits: Sequence[Hit], q: Question) -> list[int | None]:
    """DRCD: the gold passage is the question's paragraph, ranked by document (best hit per doc)."""
    return [doc_rank(hits, q.gold[0].doc_id)]


def sample(questions: Sequence[Question], limit: int | None) -> list[Question]:
    """The first ``limit`` questions in file order (fixed, so runs are comparable)."""
    return list(questions[:limit] if limit else questions)


# Questions of the default run: the first 1000 of 3524, in file order (about a quarter of every
# configuration's cost; the whole set is `--limit 3524`).
DEFAULT_SAMPLE = 1000
QUICK_SAMPLE = 200
