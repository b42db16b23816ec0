"""Chroma as the source of truth: one collection of documents, one of chunks, per embedding model.

Write protocol (keeps the index consistent if a write is interrupted):
1. the new chunks are added under ids that carry the document's version;
2. the document record is upserted with that version: this is the commit point;
3. chunks of other versions of the document are deleted.
Readers only trust chunks whose version matches the committed document record, and
``collect_garbage()`` (run at start-up) removes chunks left behind by an interrupted write.

Several readers and one writer may share a store: a reader pins the committed versions it started
from (``pinned``), so that every part of one request (dense, lexical, the letters it names) sees the
same committed state while a writer commits the next one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import chromadb
import chromadb.errors
from chromadb.config import Settings as ChromaSettings

from index.visibility import restriction, visible
from rag.errors import DafuError
from rag.types import Chunk, Document, DocumentInfo, Filters, Hit, LetterMeta

log = logging.getLogger(__name__)

_BATCH = 256
_WRITE_BATCH = 2048  # chunks per upsert (Chroma's limit is higher; each call costs ~0.1-0.2 s)
_FALLBACK_CANDIDATES = 500
# A filter that matches at most this many chunks is searched exactly: the vector index's filtered search
# is approximate and, when few chunks match (one letter, one user's letters), can miss some of them.
_EXACT_LIMIT = 2000
_STATE_ID = "write"
# Never a real chunk id: deleting it is a no-op write (see ``ChromaStore.catch_up``).
_NO_SUCH_ID = "\x00dafu-catch-up"

_PINNED: ContextVar[Mapping[str, str] | None] = ContextVar("dafu_pinned_versions", default=None)


def fingerprint_of(versions: Mapping[str, str]) -> str:
    """Changes whenever any committed document changes; keys the derived lexical index."""
    return hashlib.sha256(json.dumps(sorted(versions.items())).encode()).hexdigest()[:16]


@contextmanager
def pinned(versions: Mapping[str, str] | None) -> Iterator[None]:
    """Within the block (same thread or task), ``ChromaStore.versions()`` answers ``versions``
    (``None``: the store's own, e.g. for a write made inside a read)."""
    token = _PINNED.set(versions)
    try:
        yield
    finally:
        _PINNED.reset(token)


def make_client(chroma_url: str | None, path: Path) -> Any:
    """An embedded ``PersistentClient`` under ``path``, or an ``HttpClient`` when a URL is given."""
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if chroma_url:
        url = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
        try:
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=settings,
            )
        except Exception as exc:  # chromadb raises plain ValueError/ConnectionError variants
            raise DafuError(
                f"无法连接 Chroma 服务 {chroma_url}：{exc}。请确认服务已启动，或清空 DAFU_CHROMA_URL 使用内置存储。"
            ) from exc
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


