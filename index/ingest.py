"""Idempotent ingestion: read, clean, extract metadata, chunk, embed, store.

Everything that can fail on bad input (reading, decoding, parsing) happens before the store is
touched, so a failed file changes nothing. Unchanged documents (same canonical text and chunking)
are skipped without embedding.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding

from index.chunking import Chunker, embedding_text
from index.cleaning import clean_blocks
from index.formats.model import Limits
from index.lexical import LexicalIndex
from index.loading import Extracted, iter_files, load
from index.metadata import extract_meta
from index.store import ChromaStore
from rag.errors import DafuError, UnreadableFile
from rag.types import Chunk, Document, LetterMeta

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (file name, files done, files total)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, message)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)


@dataclass(frozen=True)
class Prepared:
    document: Document
    version: str
    chunks: list[Chunk]


def doc_id_for(name: str) -> str:
    """A stable document id from a file name: its stem, reduced to safe characters."""
    stem = Path(name).stem.strip()
    safe = re.sub(r"[^\w\-\u4e00-\u9fff]+", "_", stem).strip("_")
    return safe[:80] or hashlib.sha1(name.encode()).hexdigest()[:12]


class Ingestor:
    def __init__(
        self,
        store: ChromaStore,
        lexical: LexicalIndex,
        embedder: BaseEmbedding,
        chunker: Chunker,
        *,
        limits: Limits | None = None,
        ocr_threads: int = 2,
    ) -> None:
        self.store = store
        self.lexical = lexical
        self.embedder = embedder
        self.chunker = chunker
        self.limits = limits or Limits()
        self.ocr_threads = ocr_threads

    def prepare(
        self,
        name: str,
        data: bytes | None = None,
        *,
        path: Path | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> Prepared:
        """Read and chunk one file without touching the store. Raises on bad input.

        ``progress(file, page, pages)`` follows long scans page by page.
        """
        path = path or Path(name)
        extracted = load(path, data, limits=self.limits, ocr_threads=self.ocr_threads, progress=progress)
        cleaned = clean_blocks(extracted.blocks)
        text = cleaned.text
        if not text.strip():
            raise UnreadableFile(f"文件 {path.name} 清理后没有文字内容。")
        meta = _with_properties(extract_meta(text), extracted)
        content_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
        doc_id = doc_id_for(path.name)
        # The version covers what was read from the text as well as the text: a reader that now finds
        # other metadata, sections or table rows in an unchanged file re-indexes it instead of keeping
        # stale chunks.
        rows, ocr = cleaned.row_spans, cleaned.ocr_spans
        layout = [
            (c.start, c.end, c.section, c.ocr)
            for c in self.chunker.split(doc_id, text, meta, rows=rows, ocr=ocr)
        ]
        read = f"{content_hash}:{self.chunker.size}:{meta.model_dump_json()}:{layout}"
        version = hashlib.sha256(read.encode("utf-8")).hexdigest()[:12]
        document = Document(
            doc_id=doc_id,
            source=path.name,
            content_hash=content_hash,
            text=text,
            meta=meta,
            ocr_spans=cleaned.ocr_spans,
            notes=extracted.notes,
        )
        for note in extracted.notes:
            log.warning("%s: %s", path.name, note)
        chunks = self.chunker.split(doc_id, text, meta, version=version, rows=rows, ocr=ocr)
        return Prepared(document, version, chunks)

    def ingest_paths(self, paths: Iterable[Path], progress: Progress | None = None) -> IngestReport:
        files = list(iter_files(paths))
        report = IngestReport()
        versions = self.store.versions()
        seen: dict[str, Path] = {}  # doc_id -> file it came from in this run
        for done, path in enumerate(files):
            if progress:
                progress(path.name, done, len(files))
            try:
                pages = _page_progress(progress, done, len(files))
                prepared = self.prepare(path.name, path=path, progress=pages)
                _check_unique(prepared.document.doc_id, path, seen)
            except DafuError as exc:
                report.failed.append((str(path), str(exc)))
                log.warning("skipped %s: %s", path, exc)
                continue
            self._commit(prepared, versions.get(prepared.document.doc_id), report)
        if progress:
            progress("", len(files), len(files))
        self.lexical.sync(self.store)
        return report

    def ingest_bytes(self, name: str, data: bytes) -> tuple[str, str]:
        """Ingest one uploaded file; raises on bad input. Returns (doc_id, 'added'|'updated'|'unchanged')."""
        prepared = self.prepare(name, data)
        report = IngestReport()
        self._commit(prepared, self.store.versions().get(prepared.document.doc_id), report)
        self.lexical.sync(self.store)
        status = "added" if report.added else "updated" if report.updated else "unchanged"
        return prepared.document.doc_id, status

    def remove(self, doc_id: str) -> bool:
        removed = self.store.delete_document(doc_id)
        self.lexical.sync(self.store)
        return removed

    def _commit(self, prepared: Prepared, current: str | None, report: IngestReport) -> None:
        doc = prepared.document
        if current == prepared.version:
            report.unchanged.append(doc.doc_id)
            return
        texts = [embedding_text(c, doc.meta) for c in prepared.chunks]
        embeddings = self.embedder.get_text_embedding_batch(texts)
        self.store.put_document(doc, prepared.version, prepared.chunks, embeddings)
        (report.updated if current else report.added).append(doc.doc_id)


def _page_progress(
    progress: Progress | None, done: int, total: int
) -> Callable[[str, int, int], None] | None:
    """Per-page progress of a long scan, shown as the file's progress line ("扫描件.pdf 第 3/12 页")."""
    if progress is None:
        return None
    return lambda name, page, pages: progress(f"{name} 第 {page + 1}/{pages} 页", done, total)


# Names GB/T 33476 (党政机关电子公文) gives the 发文字号 in an OFD's CustomDatas.
_DOC_NUMBER_FIELDS = ("发文字号", "文号")


def _with_properties(meta: LetterMeta, extracted: Extracted) -> LetterMeta:
    """Fill what the text does not state from the file's own metadata (an OFD's DocInfo title)."""
    found = extracted.properties
    update: dict[str, str] = {}
    if found.get("Title") and not meta.title:
        update["title"] = found["Title"]
    number = next((found[k] for k in _DOC_NUMBER_FIELDS if found.get(k)), "")
    if number and not meta.doc_number:
        update["doc_number"] = number
    return meta.model_copy(update=update) if update else meta


def _check_unique(doc_id: str, path: Path, seen: dict[str, Path]) -> None:
    """Two files with the same stem (a.txt and a.docx) would replace each other on every run."""
    first = seen.setdefault(doc_id, path)
    if first != path:
        raise DafuError(
            f"文件 {path.name} 与 {first.name} 的文档编号相同（{doc_id}），已跳过。请重命名其中一个文件后重试。"
        )
