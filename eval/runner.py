"""Runs retrieval configurations side by side over one index and records per-question results.

Every configuration sees the same documents, the same questions and the same embedder; only the
retriever differs. Answers come from the service's extractive answerer on each retriever's top-k.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from eval.datasets import Gold, Question
from eval.metrics import char_f1, exact_match, facts_present, gold_ranks, locate
from rag.claims import unsupported_claims
from rag.service import RETRIEVALS, DafuService
from rag.types import Answer, Hit

RETRIEVE_K = 20  # deepest cut-off any retrieval metric looks at (Recall@20)

Progress = Callable[[str, int, int], None]  # (config, questions done, questions total)
Ranker = Callable[[Sequence[Hit], Question], list[int | None]]
Search = Callable[[str, int], list[Hit]]  # (question, k) -> hits


@dataclass(frozen=True)
class Config:
    name: str
    search: Search
    answers: bool  # whether the service answers on this configuration's hits (dafu configurations)
    retrieval: str = ""  # the service's retrieval for its answers (default: the name)
    mode: str = "extractive"  # the answer mode asked for


@dataclass
class QuestionResult:
    id: str
    config: str
    question: str
    type: str
    answerable: bool
    ranks: list[int | None]  # per gold item: rank of the first passage that covers it
    latency_ms: float  # retrieve + answer (retrieve only for configurations that do not answer)
    context_chars: int = 0  # characters of the top-k passages: what an answerer or LLM has to read
    found: bool | None = None
    answer: str | None = None
    # letters: every fact present (catalogue: exactly the expected letters cited); DRCD: exact match of the
    # first quote
    correct: bool | None = None
    f1: float | None = None  # DRCD: character F1 of the first quote
    support: float | None = None
    citations: list[dict[str, Any]] = field(default_factory=list)
    # numbers, dates and 文号 of a found answer that none of its citations (quote, 文号, title) states
    unsupported: list[str] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)  # LLM mode: sentences replaced by their quotes

    @property
    def first_rank(self) -> int | None:
        found = [r for r in self.ranks if r is not None]
        return min(found) if found else None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "first_rank": self.first_rank}


class Runner:
    """``run(configs, questions) -> list[QuestionResult]`` against one service's index.

    ``ranker`` turns a hit list into gold ranks; ``timed_ask`` re-runs retrieval at the answer depth
    (top_k) so that the measured latency is that of a real ask rather than a deeper Recall@20 search.
    """

    def __init__(
        self,
        service: DafuService,
        ranker: Ranker,
        *,
        top_k: int | None = None,
        timed_ask: bool = True,
        progress: Progress | None = None,
    ) -> None:
        self.service = service
        self.ranker = ranker
        self.top_k = top_k or service.settings.top_k
        self.timed_ask = timed_ask
        self.progress = progress
        self._texts: dict[str, str] = {}

    def run(self, configs: Sequence[Config], questions: Sequence[Question]) -> list[QuestionResult]:
        results = []
        for config in configs:
            for done, question in enumerate(questions):
                if self.progress:
                    self.progress(config.name, done, len(questions))
                results.append(self._one(config, question))
            if self.progress:
                self.progress(config.name, len(questions), len(questions))
        return results

    def _one(self, config: Config, q: Question) -> QuestionResult:
        self.service.forget_query_vectors()
        start = time.perf_counter()
        hits = config.search(q.question, RETRIEVE_K)
        elapsed = time.perf_counter() - start
        result = QuestionResult(
            id=q.id, config=config.name, question=q.question, type=q.type, answerable=q.answerable,
            ranks=self.ranker(hits, q), latency_ms=elapsed * 1000,
            context_chars=sum(len(h.text) for h in hits[: self.top_k]),
        )  # fmt: skip
        if not config.answers:
            return result
        self.service.forget_query_vectors()  # time the ask as a new question: embedding included
        start = time.perf_counter()
        if self.timed_ask:
            answer = self.service.ask(
                q.question, self.top_k, retrieval=config.retrieval or config.name, mode=config.mode
            )
        else:
            answer = self.service.answer(q.question, hits[: self.top_k])
        answered = time.perf_counter() - start
        result.latency_ms = (answered if self.timed_ask else elapsed + answered) * 1000
        self._score_answer(result, answer, q)
        return result

    def _score_answer(self, result: QuestionResult, answer: Answer, q: Question) -> None:
        result.found = answer.found
        result.answer = answer.answer
        result.support = answer.support
        result.citations = [
            {
                "doc_id": c.doc_id,
                "quote": c.quote,
                "start": c.start,
                "end": c.end,
                "exact": self._text(c.doc_id)[c.start : c.end] == c.quote,
            }  # fmt: skip
            for c in answer.citations
        ]
        result.unsupported = uncited_claims(answer) if answer.found else []
        result.rewritten = list(answer.rewritten)
        if q.type == "drcd":
            first = answer.citations[0].quote if answer.found and answer.citations else ""
            result.correct = bool(exact_match(first, q.facts[0]))
            result.f1 = char_f1(first, q.facts[0])
        elif q.type == "catalogue":
            result.correct = answer.found and cited_letters(answer) == {
                form for fact in q.facts for form in fact
            }
        elif q.answerable:
            result.correct = answer.found and facts_present(answer.answer, q.facts)

    def _text(self, doc_id: str) -> str:
        if doc_id not in self._texts:
            self._texts[doc_id] = self.service.document(doc_id).text
        return self._texts[doc_id]


def uncited_claims(answer: Answer) -> list[str]:
    """The numbers, dates and 文号 of an answer's text that none of its citations states (in its quote or
    its letter's 文号 and title). How many letters are cited is stated by the citations themselves
    (a list's "共2件" with two letters cited); a total larger than the letters shown is not."""
    stated = [f"{c.doc_number} {c.title}\n{c.quote}" for c in answer.citations]
    stated.append(f"{len(cited_letters(answer))}件")
    return unsupported_claims(answer.answer, stated)


def cited_letters(answer: Answer) -> set[str]:
    """The documents an answer cites: what a catalogue question ("2021年答复了哪些提案？") is scored on."""
    return {c.doc_id for c in answer.citations}


def quote_ranker(service: DafuService) -> Ranker:
    """Letters: a passage is relevant when it is from a gold document and covers the gold quote."""
    spans: dict[Gold, tuple[int, int] | None] = {}

    def span(g: Gold) -> tuple[int, int] | None:
        if g not in spans:
            spans[g] = locate(service.document(g.doc_id).text, g.quote, g.occurrence)
        return spans[g]

    def rank(hits: Sequence[Hit], q: Question) -> list[int | None]:
        return gold_ranks(hits, [(g.doc_id, g.quote, span(g)) for g in q.gold])

    return rank


def missing_quotes(service: DafuService, questions: Sequence[Question]) -> list[str]:
    """Gold quotes that cannot be located in their document's canonical text (data or cleaning drift)."""
    out = []
    for q in questions:
        for g in q.gold:
            if locate(service.document(g.doc_id).text, g.quote, g.occurrence) is None:
                where = f"[{g.start}:{g.end}] " if g.start is not None else ""
                out.append(f"{q.id}: {g.doc_id} {where}“{g.quote}”")
    return out


def dafu_configs(service: DafuService) -> list[Config]:
    """lexical, dense and hybrid retrieval, each answered by the service."""
    return [Config(name, _searcher(service, name), True) for name in ("lexical", "dense", "hybrid")]


def llm_configs(service: DafuService) -> list[Config]:
    """hybrid retrieval answered offline (extractive) and in LLM mode, side by side."""
    search = _searcher(service, "hybrid")
    return [Config("hybrid", search, True), Config("llm", search, True, retrieval="hybrid", mode="llm")]


def _searcher(service: DafuService, retrieval: str) -> Search:
    assert retrieval in RETRIEVALS
    return lambda question, k: service.search(question, k, retrieval=retrieval)


def canonical_documents(service: DafuService) -> list[tuple[str, str]]:
    """(doc_id, canonical text) of every indexed document, for the baseline to index."""
    return [(info.doc_id, service.document(info.doc_id).text) for info in service.documents()]
