"""The composition root: ``build_service(settings)`` makes the parts once and hands them to
``DafuService``, whose public methods are all that the API, UI, CLI and eval call.
"""

from __future__ import annotations

import copy
import csv
import io
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from llama_index.core.base.embeddings.base import BaseEmbedding

from index.chunking import Chunker
from index.embeddings import make_embedder, model_slug
from index.formats.model import Limits
from index.guard import IndexGuard
from index.ingest import Ingestor, IngestReport, Progress, doc_id_for, iter_files
from index.ledger import CommitmentStore
from index.lexical import LexicalIndex, Snapshot
from index.loading import load
from index.store import ChromaStore, make_client
from index.visibility import only, visible
from rag.access.accounts import Accounts
from rag.access.model import OPERATOR, ROLE_NAMES, AuditEntry, AuditQuery, NewKey, Principal, Role, User
from rag.access.store import AccessStore
from rag.admission import Gates
from rag.ask.catalogue import Catalogue
from rag.ask.extractive import ExtractiveAnswerer, ExtractiveWeights
from rag.ask.listing import CatalogueAnswerer
from rag.ask.llm import LLMAnswerer
from rag.ask.particulars import ParticularsAnswerer
from rag.ask.places import LetterPlaces
from rag.ask.policy import MODES, AnswerPolicy
from rag.ask.question import QuestionParser
from rag.ask.retrieval import DenseRetriever, FusionWeights, HybridRetriever, LexicalRetriever, Retriever
from rag.ask.summary import SummaryAnswerer
from rag.ask.vectors import Vectors
from rag.chat.condense import LLMCondenser
from rag.chat.conversations import Chats, source_answer
from rag.chat.followup import FollowUpResolver
from rag.chat.model import Conversation, Feedback, Previous, Resolved, Turn
from rag.chat.store import ConversationStore, new_id
from rag.checks import checked_filters, checked_id, checked_name, checked_text
from rag.draft.drafter import Drafter
from rag.draft.model import Draft
from rag.draft.proposal import Proposal, parse_proposal
from rag.errors import ConversationNotFound, DocumentNotFound, FileTooLarge, Forbidden, InvalidInput
from rag.ledger.answer import LedgerAnswerer
from rag.ledger.followthrough import FollowThrough
from rag.ledger.ledger import Ledger
from rag.ledger.model import Entry, FigureChange, LedgerFilters
from rag.llm.client import ChatClient, OpenAICompatibleClient
from rag.settings import Settings
from rag.types import Answer, Document, DocumentInfo, Filters, Hit
from rag.workers import Workers

log = logging.getLogger(__name__)

_POLL_SECONDS = 2.0  # a Chroma server may be written by processes that do not share the data dir
RETRIEVALS = ("hybrid", "dense", "lexical")
# An answer kept in a conversation whose letters its reader may no longer see is shown as this.
WITHHELD = "（此回答引用的文档您现在无权查看，内容已隐去。）"
AUDIT_COLUMNS = ("seq", "time", "user", "key_id", "via", "action", "target", "detail", "outcome")


