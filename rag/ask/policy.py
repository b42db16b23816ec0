"""Which answerer answers a question, and from which passages.

1. A question about a named letter's particulars (its 文号, proposer, dates, …) is answered from the
   letter's metadata, cited where its text states it.
2. A question that asks which letters there are (a year's, a person's, a body's, on a topic) is answered
   with the list of matching letters, each cited at its header.
3. A question that asks what a named letter is about is answered with the letter's sections.
4. A question that names letters is answered from those letters only (a few passages of each), one
   quote per letter when it names several.
5. Otherwise the extractive answerer quotes the retrieved passages, or refuses.

LLM mode takes the same decision: the chat model only phrases a found extractive answer from its quotes
(and may refuse it); every other answer, and every refusal, is the offline one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rag.ask.extractive import ExtractiveAnswerer
from rag.ask.listing import CatalogueAnswerer
from rag.ask.llm import LLMAnswerer
from rag.ask.particulars import ParticularsAnswerer
from rag.ask.question import Question
from rag.ask.retrieval import Retriever
from rag.ask.summary import SummaryAnswerer
from rag.errors import InvalidInput, LLMUnavailable
from rag.types import Answer, Filters, Hit

MODES = ("extractive", "llm")


@dataclass(frozen=True)
class PolicyWeights:
    named_letters: int = 4  # at most this many named letters are searched
    per_letter_hits: int = 3  # passages fetched from each named letter


class AnswerPolicy:
    """``answer(question, hits, mode) -> Answer``."""

    def __init__(
        self,
        retriever: Retriever,
        extractive: ExtractiveAnswerer,
        particulars: ParticularsAnswerer,
        catalogue: CatalogueAnswerer,
        summary: SummaryAnswerer,
        llm: LLMAnswerer | None = None,
        weights: PolicyWeights = PolicyWeights(),
    ) -> None:
        self.retriever = retriever
        self.extractive = extractive
        self.particulars = particulars
        self.catalogue = catalogue
        self.summary = summary
        self.llm = llm
        self.weights = weights

    def answer(self, question: Question, hits: list[Hit], mode: str = "extractive") -> Answer:
        """The offline answer; in LLM mode, a found extractive answer phrased by the model (which may
        refuse it, never answer what the offline answerer refused)."""
        if mode == "llm":
            llm = self._llm()
            offline, passages = self._offline(question, hits)
            if passages is None or not offline.found:
                return offline.model_copy(update={"mode": "llm"})
            return llm.answer(question, offline, passages)
        if mode != "extractive":
            raise InvalidInput(f"未知的回答模式“{mode}”，可选 extractive 或 llm。")
        return self._offline(question, hits)[0]

    def stream(self, question: Question, hits: list[Hit], mode: str = "extractive") -> Iterator[str | Answer]:
        """The answer's text in pieces, then the ``Answer``. An LLM answer streams one checked sentence
        at a time (see ``LLMAnswerer.stream``); any other answer is one piece."""
        if mode == "llm":
            llm = self._llm()
            offline, passages = self._offline(question, hits)
            if passages is not None and offline.found:
                return llm.stream(question, offline, passages)
            answer = offline.model_copy(update={"mode": "llm"})
        else:
            answer = self.answer(question, hits, mode)
        return iter([answer.answer, answer])

    def _offline(self, question: Question, hits: list[Hit]) -> tuple[Answer, list[Hit] | None]:
        """The offline answer and, when it is extractive, the passages its quotes were chosen from
        (``None`` for answers from the metadata, the catalogue or a letter's sections)."""
        by_meta = self.particulars.answer(question)
        if by_meta is not None:
            return by_meta.model_copy(update={"hits": tuple(hits)}), None
        for answerer in (self.catalogue, self.summary):
            whole = answerer.answer(question, hits)
            if whole is not None:
                return whole, None
        if not question.letters:
            return self.extractive.answer(question, hits), hits
        # The question names its letters ("126号和115号…"): answer from those letters only.
        named = set(question.letters)
        pool: dict[str, Hit] = {}
        for doc_id in question.letters[: self.weights.named_letters]:
            for hit in self.retriever.retrieve(
                question, self.weights.per_letter_hits, Filters(doc_id=doc_id)
            ):
                pool.setdefault(hit.chunk_id, hit)
        for hit in hits:
            if hit.doc_id in named:
                pool.setdefault(hit.chunk_id, hit)
        passages = list(pool.values())
        answer = self.extractive.answer(question, passages, per_letter=len(named) > 1)
        return answer.model_copy(update={"hits": tuple(hits)}), passages

    def _llm(self) -> LLMAnswerer:
        if self.llm is None:
            raise LLMUnavailable(
                "未配置大模型：请设置 DAFU_LLM_BASE_URL（任意 OpenAI 兼容接口），或运行 `dafu llm serve` 启动本地模型。"
            )
        return self.llm