class ChromaStore:
    """Documents and chunks of one corpus for one embedding model."""

    def __init__(self, client: Any, namespace: str) -> None:
        self.client = client
        self.namespace = namespace
        self._versions: dict[str, str] | None = None
        # The first full read of the records, until taken (``take_records``): only the first is kept.
        self._records: Mapping[str, Any] | None = None
        self._keep_records = True
        space = {"hnsw:space": "cosine"}
        self.docs = client.get_or_create_collection(
            f"{namespace}_docs", embedding_function=None, metadata=space
        )
        self.chunks = client.get_or_create_collection(
            f"{namespace}_chunks", embedding_function=None, metadata=space
        )
        # One record whose token changes with every committed write: processes sharing a Chroma server
        # look at it to know whether anything changed, instead of re-reading every document record.
        self.state = client.get_or_create_collection(f"{namespace}_state", embedding_function=None)

    # -- reading -------------------------------------------------------------------------
    def versions(self) -> dict[str, str]:
        """doc_id -> committed version: the pinned ones inside ``pinned()``, else the store's, cached
        until ``forget_versions()`` (another process may have written); this store's own commits and
        deletes update the cache."""
        pin = _PINNED.get()
        if pin is not None:
            return dict(pin)
        versions = self._versions
        if versions is None:
            got = self.docs.get(include=["metadatas"])
            versions = {
                i: str(m["version"])
                for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)
                if m is not None
            }
            self._versions = versions
            if self._keep_records:
                self._records = got
        return dict(versions)

    def take_records(self) -> dict[str, tuple[str, LetterMeta]] | None:
        """doc_id -> (version, metadata) of every record of the first full read of the versions, once
        (start-up reads them all already: the catalogue is made from that read instead of another);
        None when taken or never read. Not restricted to what the current read may see."""
        got, self._records, self._keep_records = self._records, None, False
        if got is None:
            return None
        return {
            doc_id: (str(meta["version"]), LetterMeta.model_validate_json(str(meta["meta_json"])))
            for doc_id, meta in zip(got["ids"], got["metadatas"] or [], strict=True)
            if meta
        }

    def write_token(self) -> str:
        """Changes whenever a document is committed or deleted (by any process on this store)."""
        got = self.state.get(ids=[_STATE_ID], include=["metadatas"])
        metas = got["metadatas"] or []
        return str(metas[0].get("token", "")) if got["ids"] and metas and metas[0] else ""

    def _wrote(self) -> None:
        self.state.upsert(ids=[_STATE_ID], embeddings=[[0.0]], metadatas=[{"token": uuid.uuid4().hex}])

    def forget_versions(self) -> None:
        """Re-read the committed versions on next use (another process may have written)."""
        self._versions = None

    def catch_up(self) -> None:
        """Make this process's vector indexes include what other processes wrote.

        Embedded Chroma keeps each collection's vector index in memory and applies the shared write log
        to it only when this process writes: a no-op delete makes it apply the others' writes. Call it
        holding the data dir's write lock (``index.locking``), as for any write.
        """
        for collection in (self.docs, self.chunks):
            collection.delete(ids=[_NO_SUCH_ID])
        self._versions = None

    def fingerprint(self) -> str:
        """Changes whenever any committed document changes; keys the derived lexical index."""
        return fingerprint_of(self.versions())

    def source_of(self, doc_id: str) -> str | None:
        """The file name a committed document was read from, or None (also for ingestion, which is
        never restricted)."""
        got = self.docs.get(ids=[doc_id], include=["metadatas"])
        metas = got["metadatas"] or []
        return str(metas[0]["source"]) if got["ids"] and metas and metas[0] else None

    def read_keys(self, doc_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """doc_id -> (read key, source file name) of the committed documents among ``doc_ids`` that
        have a read key."""
        out: dict[str, tuple[str, str]] = {}
        for i in range(0, len(doc_ids), _BATCH):
            got = self.docs.get(ids=list(doc_ids[i : i + _BATCH]), include=["metadatas"])
            for doc_id, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
                if meta and meta.get("read_key"):
                    out[doc_id] = (str(meta["read_key"]), str(meta["source"]))
        return out

    def get_document(self, doc_id: str) -> Document | None:
        """The document, or None when it is not indexed or the current read may not see it."""
        if not visible(doc_id):
            return None
        got = self.docs.get(ids=[doc_id], include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        meta = got["metadatas"][0]
        reading = json.loads(str(meta.get("reading_json") or "{}"))
        return Document(
            doc_id=doc_id,
            source=str(meta["source"]),
            content_hash=str(meta["content_hash"]),
            text=got["documents"][0],
            meta=LetterMeta.model_validate_json(str(meta["meta_json"])),
            ocr_spans=tuple(tuple(s) for s in reading.get("ocr_spans", ())),
            notes=tuple(reading.get("notes", ())),
        )

    def metas(self, doc_ids: Sequence[str]) -> dict[str, LetterMeta]:
        """The metadata of those of ``doc_ids`` that are committed and visible to the current read."""
        return {doc_id: meta for doc_id, (_, meta) in self.versioned_metas(doc_ids).items()}

    def versioned_metas(self, doc_ids: Sequence[str] | None = None) -> dict[str, tuple[str, LetterMeta]]:
        """doc_id -> (version, metadata) of those of ``doc_ids`` (``None``: every document) that are
        committed and visible to the current read. The version is the one committed now, which is not
        the pinned one when a writer committed since (caches key what they read by it)."""
        if doc_ids is None:
            return self._metas_of(self.docs.get(include=["metadatas"]))
        out: dict[str, tuple[str, LetterMeta]] = {}
        for i in range(0, len(doc_ids), _BATCH):
            out |= self._metas_of(self.docs.get(ids=list(doc_ids[i : i + _BATCH]), include=["metadatas"]))
        return out

    @staticmethod
    def _metas_of(got: Mapping[str, Any]) -> dict[str, tuple[str, LetterMeta]]:
        return {
            doc_id: (str(meta["version"]), LetterMeta.model_validate_json(str(meta["meta_json"])))
            for doc_id, meta in zip(got["ids"], got["metadatas"] or [], strict=True)
            if meta and visible(doc_id)
        }

    def list_documents(self) -> list[DocumentInfo]:
        got = self.docs.get(include=["metadatas"])
        infos = [
            DocumentInfo(
                doc_id=i,
                source=str(m["source"]),
                content_hash=str(m["content_hash"]),
                chars=int(m["chars"]),
                chunks=int(m["chunks"]),
                meta=LetterMeta.model_validate_json(str(m["meta_json"])),
            )
            for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)
            if visible(i)
        ]
        return sorted(infos, key=lambda d: d.doc_id)

    def all_hits(self) -> list[Hit]:
        """Every committed chunk as a hit with score 0 (for rebuilding the lexical index), in reading order."""
        versions = self.versions()
        out = []
        got = self.chunks.get(include=["metadatas", "documents"])
        for cid, meta, text in zip(got["ids"], got["metadatas"] or [], got["documents"] or [], strict=True):
            if meta is not None and versions.get(str(meta["doc_id"])) == meta["version"]:
                out.append((int(meta["ordinal"]), _hit(cid, text, meta, 0.0, "lexical")))
        out.sort(key=lambda pair: (pair[1].doc_id, pair[0]))
        return [hit for _, hit in out]

    def letter_hits(self, doc_ids: Sequence[str]) -> dict[str, list[Hit]]:
        """The committed chunks of each of ``doc_ids`` that has any, in reading order (score 0)."""
        versions = self.versions()
        out: dict[str, list[tuple[int, Hit]]] = {}
        for i in range(0, len(doc_ids), _BATCH):
            batch = list(doc_ids[i : i + _BATCH])
            where = {"doc_id": batch[0]} if len(batch) == 1 else {"doc_id": {"$in": batch}}
            got = self.chunks.get(where=where, include=["metadatas", "documents"])
            for cid, meta, text in zip(
                got["ids"], got["metadatas"] or [], got["documents"] or [], strict=True
            ):
                if meta is not None and versions.get(str(meta["doc_id"])) == meta["version"]:
                    out.setdefault(str(meta["doc_id"]), []).append(
                        (int(meta["ordinal"]), _hit(cid, text, meta, 0.0, "lexical"))
                    )
        return {d: [hit for _, hit in sorted(pairs, key=lambda p: p[0])] for d, pairs in out.items()}

    def query(self, embedding: Sequence[float], k: int, filters: Filters | None = None) -> list[Hit]:
        """Nearest committed chunks, scored by cosine similarity."""
        allowed = restriction()
        if allowed is not None and not allowed:
            return []
        where = chroma_where(filters)
        if allowed is not None:  # the caller may see only these documents (index.visibility)
            only_these = {"doc_id": {"$in": sorted(allowed)}}
            where = only_these if where is None else {"$and": [*_clauses(where), only_these]}
        got = self._exact_query(embedding, where) if where is not None else None
        if got is None:
            got = self._index_query(embedding, k, where)
        versions = self.versions()
        out = []
        for cid, meta, text, dist in zip(
            got["ids"][0], got["metadatas"][0], got["documents"][0], got["distances"][0], strict=True
        ):
            # A chunk another process deleted stays in this process's vector index until ``catch_up``;
            # its metadata is already gone.
            if meta is not None and text is not None and versions.get(str(meta["doc_id"])) == meta["version"]:
                hit = _hit(cid, text, meta, 1.0 - float(dist), "dense")
                if matches(filters, hit) and visible(hit.doc_id):
                    out.append(hit)
        return out[:k]

    def _exact_query(self, embedding: Sequence[float], where: dict[str, Any]) -> dict[str, Any] | None:
        """Every chunk ``where`` matches, ranked by exact cosine similarity, in the shape of Chroma's query
        result; None when more than ``_EXACT_LIMIT`` match (the vector index is the faster way then)."""
        import numpy as np

        ids = self.chunks.get(where=where, limit=_EXACT_LIMIT + 1, include=[])["ids"]
        if len(ids) > _EXACT_LIMIT:
            return None
        if not ids:
            return {"ids": [[]], "metadatas": [[]], "documents": [[]], "distances": [[]]}
        got = self.chunks.get(ids=ids, include=["embeddings", "metadatas", "documents"])
        vectors = np.asarray(got["embeddings"], dtype=np.float32)
        query = np.asarray(embedding, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1) * (float(np.linalg.norm(query)) or 1.0)
        similarity = vectors @ query / np.where(norms > 0, norms, 1.0)
        order = np.argsort(-similarity, kind="stable")
        return {
            "ids": [[got["ids"][i] for i in order]],
            "metadatas": [[got["metadatas"][i] for i in order]],
            "documents": [[got["documents"][i] for i in order]],
            "distances": [[1.0 - float(similarity[i]) for i in order]],
        }

    def _index_query(
        self, embedding: Sequence[float], k: int, where: dict[str, Any] | None
    ) -> dict[str, Any]:
        # No count first: counting the collection costs a scan of its rows (~17 ms at 130k chunks) on
        # every search, and Chroma returns what it holds when it holds fewer than asked (none when empty).
        try:
            return dict(
                self.chunks.query(
                    query_embeddings=[list(embedding)],
                    n_results=k,
                    where=where,
                    include=["metadatas", "documents", "distances"],
                )
            )
        except chromadb.errors.ChromaError as exc:
            if where is None:
                raise
            # Another process committed chunks this process's vector index has not caught up with yet
            # (it will on the next read): a filtered search then fails inside Chroma ("Error finding
            # id"). Search without the filter and apply it here instead.
            log.warning("filtered dense search failed (%s); filtering the unfiltered results", exc)
            return dict(
                self.chunks.query(
                    query_embeddings=[list(embedding)],
                    n_results=max(10 * k, _FALLBACK_CANDIDATES),
                    include=["metadatas", "documents", "distances"],
                )
            )

    def similar_documents(self, embedding: Sequence[float], k: int) -> list[tuple[str, float]]:
        count = self.docs.count()
        if count == 0:
            return []
        got = self.docs.query(
            query_embeddings=[list(embedding)], n_results=min(k, count), include=["distances"]
        )
        versions = self.versions()
        return [
            (i, 1.0 - float(d))
            for i, d in zip(got["ids"][0], got["distances"][0], strict=True)
            if i in versions and visible(i)
        ]

    # -- writing -------------------------------------------------------------------------
    def put_document(
        self,
        doc: Document,
        version: str,
        chunks: Sequence[Chunk],
        embeddings: Sequence[Sequence[float]],
        *,
        read_key: str = "",
    ) -> None:
        """Commit one document (see the write protocol above). ``read_key``: what identifies the file's
        bytes as read (``Ingestor.read_key``), so that an unchanged file is skipped unread next time."""
        self.put_documents([Put(doc, version, chunks, embeddings, read_key)])

    def put_documents(self, puts: Sequence[Put]) -> None:
        """Commit several documents with one write of their chunks and one of their records (the commit
        point of all of them): a store's writes cost per call more than per chunk."""
        for put in puts:
            if not put.chunks:
                raise DafuError(f"文档 {put.doc.source} 没有可索引的文字。")
        rows = [(put, c, e) for put in puts for c, e in zip(put.chunks, put.embeddings, strict=True)]
        for i in range(0, len(rows), _WRITE_BATCH):
            part = rows[i : i + _WRITE_BATCH]
            self.chunks.upsert(
                ids=[c.chunk_id for _, c, _ in part],
                documents=[c.text for _, c, _ in part],
                embeddings=[list(e) for _, _, e in part],
                metadatas=[
                    {
                        **_common(put.doc, put.version),
                        "start": c.start,
                        "end": c.end,
                        "section": c.section,
                        "ordinal": c.ordinal,
                        "ocr": c.ocr,
                    }
                    for put, c, _ in part
                ],
            )
        try:
            self.docs.upsert(
                ids=[put.doc.doc_id for put in puts],
                documents=[put.doc.text for put in puts],
                embeddings=[_normalised_mean(put.embeddings) for put in puts],
                metadatas=[
                    {
                        **_common(put.doc, put.version),
                        "source": put.doc.source,
                        "content_hash": put.doc.content_hash,
                        "chars": len(put.doc.text),
                        "chunks": len(put.chunks),
                        "meta_json": put.doc.meta.model_dump_json(),
                        "reading_json": json.dumps({"ocr_spans": put.doc.ocr_spans, "notes": put.doc.notes}),
                        "read_key": put.read_key,
                    }
                    for put in puts
                ],
            )
        except BaseException:
            self._versions = None  # committed or not: read them again
            raise
        # The commit point passed: the cached versions take the new ones (no re-read of every record).
        # Copied, not changed in place: other threads may be reading the cached mapping.
        if (cached := self._versions) is not None:
            self._versions = {**cached, **{put.doc.doc_id: put.version for put in puts}}
        # Older versions' chunks, and any an interrupted write of these documents left.
        self._delete_stale_chunks([(put.doc.doc_id, put.version) for put in puts])
        self._wrote()

    def delete_document(self, doc_id: str) -> bool:
        if not self.docs.get(ids=[doc_id])["ids"]:
            return False
        try:
            self.docs.delete(ids=[doc_id])  # commit point: its chunks are now invisible
        except BaseException:
            self._versions = None
            raise
        if (cached := self._versions) is not None:
            self._versions = {d: v for d, v in cached.items() if d != doc_id}
        self.chunks.delete(where={"doc_id": doc_id})
        self._wrote()
        return True

    def collect_garbage(self) -> int:
        """Delete chunks not belonging to a committed document version (left by an interrupted write)."""
        self._versions = None
        versions = self.versions()
        # A chunk's id is "doc_id:version:ordinal" (document ids have no colon): the ids alone say
        # which chunks are stale, without reading 100k chunks' metadata at every start.
        committed = {f"{doc_id}:{version}" for doc_id, version in versions.items()}
        ids = self.chunks.get(include=[])["ids"]
        stale = [cid for cid in ids if cid.rsplit(":", 1)[0] not in committed]
        for i in range(0, len(stale), _BATCH):
            self.chunks.delete(ids=stale[i : i + _BATCH])
        if stale:
            log.info("removed %d chunks left by an interrupted write", len(stale))
        return len(stale)

    def _delete_stale_chunks(self, committed: Sequence[tuple[str, str]]) -> None:
        """Delete the chunks of other versions than the committed one of each (doc_id, version)."""
        clauses: list[dict[str, Any]] = [
            {"$and": [{"doc_id": doc_id}, {"version": {"$ne": version}}]} for doc_id, version in committed
        ]
        for i in range(0, len(clauses), _BATCH):
            part = clauses[i : i + _BATCH]
            self.chunks.delete(where=part[0] if len(part) == 1 else {"$or": part})


@dataclass(frozen=True)
class Put:
    """One document to commit: its record, version, chunks, their vectors, and its read key."""

    doc: Document
    version: str
    chunks: Sequence[Chunk]
    embeddings: Sequence[Sequence[float]]
    read_key: str = ""


def _common(doc: Document, version: str) -> dict[str, Any]:
    """Metadata of a document's record and of each of its chunks (filters apply to both)."""
    meta = doc.meta
    return {
        "doc_id": doc.doc_id,
        "version": version,
        "doc_number": meta.doc_number,
        "title": meta.title,
        "kind": meta.kind,
        "proposer": meta.proposer,
        "year": meta.year if meta.year is not None else -1,
    }


def chroma_where(filters: Filters | None) -> dict[str, Any] | None:
    if filters is None or filters.is_empty():
        return None
    clauses: list[dict[str, Any]] = []
    if filters.year is not None:
        clauses.append({"year": filters.year})
    for field in ("kind", "doc_number", "proposer", "doc_id"):
        value = getattr(filters, field)
        if value:
            clauses.append({field: value})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _clauses(where: dict[str, Any]) -> list[dict[str, Any]]:
    return list(where["$and"]) if "$and" in where else [where]


class Described(Protocol):
    """What a filter looks at: a hit's letter-level metadata (a ``Hit``, or a letter of the keyword
    index before any hit of it is made)."""

    @property
    def doc_id(self) -> str: ...
    @property
    def doc_number(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def proposer(self) -> str: ...
    @property
    def year(self) -> int | None: ...


def matches(filters: Filters | None, hit: Described) -> bool:
    """The same filter applied to a hit's metadata (for the lexical side)."""
    if filters is None:
        return True
    if filters.year is not None and hit.year != filters.year:
        return False
    return all(
        not getattr(filters, field) or getattr(hit, field) == getattr(filters, field)
        for field in ("kind", "doc_number", "proposer", "doc_id")
    )


def _hit(chunk_id: str, text: str, meta: dict[str, Any], score: float, source: str) -> Hit:
    """A stored chunk and its letter's metadata as our own type: Chroma's dicts stop here."""
    year = meta.get("year")
    return Hit(
        chunk_id=chunk_id,
        doc_id=str(meta["doc_id"]),
        doc_number=str(meta.get("doc_number", "")),
        title=str(meta.get("title", "")),
        section=str(meta["section"]),
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        score=score,
        year=int(year) if isinstance(year, int) and year > 0 else None,
        kind=str(meta.get("kind", "")),
        proposer=str(meta.get("proposer", "")),
        sources=(source,),
        ocr=bool(meta.get("ocr", False)),
    )


def _normalised_mean(embeddings: Sequence[Sequence[float]]) -> list[float]:
    import numpy as np

    mean = np.asarray(embeddings, dtype=np.float32).mean(axis=0)
    norm = float(np.linalg.norm(mean)) or 1.0
    return (mean / norm).tolist()