class DafuService:
    """Asking, searching, drafting and the documents of one data dir, for one caller.

    ``acting_as(principal)`` is the same service acting for a user: every read it makes sees only the
    documents that user may see (``index.visibility``), every write checks the user's role, and every
    ask, search, draft and write is recorded in the audit trail (docs/security.md). The service
    ``build_service`` returns acts for the operator of this process (sees all; reads not audited).
    """

    who: Principal = OPERATOR

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
        accounts: Accounts,
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
        self.accounts = accounts
        self.gates = Gates(
            {"ask": settings.ask_workers, "search": settings.search_workers, "draft": settings.draft_workers},
            settings.queue_limit,
            {"ask": settings.queue_wait, "search": settings.queue_wait, "draft": settings.draft_queue_wait},
        )
        self._vectors = vectors
        self.catalogue = catalogue
        self._draft_workers: Workers | None = None

    # -- who is asking ----------------------------------------------------------------------------
    def acting_as(self, who: Principal) -> DafuService:
        """This service acting for ``who`` (the parts are shared; only the caller differs)."""
        view = copy.copy(self)
        view.who = who
        return view

    @property
    def local_mode(self) -> bool:
        """No accounts exist: this machine's single user needs no login."""
        return self.accounts.local_mode()

    def authenticate(self, key: str | None, *, via: str = "api") -> Principal:
        """The user a key belongs to (this machine's user in local mode), within the key's rate limit.
        A refused key is recorded in the audit trail."""
        try:
            who = self.accounts.by_key(key, via, legacy_key=self.settings.api_key or "")
        except Exception as exc:
            if key:
                prefix = key.strip()[:17]
                self._record("auth_failed", detail=prefix, outcome=type(exc).__name__, who=_anonymous(via))
            raise
        self.accounts.check_rate(who)
        return who

    def login(self, name: str, key: str) -> tuple[str, Principal]:
        """A UI session for a user's name and key: (token for the cookie, principal)."""
        try:
            token, who = self.accounts.login(name, key)
        except Exception as exc:
            self._record("login_failed", target=name[:64], outcome=type(exc).__name__, who=_anonymous("ui"))
            raise
        self._record("login", target=who.name, who=who)
        return token, who

    def session(self, token: str | None) -> Principal | None:
        """The user of a UI session (this machine's user in local mode), or None when not signed in."""
        return self.accounts.by_session(token)

    def logout(self, token: str | None) -> None:
        name = self.accounts.logout(token)
        if name is not None:
            self._record("logout", target=name, who=self.who)

    def check_rate(self) -> None:
        """Count one request of this caller against its rate limit (``RateLimited`` when over)."""
        self.accounts.check_rate(self.who)

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
        with (
            self._audited("search", detail=query, question=True),
            self.gates.admit("search"),
            self._reading(),
        ):
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
        with self._audited("ask", detail=question, question=True), self.gates.admit("ask"), self._reading():
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
        with self._audited("ask", detail=question, question=True), self.gates.admit("ask"), self._reading():
            if (from_ledger := self._from_ledger(question, filters)) is not None:
                return iter([from_ledger.answer, from_ledger])
            parsed = self.parser.parse(question)
            hits = retriever.retrieve(parsed, top_k or self.settings.top_k, filters)
            # Inside the read: the offline answer (which an LLM only phrases) is written here, from the
            # letters the caller may see; what streams later reads only it and these hits.
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
        shown = {k: v for k, v in (filters.model_dump() if filters else {}).items() if v not in (None, "")}
        detail = " ".join(f"{k}={v}" for k, v in shown.items())
        with self._audited("commitments", detail=detail), self._reading():
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
            return self.policy.answer(self.parser.parse(question), [h for h in hits if visible(h.doc_id)])

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
        with self._audited("draft", detail=proposal, question=True), self.gates.admit("draft"):
            if self._draft_workers is not None:
                return self._draft_workers.call(
                    _draft_in_worker, self.who, parsed, top_k or self.settings.top_k, mode
                )
            return self._write_draft(parsed, top_k or self.settings.top_k, mode)

    def _write_draft(self, parsed: Proposal, top_k: int, mode: str) -> Draft:
        """The draft itself, in this process (a draft worker calls this after ``draft`` admitted it)."""
        with self._reading():
            return self.drafter.draft(parsed, top_k, mode)

    def isolate_drafts(self) -> None:
        """Write drafts from now on in worker processes at a lower CPU priority (``rag.workers``),
        so that drafts never slow the asks and searches answered meanwhile. The server calls this."""
        if self._draft_workers is None:
            s = self.settings
            # A worker drafts in its own threads: it must not start workers itself.
            alone = s.model_copy(update={"draft_isolation": False})
            self._draft_workers = Workers(_start_draft_worker, (alone,), s.draft_workers, s.draft_nice)
            self._draft_workers.start_now()

    def close_drafts(self) -> None:
        """Stop the draft worker processes, if any (drafts are then written in this process)."""
        workers, self._draft_workers = self._draft_workers, None
        if workers is not None:
            workers.close()

    def proposal_text(self, name: str, data: bytes) -> str:
        """The text of an uploaded proposal file (any format letters are read from), to draft a reply to."""
        name = checked_name(name)
        if len(data) > self.settings.max_upload_bytes:
            raise FileTooLarge(too_large(self.settings.max_upload_bytes))
        limits = Limits.of(self.settings)
        return load(Path(name), data, limits=limits, ocr_threads=self.settings.ocr_threads).text

    @contextmanager
    def _reading(self) -> Iterator[Snapshot]:
        """Pick up other processes' writes, pin the committed state for the whole read, and restrict
        it to the documents the caller may see."""
        self.guard.refresh()
        with self.lexical.pinned() as snap, only(self.accounts.visible(self.who, list(snap.versions))):
            yield snap

    def _visible_now(self) -> frozenset[str] | None:
        """The documents the caller may see, of those committed now (outside a pinned read)."""
        self.guard.refresh()
        return self.accounts.visible(self.who, list(self.store.versions()))

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
        if conversation_id is not None:
            self._own_conversation(conversation_id)
        events: Iterator[str | Answer]
        audited = self._audited("chat", target=conversation_id or "", detail=text, question=True)
        with audited, self.gates.admit("ask"), self._reading():
            conversation_id, new, previous = self.chats.history(conversation_id, history)
            previous = [self._shown_previous(p) for p in previous]
            resolution = self.chats.resolve(text, previous)
            if resolution.source_of is not None:
                answer = source_answer(resolution.source_of)
                events = iter([answer.answer, answer])
            elif (
                from_ledger := self._from_ledger(resolution.text, filters or resolution.filters)
            ) is not None:
                events = iter([from_ledger.answer, from_ledger])
            else:
                hits = self._retriever(retrieval).retrieve(
                    resolution.question, top_k or self.settings.top_k, filters or resolution.filters
                )
                events = self.policy.stream(resolution.question, hits, mode)
        turn_id = new_id()
        if new:
            self.accounts.store.set_owner(conversation_id, self.who.name or OPERATOR_OWNER)
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
        """A conversation of the caller's (admins: any), its answers as the caller may see them now."""
        self._own_conversation(conversation_id)
        conversation = self.chats.store.conversation(conversation_id)
        allowed = self._visible_now()
        turns = tuple(self._shown_turn(t, allowed) for t in conversation.turns)
        return conversation.model_copy(update={"turns": turns})

    def rate(self, turn_id: str, rating: int, comment: str = "") -> Feedback:
        """👍 (1) or 👎 (-1) on an answer, with an optional comment; rating again replaces it."""
        if rating not in (1, -1):
            raise InvalidInput("评价只能是 1（有用）或 -1（没用）。")
        comment = (comment or "").strip()
        if len(comment) > self.settings.max_question_chars:
            raise InvalidInput(f"评价说明过长（上限 {self.settings.max_question_chars} 字），请精简后重试。")
        turn = self.chats.store.turn(turn_id)
        self._own_conversation(turn.conversation_id, turn_id)
        return self.chats.store.rate(turn_id, rating, comment)

    def feedback(self) -> list[Feedback]:
        """Every rated answer, oldest first (admins: it holds every user's questions and answers)."""
        self._require(Role.ADMIN, "查看全部评价")
        return self.chats.store.feedback()

    def _own_conversation(self, conversation_id: str, turn_id: str | None = None) -> None:
        """Only its owner (and admins) may continue or read a conversation; to anyone else it does not
        exist."""
        if self.who.sees_all:
            return
        if self.accounts.store.owner(conversation_id) != self.who.name:
            if turn_id is not None:
                raise ConversationNotFound(
                    f"没有编号为“{turn_id}”的回答。请使用提问时返回的 turn_id（或 chat completions 返回的 id）。"
                )
            raise ConversationNotFound(
                f"没有编号为“{conversation_id}”的对话（可能已过期或编号有误）。请不带 conversation_id 重新开始一个新对话。"
            )

    @staticmethod
    def _shown_previous(previous: Previous) -> Previous:
        """A previous turn as the caller may see it now (inside a restricted read)."""
        ids = {*previous.letters, *(c.doc_id for c in previous.citations)}
        if all(visible(d) for d in ids):
            return previous
        return Previous(question=previous.question, answer=WITHHELD)

    @staticmethod
    def _shown_turn(turn: Turn, allowed: frozenset[str] | None) -> Turn:
        ids = {
            *turn.letters,
            *(c.doc_id for c in turn.answer.citations),
            *(h.doc_id for h in turn.answer.hits),
        }
        if allowed is None or ids <= allowed:
            return turn
        withheld = Answer(answer=WITHHELD, found=False, mode=turn.answer.mode)
        return turn.model_copy(update={"answer": withheld, "letters": ()})

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
        """The documents the caller may see, each with its access label."""
        with only(self._visible_now()):
            infos = self.store.list_documents()
        labels = self.accounts.store.labels()
        default = self.accounts.default_label
        return [i.model_copy(update={"label": labels.get(i.doc_id, default)}) for i in infos]

    def document(self, doc_id: str) -> Document:
        """A document's text and metadata; one the caller may not see is not found, like a missing one."""
        doc_id = checked_id(doc_id)
        with self._audited("read", target=doc_id):
            with only(self._visible_now()):
                doc = self.store.get_document(doc_id)
            if doc is None:
                raise DocumentNotFound(
                    f"没有编号为“{doc_id}”的文档。请用文档列表（dafu docs 或 GET /v1/documents）查看已收录的文档。"
                )
            return doc.model_copy(update={"label": self.accounts.label_of(doc_id)})

    def ingest(
        self,
        paths: list[Path],
        progress: Progress | None = None,
        *,
        replace: bool = False,
        label: str | None = None,
    ) -> IngestReport:
        """Index files and folders of this machine (the CLI; never a path a remote caller sends).
        ``label``: the access label of every file ingested (set before it is indexed, so it is never
        visible under another). Waits for another writer as long as it takes."""
        self._require(Role.EDITOR, "收录文档")
        if label is not None:
            label = self.accounts.assignable(self.who, label)
            for path in iter_files(paths):
                self.accounts.store.set_label(doc_id_for(path.name), label, self.who.name or OPERATOR_OWNER)
        with self._audited("ingest", detail=", ".join(p.name for p in paths)[:500]) as note:
            with self.guard.writing():
                report = self.ingestor.ingest_paths(paths, progress, replace=replace)
            note(f"added {len(report.added)}, updated {len(report.updated)}, failed {len(report.failed)}")
            return report

    def upload(
        self, name: str, data: bytes, *, replace: bool = False, label: str | None = None
    ) -> tuple[str, str]:
        """Index one uploaded file from its name and bytes, with an access label (default
        ``DAFU_DEFAULT_LABEL``). A document already indexed under that id is replaced only when
        ``replace`` (else ``DocumentExists``). Returns (doc_id, status). Editors and admins only."""
        with self._audited("upload", detail=str(name)[:200]) as note:
            self._require(Role.EDITOR, "上传文档")
            name = checked_name(name)
            limit = self.settings.max_upload_bytes
            if len(data) > limit:
                raise FileTooLarge(too_large(limit))
            label = self.accounts.assignable(self.who, label or self.accounts.default_label)
            doc_id = doc_id_for(name)
            allowed = self._visible_now()
            if allowed is not None and doc_id in self.store.versions() and doc_id not in allowed:
                raise Forbidden(
                    f"已有编号为“{doc_id}”的文档，而您无权查看它，因此不能替换。请把文件改名后再上传。"
                )
            note(f"{name} → {label}")
            # The label is set first, so the new text is never visible under the old (or default) one.
            before = self.accounts.store.label(doc_id)
            self.accounts.store.set_label(doc_id, label, self.who.name or OPERATOR_OWNER)
            try:
                with self.guard.writing(self.settings.write_wait):
                    doc_id, status = self.ingestor.ingest_bytes(name, data, replace=replace)
            except BaseException:
                self.accounts.store.set_label(doc_id, before, self.who.name or OPERATOR_OWNER)
                raise
            note(f"{name} → {label}: {status}", target=doc_id)
            return doc_id, status

    def delete(self, doc_id: str) -> None:
        """Remove a document the caller may see (editors and admins)."""
        doc_id = checked_id(doc_id)
        with self._audited("delete", target=doc_id):
            self._require(Role.EDITOR, "删除文档")
            allowed = self._visible_now()
            with self.guard.writing(self.settings.write_wait):
                if (allowed is not None and doc_id not in allowed) or not self.ingestor.remove(doc_id):
                    raise DocumentNotFound(f"没有编号为“{doc_id}”的文档，无法删除。")
            self.accounts.store.set_label(doc_id, None, self.who.name or OPERATOR_OWNER)

    def set_label(self, doc_id: str, label: str) -> Document:
        """Change a document's access label (editors: of a document they see, to a label they hold)."""
        doc_id = checked_id(doc_id)
        with self._audited("label", target=doc_id, detail=str(label)[:64]):
            self._require(Role.EDITOR, "修改访问标签")
            label = self.accounts.assignable(self.who, label)
            allowed = self._visible_now()
            if (allowed is not None and doc_id not in allowed) or doc_id not in self.store.versions():
                raise DocumentNotFound(f"没有编号为“{doc_id}”的文档，无法修改访问标签。")
            self.accounts.store.set_label(doc_id, label, self.who.name or OPERATOR_OWNER)
        return self.document(doc_id)

    def labels(self) -> list[str]:
        """The access labels the caller may give a document, the public one first."""
        return self.accounts.labels_for(self.who)

    # -- users and the audit trail (admins) ------------------------------------------------------
    def users(self) -> list[User]:
        self._require(Role.ADMIN, "管理用户")
        return self.accounts.users()

    def add_user(self, name: str, role: str, groups: str | tuple[str, ...] = ()) -> NewKey:
        """A new user and their first key; the key's secret is in the result and nowhere else."""
        with self._audited("user_add", target=str(name)[:64], detail=f"{role} {groups}"):
            self._require(Role.ADMIN, "添加用户")
            return self.accounts.add_user(name, role, groups)

    def new_key(self, name: str) -> NewKey:
        with self._audited("key_new", target=str(name)[:64]) as note:
            self._require(Role.ADMIN, "发放密钥")
            key = self.accounts.new_key(name)
            note(key.key_id)
            return key

    def update_user(
        self, name: str, *, role: str | None = None, groups: str | None = None, active: bool | None = None
    ) -> User:
        with self._audited(
            "user_update", target=str(name)[:64], detail=f"role={role} groups={groups} active={active}"
        ):
            self._require(Role.ADMIN, "修改用户")
            if name == self.who.name and (active is False or (role is not None and role != Role.ADMIN.value)):
                raise InvalidInput("不能停用自己或降低自己的角色：请让另一位管理员操作。")
            user = self.accounts.update(name, role=role, groups=groups)
            if active is not None:
                user = self.accounts.set_active(name, active)
                if not active:
                    self.accounts.revoke_key(name)
            return user

    def audit(self, query: AuditQuery | None = None) -> list[AuditEntry]:
        """The audit trail, newest first, filtered by ``query``."""
        self._require(Role.ADMIN, "查看审计记录")
        return self.accounts.audit(query or AuditQuery())

    def audit_csv(self, query: AuditQuery | None = None) -> str:
        """The filtered audit trail as CSV (UTF-8, with a BOM so that spreadsheet programs read it)."""
        entries = self.audit(query)
        self._record("audit_export", detail=f"{len(entries)} rows")
        return audit_csv(entries)

    # -- roles and the audit trail ---------------------------------------------------------------
    def _require(self, role: Role, what: str) -> None:
        if not self.who.role.allows(role):
            raise Forbidden(
                f"您的角色（{ROLE_NAMES[self.who.role]}）不能{what}：需要{ROLE_NAMES[role]}或以上权限。"
                "如需此权限，请联系管理员。"
            )

    @contextmanager
    def _audited(
        self, action: str, *, target: str = "", detail: str = "", question: bool = False
    ) -> Iterator[Callable[..., None]]:
        """Record ``action`` with its outcome (ok, or the error's kind) when the block ends. Reads by
        this process's own operator (the eval) are not recorded; writes always are. The block may
        update the detail and target: ``note(detail, target=...)``."""
        fields = {"target": target, "detail": detail}

        def note(new_detail: str, *, target: str | None = None) -> None:
            fields["detail"] = new_detail
            if target is not None:
                fields["target"] = target

        if self.who is OPERATOR and action in _READS:
            yield note
            return
        try:
            yield note
        except BaseException as exc:
            self._record(
                action, target=fields["target"], detail=fields["detail"], outcome=type(exc).__name__,
                question=question,
            )  # fmt: skip
            raise
        self._record(action, target=fields["target"], detail=fields["detail"], question=question)

    def _record(
        self, action: str, *, target: str = "", detail: str = "", outcome: str = "ok", question: bool = False,
        who: Principal | None = None,
    ) -> None:  # fmt: skip
        try:
            self.accounts.record(
                who or self.who, action, target=target, detail=detail, outcome=outcome, question=question
            )
        except Exception:  # the answer is not lost because the trail could not be written; the log says so
            log.exception("could not write the audit trail (%s by %s)", action, (who or self.who).name)

    def health(self) -> dict[str, object]:
        """``status`` is ``ok`` only when a search over the current index succeeds."""
        status, problem = "ok", None
        try:
            with self._reading() as snap:
                self.retrievers["hybrid"].retrieve(self.parser.parse("答复"), 1)
                documents, chunks = len(snap.versions), len(snap)
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


