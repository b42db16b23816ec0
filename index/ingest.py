"""Idempotent ingestion: read, clean, extract metadata, chunk, embed, store.

Everything that can fail on bad input (reading, decoding, parsing) happens before the store is
touched, so a failed file changes nothing. Unchanged documents (same canonical text and chunking)
are skipped without embedding; a file whose bytes are those last indexed, read by the same reader
(``reader_fingerprint``) with the same chunk size, is skipped without even being read again, so
syncing a large unchanged folder costs a hash per file.
"""

from __future__ import annotations

import functools
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
from index.store import ChromaStore, Put
from rag.errors import DafuError, DocumentExists, UnreadableFile
from rag.types import Chunk, Document, LetterMeta

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (file name, files done, files total)

# Letters read are embedded and committed together, up to these many letters or chunks: one model
# batch and one store write instead of one per letter (each write costs ~0.1-0.2 s whatever its size).
# A crash loses at most the batch being written; the index stays at its last commit.
_COMMIT_LETTERS = 32
_COMMIT_CHUNKS = 512

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
    read_key: str = ""  # the bytes read and how (``Ingestor.read_key``)


# What reading a file depends on besides its bytes: the reading code and the libraries that parse
# formats or recognise scans. Any change to either re-reads every file once.
_READER_PACKAGES = ("index",)
_READER_LIBRARIES = ("pypdf", "pypdfium2", "python-docx", "rapidocr", "charset-normalizer", "lxml", "olefile")


@functools.cache
def reader_fingerprint() -> str:
    """A hash of the reading code (every module of ``index`` and ``rag/types.py``) and of the versions
    of the libraries it reads formats with."""
    from importlib import metadata

    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    files = sorted(p for package in _READER_PACKAGES for p in (root / package).rglob("*.py"))
    for path in [*files, root / "rag" / "types.py"]:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    for name in _READER_LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=-".encode())
    return digest.hexdigest()[:16]


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

    def read_key(self, data: bytes) -> str:
        """Changes when the file's bytes, the reader or the chunk size change."""
        head = f"{reader_fingerprint()}:{self.chunker.size}:".encode()
        return hashlib.sha256(head + data).hexdigest()[:24]

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
        if data is None:
            data = _read_bytes(path)
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
        return Prepared(document, version, chunks, self.read_key(data))

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
        known = (
            self.store.read_keys(list(dict.fromkeys(doc_id_for(p.name) for p in files)))
            if not replace
            else {}
        )
        pending: list[tuple[Prepared, str | None]] = []  # read, to be embedded and committed together
        for done, path in enumerate(files):
            if progress:
                progress(path.name, done, len(files))
            try:
                data = _read_bytes(path)
                doc_id = doc_id_for(path.name)
                _check_unique(doc_id, path, seen)
                if known.get(doc_id) == (self.read_key(data), path.name) and doc_id in versions:
                    report.unchanged.append(doc_id)
                    continue
                pages = _page_progress(progress, done, len(files))
                prepared = self.prepare(path.name, data, path=path, progress=pages)
                current = versions.get(doc_id)
                if current is not None and not replace:
                    existing = self.store.source_of(doc_id)
                    if existing is not None and existing != path.name:
                        raise DocumentExists(conflict_message(doc_id, existing, path.name))
            except DafuError as exc:
                report.failed.append((str(path), str(exc)))
                log.warning("skipped %s: %s", path, exc)
                continue
            if current == prepared.version:
                report.unchanged.append(doc_id)
                continue
            pending.append((prepared, current))
            if len(pending) >= _COMMIT_LETTERS or sum(len(p.chunks) for p, _ in pending) >= _COMMIT_CHUNKS:
                self._commit(pending, report)
                pending.clear()
        self._commit(pending, report)
        if progress:
            progress("", len(files), len(files))
        self.lexical.sync(self.store, persist=True)
        return report

    def ingest_bytes(self, name: str, data: bytes, *, replace: bool = False) -> tuple[str, str]:
        """Ingest one uploaded file; raises on bad input, and ``DocumentExists`` when it would replace a
        document with other content or from another file unless ``replace``.
        Returns (doc_id, 'added'|'updated'|'unchanged')."""
        doc_id = doc_id_for(name)
        same = self.store.read_keys([doc_id]).get(doc_id) == (self.read_key(data), Path(name).name)
        if same and doc_id in self.store.versions():
            return doc_id, "unchanged"
        prepared = self.prepare(name, data)
        doc = prepared.document
        current = self.store.versions().get(doc.doc_id)
        if current is not None:
            existing = self.store.source_of(doc.doc_id) or ""
            if existing == doc.source and current == prepared.version:
                return doc.doc_id, "unchanged"
            if not replace:
                raise DocumentExists(conflict_message(doc.doc_id, existing, doc.source))
        self._commit([(prepared, current)], IngestReport())
        self.lexical.sync(self.store, persist=True)
        return doc.doc_id, "added" if current is None else "updated"

    def remove(self, doc_id: str) -> bool:
        removed = self.store.delete_document(doc_id)
        self.lexical.sync(self.store, persist=True)
        return removed

    def _commit(self, pending: list[tuple[Prepared, str | None]], report: IngestReport) -> None:
        """Embed the chunks of ``pending`` in one batch and commit them in one write."""
        if not pending:
            return
        texts = [embedding_text(c, p.document.meta) for p, _ in pending for c in p.chunks]
        embeddings = self.embedder.get_text_embedding_batch(texts)
        puts, at = [], 0
        for prepared, _ in pending:
            n = len(prepared.chunks)
            vectors = embeddings[at : at + n]
            puts.append(Put(prepared.document, prepared.version, prepared.chunks, vectors, prepared.read_key))
            at += n
        self.store.put_documents(puts)
        for prepared, current in pending:
            (report.updated if current else report.added).append(prepared.document.doc_id)


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


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"无法读取文件 {path}：{exc.strerror or exc}。请检查路径和权限。") from exc


def _check_unique(doc_id: str, path: Path, seen: dict[str, Path]) -> None:
    """Two files with the same stem (a.txt and a.docx) would replace each other on every run."""
    first = seen.setdefault(doc_id, path)
    if first != path:
        raise DafuError(
            f"文件 {path.name} 与 {first.name} 的文档编号相同（{doc_id}），已跳过。请重命名其中一个文件后重试。"
        )
