"""The composition root: ``build_service(settings)`` makes the parts once and hands them to
``DafuService``, whose public methods are all that the API, UI, CLI and eval call.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import urlparse

from llama_index.core.base.embeddings.base import BaseEmbedding

from index.chunking import Chunker
from index.embeddings import make_embedder, model_slug
from index.formats.model import Limits
from index.guard import IndexGuard
from index.ingest import Ingestor, IngestReport, Progress
from index.ledger import CommitmentStore
from index.lexical import LexicalIndex, Snapshot
from index.loading import load
from index.store import ChromaStore, make_client
from rag.admission import Gates
from rag.ask.catalogue import Catalogue
from rag.ask.extractive import ExtractiveAnswerer, ExtractiveWeights
from rag.ask.listing import CatalogueAnswerer
from rag.ask.llm import LLMAnswerer
from rag.ask.particulars import ParticularsAnswerer
from rag.ask.policy import MODES, AnswerPolicy
from rag.ask.question import QuestionParser
from rag.ask.retrieval import DenseRetriever, FusionWeights, HybridRetriever, LexicalRetriever, Retriever
from rag.ask.summary import SummaryAnswerer
from rag.ask.vectors import Vectors
from rag.chat.condense import LLMCondenser
from rag.chat.conversations import Chats, source_answer
from rag.chat.followup import FollowUpResolver
from rag.chat.model import Conversation, Feedback, Resolved, Turn
from rag.chat.store import ConversationStore, new_id
from rag.checks import checked_filters, checked_id, checked_name, checked_text
from rag.draft.drafter import Drafter
from rag.draft.model import Draft
from rag.draft.proposal import parse_proposal
from rag.errors import DocumentNotFound, FileTooLarge, InvalidInput
from rag.ledger.answer import LedgerAnswerer
from rag.ledger.followthrough import FollowThrough
from rag.ledger.ledger import Ledger
from rag.ledger.model import Entry, FigureChange, LedgerFilters
from rag.llm.client import ChatClient, OpenAICompatibleClient
from rag.settings import Settings
from rag.types import Answer, Document, DocumentInfo, Filters, Hit

log = logging.getLogger(__name__)

_POLL_SECONDS = 2.0  # a Chroma server may be written by processes that do not share the data dir
RETRIEVALS = ("hybrid", "dense", "lexical")


class DafuService:
    """Asking, searching, drafting and the documents of one data dir."""

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: BaseEmbedding,
        store: ChromaStore,
        lexical: LexicalIndex,
        ingestor: Ingestor,
        retrievers: dict[str, Retriever],
        parser: QuestionParser,
        policy: AnswerPolicy,
        drafter: Drafter,
        chats: Chats,
        guard: IndexGuard,
        vectors: Vectors,
        catalogue: Catalogue,
        ledger: Ledger | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.lexical = lexical
        self.ingestor = ingestor
        self.retrievers = retrievers
        self.parser = parser
        self.policy = policy
        self.drafter = drafter
        self.chats = chats
        self.guard = guard
        self.ledger = ledger
        self._ledger_answers = LedgerAnswerer(ledger) if ledger is not None else None
        self.gates = Gates(
            {"ask": settings.ask_workers, "search": settings.search_workers, "draft": settings.draft_workers},
            settings.queue_limit,
            {"ask": settings.queue_wait, "search": settings.queue_wait, "draft": settings.draft_queue_wait},
        )
        self._vectors = vectors
        self.catalogue = catalogue

    # -- questions -------------------------------------------------------------------------------
    # Every read pins one committed state of the index (``lexical.pinned``): dense and lexical search,
    # and the letters a question names, agree even while a writer commits the next state. Each kind of
    # read takes a bounded slot (``gates``): a full kind answers Busy rather than waiting without end.
    def search(
        self, query: str, top_k: int | None = None, filters: Filters | None = None, retrieval: str = "hybrid"
    ) -> list[Hit]:
        """The best passages for a query; ``retrieval`` picks hybrid (default), dense or lexical."""
        retriever = self._retriever(retrieval)
        query, filters = self._text(query, "检索内容"), checked_filters(filters)
        with self.gates.admit("search"), self._reading():
            return retriever.retrieve(self.parser.parse(query), top_k or self.settings.top_k, filters)

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        mode: str = "extractive",
        retrieval: str = "hybrid",
    ) -> Answer:
        """An answer with cited quotes, or a refusal with the nearest passages."""
        if mode not in MODES:
            raise InvalidInput(f"未知的回答模式“{mode}”，可选 extractive 或 llm。")
        retriever = self._retriever(retrieval)
        question, filters = self._text(question, "问题"), checked_filters(filters)
        with self.gates.admit("ask"), self._reading():
            if (from_ledger := self._from_ledger(question, filters)) is not None:
                return from_ledger
            parsed = self.parser.parse(question)
            hits = retriever.retrieve(parsed, top_k or self.settings.top_k, filters)
            return self.policy.answer(parsed, hits, mode)

    def ask_stream(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        mode: str = "extractive",
        retrieval: str = "hybrid",
    ) -> Iterator[str | Answer]:
        """``ask`` with the answer's text in pieces as it is written (LLM mode), then the ``Answer``
        (citation checks applied to the whole text). Bad input and an unreachable model raise here."""
        if mode not in MODES:
            raise InvalidInput(f"未知的回答模式“{mode}”，可选 extractive 或 llm。")
        retriever = self._retriever(retrieval)
        question, filters = self._text(question, "问题"), checked_filters(filters)
        with self.gates.admit("ask"), self._reading():
            if (from_ledger := self._from_ledger(question, filters)) is not None:
                return iter([from_ledger.answer, from_ledger])
            parsed = self.parser.parse(question)
            hits = retriever.retrieve(parsed, top_k or self.settings.top_k, filters)
        return self.policy.stream(parsed, hits, mode)

    def _from_ledger(self, question: str, filters: Filters | None) -> Answer | None:
        """A question about what was promised and whether it was done, answered from the ledger; None
        for any other question (and when filters narrow the search: the ledger spans all letters)."""
        if self._ledger_answers is None or (filters is not None and not filters.is_empty()):
            return None
        return self._ledger_answers.answer(question)

    # -- the commitments ledger ----------------------------------------------------------------------
    def commitments(self, filters: LedgerFilters | None = None) -> list[Entry]:
        """Every commitment of the indexed letters with its status in later letters and the evidence."""
        if filters is not None:
            filters = filters.model_copy(
                update={
                    k: checked_text(v, k, 200, required=False) or None
                    for k, v in filters.model_dump().items()
                    if isinstance(v, str) and k != "status"
                }
            )
        with self._reading():
            return self._ledger().entries(filters)

    def figure_changes(self, doc_id: str | None = None) -> list[FigureChange]:
        """Figures two letters state differently for the same subject (of one letter when ``doc_id``)."""
        doc_id = checked_id(doc_id) if doc_id else None
        with self._reading():
            return self._ledger().changes(doc_id)

    def _ledger(self) -> Ledger:
        if self.ledger is None:
            raise InvalidInput("此服务未启用承诺台账。")
        return self.ledger

    def answer(self, question: str, hits: Sequence[Hit]) -> Answer:
        """The offline answer to a question from passages already retrieved (the eval answers on the
        top of a deeper search)."""
        question = self._text(question, "问题")
        with self._reading():
            return self.policy.answer(self.parser.parse(question), list(hits))

    @property
    def llm_available(self) -> bool:
        return self.policy.llm is not None

    @property
    def refusal_threshold(self) -> float:
        return self.policy.extractive.threshold

    def example_questions(self) -> list[str]:
        """Example questions written from the indexed letters (the UI shows them)."""
        with self._reading():
            return self.catalogue.examples()

    def forget_query_vectors(self) -> None:
        """Forget memoised vectors, so that the next ask embeds its question (benchmarks)."""
        self._vectors.forget()

    def draft(
        self, proposal: str, *, top_k: int | None = None, mode: str = "offline", **fields: str | None
    ) -> Draft:
        """Draft a reply letter to a proposal's text. ``fields``: proposer, session, number, kind,
        title; a value given overrides what the text says."""
        proposal = checked_text(proposal, "提案", 10 * self.settings.max_proposal_chars, required=False)
        fields = {k: checked_text(v, k, 200, required=False) or None for k, v in fields.items()}
        parsed = parse_proposal(proposal, max_chars=self.settings.max_proposal_chars, **fields)
        with self.gates.admit("draft"), self._reading():
            return self.drafter.draft(parsed, top_k or self.settings.top_k, mode)

    def proposal_text(self, name: str, data: bytes) -> str:
        """The text of an uploaded proposal file (any format letters are read from), to draft a reply to."""
        name = checked_name(name)
        if len(data) > self.settings.max_upload_bytes:
            raise FileTooLarge(too_large(self.settings.max_upload_bytes))
        limits = Limits.of(self.settings)
        return load(Path(name), data, limits=limits, ocr_threads=self.settings.ocr_threads).text

    def _reading(self) -> AbstractContextManager[Snapshot]:
        """Pick up other processes' writes, then pin the committed state for the whole read."""
        self.guard.refresh()
        return self.lexical.pinned()

    # -- conversations ---------------------------------------------------------------------------
    def chat(
        self,
        question: str,
        conversation_id: str | None = None,
        *,
        history: Sequence[tuple[str, str]] | None = None,
        mode: str = "extractive",
        top_k: int | None = None,
        filters: Filters | None = None,
        retrieval: str = "hybrid",
    ) -> Turn:
        """One turn of a conversation: a follow-up is resolved against the previous turns (of the stored
        conversation ``conversation_id``, or ``history`` — earlier (question, answer) pairs — when a new
        one starts) and the turn is stored.
        The returned turn's ``resolved`` is the standalone question that was answered."""
        *_, turn = self.chat_stream(
            question, conversation_id, history=history, mode=mode, top_k=top_k, filters=filters,
            retrieval=retrieval,
        )  # fmt: skip
        assert isinstance(turn, Turn)
        return turn

    def chat_stream(
        self,
        question: str,
        conversation_id: str | None = None,
        *,
        history: Sequence[tuple[str, str]] | None = None,
        mode: str = "extractive",
        top_k: int | None = None,
        filters: Filters | None = None,
        retrieval: str = "hybrid",
    ) -> Iterator[Resolved | str | Turn]:
        """``chat`` as events: the question as understood (``Resolved``), the answer's text in pieces,
        then the stored ``Turn``. Bad input, an unknown conversation and an unreachable model raise
        here, before anything is streamed."""
        if mode not in MODES:
            raise InvalidInput(f"未知的回答模式“{mode}”，可选 extractive 或 llm。")
        text, filters = self._text(question, "问题"), checked_filters(filters)
        conversation_id, new, previous = self.chats.history(conversation_id, history)
        events: Iterator[str | Answer]
        with self.gates.admit("ask"), self._reading():
            resolution = self.chats.resolve(text, previous)
            if resolution.source_of is not None:
                answer = source_answer(resolution.source_of)
                events = iter([answer.answer, answer])
            else:
                hits = self._retriever(retrieval).retrieve(
                    resolution.question, top_k or self.settings.top_k, filters or resolution.filters
                )
                events = self.policy.stream(resolution.question, hits, mode)
        turn_id = new_id()
        resolved = Resolved(
            conversation_id=conversation_id, turn_id=turn_id, question=text, resolved=resolution.text,
            resolved_by=resolution.how,
        )  # fmt: skip

        def recorded() -> Iterator[Resolved | str | Turn]:
            yield resolved
            for event in events:
                if isinstance(event, Answer):
                    yield self.chats.record(conversation_id, new, turn_id, text, resolution, event)
                else:
                    yield event

        return recorded()

    def conversation(self, conversation_id: str) -> Conversation:
        return self.chats.store.conversation(conversation_id)

    def rate(self, turn_id: str, rating: int, comment: str = "") -> Feedback:
        """👍 (1) or 👎 (-1) on an answer, with an optional comment; rating again replaces it."""
        if rating not in (1, -1):
            raise InvalidInput("评价只能是 1（有用）或 -1（没用）。")
        comment = (comment or "").strip()
        if len(comment) > self.settings.max_question_chars:
            raise InvalidInput(f"评价说明过长（上限 {self.settings.max_question_chars} 字），请精简后重试。")
        return self.chats.store.rate(turn_id, rating, comment)

    def feedback(self) -> list[Feedback]:
        """Every rated answer, oldest first."""
        return self.chats.store.feedback()

    def _text(self, text: str, what: str) -> str:
        return checked_text(text, what, self.settings.max_question_chars)

    def _retriever(self, name: str) -> Retriever:
        try:
            return self.retrievers[name]
        except KeyError:
            raise InvalidInput(f"未知的检索方式“{name}”，可选 {'、'.join(RETRIEVALS)}。") from None

    # -- the index ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Pick up changes other processes made to the store (e.g. `dafu ingest` beside `dafu serve`)."""
        self.guard.refresh()

    # -- documents ---------------------------------------------------------------------------------
    def documents(self) -> list[DocumentInfo]:
        self.guard.refresh()
        return self.store.list_documents()

    def document(self, doc_id: str) -> Document:
        doc_id = checked_id(doc_id)
        self.guard.refresh()
        doc = self.store.get_document(doc_id)
        if doc is None:
            raise DocumentNotFound(
                f"没有编号为“{doc_id}”的文档。请用文档列表（dafu docs 或 GET /v1/documents）查看已收录的文档。"
            )
        return doc

    def ingest(
        self, paths: list[Path], progress: Progress | None = None, *, replace: bool = False
    ) -> IngestReport:
        """Index files and folders of this machine (the CLI; never a path a remote caller sends).
        Waits for another writer as long as it takes."""
        with self.guard.writing():
            return self.ingestor.ingest_paths(paths, progress, replace=replace)

    def upload(self, name: str, data: bytes, *, replace: bool = False) -> tuple[str, str]:
        """Index one uploaded file from its name and bytes. A document already indexed under that id
        is replaced only when ``replace`` (else ``DocumentExists``). Returns (doc_id, status)."""
        name = checked_name(name)
        limit = self.settings.max_upload_bytes
        if len(data) > limit:
            raise FileTooLarge(too_large(limit))
        with self.guard.writing(self.settings.write_wait):
            return self.ingestor.ingest_bytes(name, data, replace=replace)

    def delete(self, doc_id: str) -> None:
        doc_id = checked_id(doc_id)
        with self.guard.writing(self.settings.write_wait):
            if not self.ingestor.remove(doc_id):
                raise DocumentNotFound(f"没有编号为“{doc_id}”的文档，无法删除。")

    def health(self) -> dict[str, object]:
        """``status`` is ``ok`` only when a search over the current index succeeds."""
        status, problem = "ok", None
        try:
            with self._reading() as snap:
                self.retrievers["hybrid"].retrieve(self.parser.parse("答复"), 1)
                documents, chunks = len(snap.versions), len(snap.hits)
        except Exception as exc:  # whatever broke, the answer is "not ok", with what broke
            log.exception("health check failed")
            status, problem, documents, chunks = "error", f"{type(exc).__name__}: {exc}", 0, 0
        return {
            "status": status,
            "documents": documents,
            "chunks": chunks,
            "embedding_model": model_slug(self.settings.embed_model),
            "store": _store_label(self.settings.chroma_url),
            "llm": self.settings.llm_model if self.llm_available else None,
            "problem": problem,
            "queues": {kind: vars(s) for kind, s in self.gates.stats().items()},
        }