_READS = frozenset({"ask", "search", "chat", "draft", "read", "commitments"})
OPERATOR_OWNER = "operator"


def _anonymous(via: str) -> Principal:
    return Principal(name="（未登录）", role=Role.READER, via=via)


def audit_csv(entries: Sequence[AuditEntry]) -> str:
    """Audit entries as CSV (UTF-8 with a BOM, so that spreadsheet programs read the Chinese)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(AUDIT_COLUMNS)
    for e in entries:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.at))
        writer.writerow(
            [e.seq, when, e.user, e.key_id, e.via, e.action, _cell(e.target), _cell(e.detail), e.outcome]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


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


_WORKER_SERVICE: list[DafuService] = []  # in a draft worker process: the service it drafts with


def _start_draft_worker(settings: Settings) -> None:
    _WORKER_SERVICE.append(build_service(settings))


def _draft_in_worker(who: Principal, proposal: Proposal, top_k: int, mode: str) -> Draft:
    """A draft admitted, checked and audited by the server, written in a worker process."""
    return _WORKER_SERVICE[0].acting_as(who)._write_draft(proposal, top_k, mode)


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
    fusion = FusionWeights(
        method=settings.fusion,
        dense_weight=settings.dense_weight,
        dense_weight_max=settings.dense_weight_max,
        rrf_k=settings.rrf_k,
    )
    keywords = LexicalRetriever(lexical)
    hybrid = HybridRetriever(dense, keywords, fusion, coverage=keywords.coverage)
    retrievers: dict[str, Retriever] = {"hybrid": hybrid, "dense": dense, "lexical": hybrid.lexical}
    if llm is None and settings.llm_base_url:
        llm = OpenAICompatibleClient.from_settings(settings)
    letters = Catalogue(store, lambda: lexical.snapshot)
    letters.prime()  # from the records start-up read: the first ask does not wait for it
    parser = QuestionParser(letters, lexical.known)
    extractive = ExtractiveAnswerer(
        ExtractiveWeights(threshold=settings.refusal_threshold),
        idf=lexical.idf,
        issuer_of=letters.issuer,
        places_of=LetterPlaces(store.get_document, parser.known_places),
        vectors=vectors,
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
    accounts = Accounts(
        AccessStore(settings.accounts_path),
        public_label=settings.public_label,
        default_label=settings.default_label,
        record_questions=settings.audit_questions,
        session_hours=settings.session_hours,
        rate_per_minute=settings.rate_limit,
        legacy_key=settings.api_key,
    )
    drafter = Drafter(
        hybrid, parser.parse, store, vectors, letters,
        issuer=settings.issuer, closing=settings.draft_closing, llm=llm, ledger=ledger,
    )  # fmt: skip
    return DafuService(
        settings, embedder=embedder, store=store, lexical=lexical, ingestor=ingestor, retrievers=retrievers,
        parser=parser, policy=policy, drafter=drafter, vectors=vectors, chats=chats, guard=guard,
        catalogue=letters,
        ledger=ledger,
        accounts=accounts,
    )  # fmt: skip
