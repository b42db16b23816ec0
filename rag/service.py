"""The composition root: ``build_service(settings)`` makes the heavy objects once.

API lifespan, CLI, UI and eval all go through ``DafuService``.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from index.chunking import Chunker
from index.embeddings import make_embedder, model_slug
from index.ingest import Ingestor, IngestReport, Progress
from index.lexical import LexicalIndex
from index.store import ChromaStore, make_client
from rag.answering import ExtractiveAnswerer
from rag.drafting import Draft, Drafter
from rag.errors import DocumentNotFound, InvalidInput, LLMUnavailable
from rag.meta_answers import MetadataAnswerer, referenced_letters
from rag.proposal import parse_proposal
from rag.retrieval import DenseRetriever, HybridRetriever, LexicalRetriever, Retriever
from rag.settings import Settings
from rag.types import Answer, Document, DocumentInfo, Filters, Hit

log = logging.getLogger(__name__)

_REFRESH_SECONDS = 2.0


class DafuService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embedder = make_embedder(settings.embed_model, settings.embed_batch_size)
        slug = model_slug(settings.embed_model)
        self.client = make_client(settings.chroma_url, settings.chroma_path)
        self.store = ChromaStore(self.client, f"{settings.collection_prefix}_{slug}")
        self.store.collect_garbage()
        self.lexical = LexicalIndex(settings.lexical_path / self.store.namespace)
        self.lexical.sync(self.store)
        self.chunker = Chunker(settings.chunk_size)
        self.ingestor = Ingestor(self.store, self.lexical, self.embedder, self.chunker)
        self.dense = DenseRetriever(self.store, self.embedder)
        self.lexical_retriever = LexicalRetriever(self.lexical)
        self.hybrid = HybridRetriever(
            self.dense,
            self.lexical_retriever,
            method=settings.fusion,
            rrf_k=settings.rrf_k,
            dense_weight=settings.dense_weight,
        )
        self.retriever: Retriever = self.hybrid
        self.answerer = ExtractiveAnswerer(threshold=settings.refusal_threshold, idf=self.lexical.idf)
        self.meta_answerer = MetadataAnswerer(self._all_documents)
        self._doc_cache: tuple[str, list[Document]] = ("", [])
        self.llm_answerer = _make_llm_answerer(settings)
        self.drafter = Drafter(
            self.hybrid, self.store, self.embedder, llm=getattr(self.llm_answerer, "client", None)
        )
        self._write_lock = threading.Lock()
        self._last_refresh = time.monotonic()

    # -- ask / search --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Pick up changes other processes made to the store (e.g. `dafu ingest` beside `dafu serve`).
        Checked at most every few seconds: it costs a read of the document records."""
        now = time.monotonic()
        if now - self._last_refresh >= _REFRESH_SECONDS:
            self._last_refresh = now
            self.store.forget_versions()
            self.lexical.sync(self.store)

    def search(self, query: str, top_k: int | None = None, filters: Filters | None = None) -> list[Hit]:
        query = self._check_text(query, "检索内容")
        self.refresh()
        return self.retriever.retrieve(query, top_k or self.settings.top_k, filters)

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        mode: str = "extractive",
    ) -> Answer:
        question = self._check_text(question, "问题")
        self.refresh()
        hits = self.retriever.retrieve(question, top_k or self.settings.top_k, filters)
        if mode == "llm":
            if self.llm_answerer is None:
                raise LLMUnavailable(
                    "未配置大模型：请设置 DAFU_LLM_BASE_URL（任意 OpenAI 兼容接口），或运行 `dafu llm serve` 启动本地模型。"
                )
            return self.llm_answerer.answer(question, hits)
        if mode != "extractive":
            raise InvalidInput(f"未知的回答模式“{mode}”，可选 extractive 或 llm。")
        return self.answer_hits(question, hits)

    def answer_hits(self, question: str, hits: list[Hit]) -> Answer:
        """The offline answer to a question from given hits: a letter's particulars from its
        metadata when that is what is asked, otherwise extracted sentences."""
        by_meta = self.meta_answerer.answer(question)
        if by_meta is not None:
            return by_meta.model_copy(update={"hits": tuple(hits)})
        named = referenced_letters(question, self._all_documents())
        if not named:
            return self.answerer.answer(question, hits)
        # The question names its letters ("126号和115号…"): answer from those letters only.
        ids = {d.doc_id for d in named}
        pool: dict[str, Hit] = {}
        for doc in named[:4]:
            for hit in self.retriever.retrieve(question, 3, Filters(doc_id=doc.doc_id)):
                pool.setdefault(hit.chunk_id, hit)
        for hit in hits:
            if hit.doc_id in ids:
                pool.setdefault(hit.chunk_id, hit)
        answer = self.answerer.answer(question, list(pool.values()), per_letter=len(named) > 1)
        return answer.model_copy(update={"hits": tuple(hits)})

    def _all_documents(self) -> list[Document]:
        """Every document with its text, cached until the index changes."""
        fingerprint = self.lexical.fingerprint
        if self._doc_cache[0] != fingerprint:
            docs = [self.store.get_document(i.doc_id) for i in self.store.list_documents()]
            self._doc_cache = (fingerprint, [d for d in docs if d is not None])
        return self._doc_cache[1]

    def draft(
        self, proposal: str, *, top_k: int | None = None, mode: str = "offline", **fields: str | None
    ) -> Draft:
        """Draft a reply letter to a proposal's text. ``fields``: proposer, session, number, kind,
        title; a value given overrides what the text says."""
        return self.drafter.draft(parse_proposal(proposal, **fields), top_k or self.settings.top_k, mode)

    def _check_text(self, text: str, what: str) -> str:
        text = (text or "").strip()
        if not text:
            raise InvalidInput(f"{what}不能为空，请输入要查询的内容。")
        if len(text) > self.settings.max_question_chars:
            raise InvalidInput(
                f"{what}过长（{len(text)} 字，上限 {self.settings.max_question_chars} 字）。请精简后重试；"
                "起草答复请使用“起草”功能。"
            )
        return text

    # -- documents -----------------------------------------------------------------------------
    def documents(self) -> list[DocumentInfo]:
        return self.store.list_documents()

    def document(self, doc_id: str) -> Document:
        doc = self.store.get_document(doc_id)
        if doc is None:
            raise DocumentNotFound(
                f"没有编号为“{doc_id}”的文档。请用文档列表（dafu docs 或 GET /v1/documents）查看已收录的文档。"
            )
        return doc

    def ingest(self, paths: list[Path], progress: Progress | None = None) -> IngestReport:
        with self._write_lock:
            return self.ingestor.ingest_paths(paths, progress)

    def upload(self, name: str, data: bytes) -> tuple[str, str]:
        with self._write_lock:
            return self.ingestor.ingest_bytes(name, data)

    def delete(self, doc_id: str) -> None:
        with self._write_lock:
            if not self.ingestor.remove(doc_id):
                raise DocumentNotFound(f"没有编号为“{doc_id}”的文档，无法删除。")

    def health(self) -> dict[str, object]:
        return {
            "status": "ok",
            "documents": len(self.store.versions()),
            "chunks": len(self.lexical),
            "embedding_model": self.settings.embed_model,
            "store": self.settings.chroma_url or str(self.settings.chroma_path),
            "llm": self.settings.llm_model if self.llm_answerer else None,
        }


def _make_llm_answerer(settings: Settings):  # type: ignore[no-untyped-def]
    if not settings.llm_base_url:
        return None
    from rag.llm import LLMAnswerer, OpenAICompatibleClient

    client = OpenAICompatibleClient(
        settings.llm_base_url, settings.llm_model, api_key=settings.llm_api_key, timeout=settings.llm_timeout
    )
    return LLMAnswerer(client)


def build_service(settings: Settings) -> DafuService:
    return DafuService(settings)
