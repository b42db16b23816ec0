"""Runs retrieval configurations side by side over one index and records per-question results.

Every configuration sees the same documents, the same questions and the same embedder; only the
retriever differs. Answers come from the service's extractive answerer on each retriever's top-k.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from eval.datasets import Question
from eval.metrics import char_f1, compact, exact_match, facts_present, gold_ranks, locate
from rag.retrieval import Retriever
from rag.service import DafuService
from rag.types import Answer, Hit

RETRIEVE_K = 20  # deepest cut-off any retrieval metric looks at (Recall@20)

Progress = Callable[[str, int, int], None]  # (config, questions done, questions total)
Ranker = Callable[[Sequence[Hit], Question], list[int | None]]


@dataclass(frozen=True)
class Config:
    name: str
    retriever: Retriever
    answers: bool  # whether the extractive answerer runs on its hits


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
    correct: bool | None = None  # letters: all facts present; DRCD: exact match of the first quote
    f1: float | None = None  # DRCD: character F1 of the first quote
    support: float | None = None
    citations: list[dict[str, Any]] = field(default_factory=list)

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
        forget_queries(self.service)
        start = time.perf_counter()
        hits = config.retriever.retrieve(q.question, RETRIEVE_K)
        elapsed = time.perf_counter() - start
        result = QuestionResult(
            id=q.id, config=config.name, question=q.question, type=q.type, answerable=q.answerable,
            ranks=self.ranker(hits, q), latency_ms=elapsed * 1000,
            context_chars=sum(len(h.text) for h in hits[: self.top_k]),
        )  # fmt: skip
        if not config.answers:
            return result
        forget_queries(self.service)  # time the ask as a new question: embedding included
        start = time.perf_counter()
        top = config.retriever.retrieve(q.question, self.top_k) if self.timed_ask else hits[: self.top_k]
        answer = self.service.answer_hits(q.question, top)
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
        if q.type == "drcd":
            first = answer.citations[0].quote if answer.found and answer.citations else ""
            result.correct = bool(exact_match(first, q.facts))
            result.f1 = char_f1(first, q.facts)
        elif q.answerable:
            result.correct = answer.found and facts_present(answer.answer, q.facts)

    def _text(self, doc_id: str) -> str:
        if doc_id not in self._texts:
            self._texts[doc_id] = self.service.document(doc_id).text
        return self._texts[doc_id]


def forget_queries(service: DafuService) -> None:
    """Empty the dense retriever's query-vector memo (if it has one), so that a timed call embeds its
    question like a first ask would, whichever configuration ran the question before."""
    service.dense.forget_queries()


def quote_ranker(service: DafuService) -> Ranker:
    """Letters: a passage is relevant when it is from a gold document and covers the gold quote."""
    spans: dict[tuple[str, str], tuple[int, int] | None] = {}

    def span(doc_id: str, quote: str) -> tuple[int, int] | None:
        if (doc_id, quote) not in spans:
            spans[doc_id, quote] = locate(service.document(doc_id).text, quote)
        return spans[doc_id, quote]

    def rank(hits: Sequence[Hit], q: Question) -> list[int | None]:
        return gold_ranks(hits, [(g.doc_id, g.quote, span(g.doc_id, g.quote)) for g in q.gold])

    return rank


def missing_quotes(service: DafuService, questions: Sequence[Question]) -> list[str]:
    """Gold quotes that cannot be found in their document's canonical text (data or cleaning drift)."""
    out = []
    for q in questions:
        for g in q.gold:
            text = service.document(g.doc_id).text
            if compact(g.quote) not in compact(text):
                out.append(f"{q.id}: {g.doc_id} “{g.quote}”")
    return out


def dafu_configs(service: DafuService) -> tuple[list[Config], list[str]]:
    """lexical, dense, hybrid and, when a reranker is configured, hybrid+rerank. Returns notes too."""
    configs = [
        Config("lexical", service.lexical_retriever, True),
        Config("dense", service.dense, True),
        Config("hybrid", service.hybrid, True),
    ]
    notes = []
    reranker = getattr(service, "reranker", None)
    if not service.settings.reranker_model:
        notes.append("hybrid+rerank skipped: no reranker configured (DAFU_RERANKER_MODEL is empty).")
    elif reranker is None or not hasattr(reranker, "retrieve"):
        notes.append(
            "hybrid+rerank skipped: DAFU_RERANKER_MODEL is set but the service has no reranking retriever."
        )
    else:
        configs.append(Config("hybrid+rerank", reranker, True))
    return configs, notes


def canonical_documents(service: DafuService) -> list[tuple[str, str]]:
    """(doc_id, canonical text) of every indexed document, for the baseline to index."""
    return [(info.doc_id, service.document(info.doc_id).text) for info in service.documents()]
