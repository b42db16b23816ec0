"""Idempotent ingestion: read, clean, extract metadata, chunk, embed, store.

Everything that can fail on bad input (reading, decoding, parsing) happens before the store is
touched, so a failed file changes nothing. Unchanged documents (same canonical text and chunking)
are skipped without embedding.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding

from index.chunking import Chunker, embedding_text
from index.cleaning import clean_blocks
from index.formats.model import Limits
from index.instructions import instruction_spans
from index.lexical import LexicalIndex
from index.loading import Extracted, iter_files, load
from index.metadata import extract_meta
from index.store import ChromaStore
from rag.errors import DafuError, DocumentExists, UnreadableFile
from rag.types import Chunk, Document, LetterMeta

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (file name, files done, files total)

_SAFE_ID = re.compile(r"[\w\-]+")
_MAX_ID = 80


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
    """A stable document id from a file name: its stem when that is made of letters, digits, ``_`` and
    ``-`` only (at most 80 characters); otherwise those characters plus ``.`` and a hash of the whole
    stem, so that 报告(1), 报告[1] and 报告 1 get different ids. The extension is not part of the id:
    a.txt and a.docx name the same letter, and replacing one by the other must be asked for."""
    stem = unicodedata.normalize("NFC", Path(name).stem.strip())
    if _SAFE_ID.fullmatch(stem) and len(stem) <= _MAX_ID:
        return stem
    safe = re.sub(r"[^\w\-]+", "_", stem).strip("_")[: _MAX_ID - 11]
    digest = hashlib.sha1(stem.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{safe}.{digest}" if safe else digest


def conflict_message(doc_id: str, existing: str, new: str) -> str:
    return (
        f"已有编号为“{doc_id}”的文档（来自 {existing}）。如要用 {new} 替换它，请选择替换后重试"
        "（界面：勾选“替换同名文档”；API：replace=true；命令行：dafu ingest --replace）；"
        "如是另一份文档，请把文件改名后再上传。"
    )


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
        flagged = instruction_spans(text)
        if flagged:
            log.warning("%s: %d instruction-shaped sentences flagged", path.name, len(flagged))
            meta = meta.model_copy(update={"instructions": flagged})
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

    def ingest_paths(
        self, paths: Iterable[Path], progress: Progress | None = None, *, replace: bool = False
    ) -> IngestReport:
        """Index files and folders. A file already indexed under its own name is updated when it
        changed (ingesting a folder again syncs it); a file whose id belongs to a document read from
        another file is refused unless ``replace``."""
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
                doc_id = prepared.document.doc_id
                _check_unique(doc_id, path, seen)
                current = versions.get(doc_id)
                if current is not None and not replace:
                    existing = self.store.source_of(doc_id)
                    if existing is not None and existing != path.name:
                        raise DocumentExists(conflict_message(doc_id, existing, path.name))
            except DafuError as exc:
                report.failed.append((str(path), str(exc)))
                log.warning("skipped %s: %s", path, exc)
                continue
            self._commit(prepared, current, report)
        if progress:
            progress("", len(files), len(files))
        self.lexical.sync(self.store, persist=True)
        return report

    def ingest_bytes(self, name: str, data: bytes, *, replace: bool = False) -> tuple[str, str]:
        """Ingest one uploaded file; raises on bad input, and ``DocumentExists`` when it would replace a
        document with other content or from another file unless ``replace``.
        Returns (doc_id, 'added'|'updated'|'unchanged')."""
        prepared = self.prepare(name, data)
        doc = prepared.document
        current = self.store.versions().get(doc.doc_id)
        if current is not None:
            existing = self.store.source_of(doc.doc_id) or ""
            if existing == doc.source and current == prepared.version:
                return doc.doc_id, "unchanged"
            if not replace:
                raise DocumentExists(conflict_message(doc.doc_id, existing, doc.source))
        self._commit(prepared, current, IngestReport(), force=True)
        self.lexical.sync(self.store, persist=True)
        return doc.doc_id, "added" if current is None else "updated"

    def remove(self, doc_id: str) -> bool:
        removed = self.store.delete_document(doc_id)
        self.lexical.sync(self.store, persist=True)
        return removed

    def _commit(
        self, prepared: Prepared, current: str | None, report: IngestReport, *, force: bool = False
    ) -> None:
        doc = prepared.document
        if current == prepared.version and not force:
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