def too_large(limit: int) -> str:
    # Limits under 1 MB (set by administrators or tests) would otherwise read as "0 MB".
    size = f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{max(1, limit // 1024)} KB"
    return f"文件超过上传上限 {size}。请拆分文件或联系管理员调整 DAFU_MAX_UPLOAD_BYTES。"


def _store_label(chroma_url: str | None) -> str:
    """Where the index lives, without paths or credentials."""
    if not chroma_url:
        return "embedded"
    url = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
    return f"chroma {url.hostname or ''}:{url.port or ''}".rstrip(":")


def build_service(
    settings: Settings, *, embedder: BaseEmbedding | None = None, llm: ChatClient | None = None
) -> DafuService:
    """Make every part from the settings. ``embedder`` and ``llm`` replace the configured ones (tests)."""
    embedder = embedder or make_embedder(settings.embed_model, settings.embed_batch_size)
    client = make_client(settings.chroma_url, settings.chroma_path)
    store = ChromaStore(client, f"{settings.collection_prefix}_{model_slug(settings.embed_model)}")
    lexical = LexicalIndex(settings.lexical_path / store.namespace)
    commitments = CommitmentStore(settings.data_dir / "ledger" / f"{store.namespace}.sqlite3")
    guard = IndexGuard(
        settings.data_dir, store, lexical, poll_seconds=_POLL_SECONDS if settings.chroma_url else None,
        derived=(commitments.sync,),
    )  # fmt: skip
    guard.start()
    ingestor = Ingestor(
        store,
        lexical,
        embedder,
        Chunker(settings.chunk_size),
        limits=Limits.of(settings),
        ocr_threads=settings.ocr_threads,
    )
    vectors = Vectors(embedder)
    dense = DenseRetriever(store, vectors)
    fusion = FusionWeights(method=settings.fusion, dense_weight=settings.dense_weight, rrf_k=settings.rrf_k)
    hybrid = HybridRetriever(dense, LexicalRetriever(lexical), fusion)
    retrievers: dict[str, Retriever] = {"hybrid": hybrid, "dense": dense, "lexical": hybrid.lexical}
    if llm is None and settings.llm_base_url:
        llm = OpenAICompatibleClient.from_settings(settings)
    letters = Catalogue(store, lambda: lexical.fingerprint)
    parser = QuestionParser(letters, lexical.known)
    extractive = ExtractiveAnswerer(
        ExtractiveWeights(threshold=settings.refusal_threshold),
        idf=lexical.idf,
        issuer_of=letters.issuer,
    )
    policy = AnswerPolicy(
        hybrid,
        extractive,
        ParticularsAnswerer(store.get_document),
        CatalogueAnswerer(letters, store.get_document, lexical.idf),
        SummaryAnswerer(store.get_document),
        LLMAnswerer(llm, max_tokens=settings.llm_max_tokens, may_refuse=settings.llm_may_refuse)
        if llm is not None
        else None,
    )
    condense = llm is not None and settings.chat_condense in ("auto", "llm")
    chats = Chats(
        ConversationStore(settings.chat_path),
        FollowUpResolver(parser.parse, letters),
        LLMCondenser(llm, letters) if llm is not None and condense else None,
        window=settings.chat_window,
    )
    ledger = Ledger(commitments, store, FollowThrough(embedder))
    drafter = Drafter(
        hybrid, parser.parse, store, vectors, letters,
        issuer=settings.issuer, closing=settings.draft_closing, llm=llm, ledger=ledger,
    )  # fmt: skip
    return DafuService(
        settings, embedder=embedder, store=store, lexical=lexical, ingestor=ingestor, retrievers=retrievers,
        parser=parser, policy=policy, drafter=drafter, vectors=vectors, chats=chats, guard=guard,
        catalogue=letters,
        ledger=ledger,
    )  # fmt: skip
