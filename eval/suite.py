"""The evaluation sets end to end: build the corpus once, run every configuration, summarise."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval import conversations as chats
from eval import drcd
from eval.baseline import LlamaIndexBaseline
from eval.datasets import Corpus
from eval.runner import (
    Config,
    Progress,
    QuestionResult,
    Runner,
    canonical_documents,
    dafu_configs,
    missing_quotes,
    quote_ranker,
)
from eval.summary import calibrate, per_type, summarize
from rag.errors import DafuError
from rag.service import DafuService, build_service
from rag.settings import Settings


@dataclass
class SetResult:
    name: str
    configs: list[str]
    questions: int
    summary: dict[str, dict[str, float | None]]
    results: list[QuestionResult]
    notes: list[str] = field(default_factory=list)
    per_type: dict[str, dict[str, Any]] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "configs": self.configs, "questions": self.questions,
            "summary": self.summary, "notes": self.notes, "per_type": self.per_type,
            "calibration": self.calibration, "results": [r.to_json() for r in self.results],
        }  # fmt: skip


@contextmanager
def letters_service(settings: Settings, letters: Path | None = None) -> Iterator[DafuService]:
    """A service over the sample letters (or the letter files in ``letters``), indexed into a temporary
    data folder."""
    with tempfile.TemporaryDirectory(prefix="dafu-eval-") as folder:
        service = build_service(settings.model_copy(update={"data_dir": Path(folder), "chroma_url": None}))
        report = service.ingest([letters or settings.letters_dir])
        if report.failed:
            raise DafuError(
                f"答复函索引失败：{report.failed}。请检查 {letters or 'DAFU_LETTERS_DIR'} 下的文件。"
            )
        yield service


def run_letters(
    service: DafuService,
    corpus: Corpus,
    *,
    baseline: bool = True,
    quick: bool = False,
    limit: int | None = None,
    progress: Progress | None = None,
) -> SetResult:
    """All configurations on the letters set. ``quick`` leaves out the llama-index baseline and
    answers on the already retrieved hits instead of timing a separate ask."""
    questions = corpus.questions[:limit] if limit else corpus.questions
    configs, notes = dafu_configs(service), []
    if baseline and not quick:
        peer = LlamaIndexBaseline(canonical_documents(service), service.embedder)
        configs.append(Config("llamaindex", peer.search, False))
        notes.append(
            f"llamaindex: SentenceSplitter() defaults made {peer.chunks} chunks; dafu made {service.health()['chunks']}."
        )
    notes += [f"gold quote not in canonical text: {m}" for m in missing_quotes(service, questions)]
    runner = Runner(service, quote_ranker(service), timed_ask=not quick, progress=progress)
    results = runner.run(configs, questions)
    return SetResult(
        name="letters", configs=[c.name for c in configs], questions=len(questions),
        summary=summarize(results), results=results, notes=notes, per_type=per_type(results),
        calibration=calibrate(results, "hybrid", service.refusal_threshold),
    )  # fmt: skip


def run_drcd(
    service: DafuService,
    corpus: Corpus,
    *,
    baseline: bool = True,
    limit: int | None = None,
    progress: Progress | None = None,
) -> SetResult:
    """All configurations on a sample of DRCD questions (paragraph retrieval and answer spans)."""
    questions = drcd.sample(corpus.questions, limit)
    configs, notes = dafu_configs(service), []
    if baseline:
        memo = drcd.cache_dir(service.settings, corpus) / "llamaindex-vectors.npz"
        peer = LlamaIndexBaseline(canonical_documents(service), service.embedder, cache=memo)
        configs.append(Config("llamaindex", peer.search, False))
        notes.append(
            f"llamaindex: SentenceSplitter() defaults made {peer.chunks} chunks; dafu made {service.health()['chunks']}."
        )
    runner = Runner(service, drcd.paragraph_ranker, timed_ask=False, progress=progress)
    results = runner.run(configs, questions)
    notes.append(
        f"DRCD sample: first {len(questions)} of {len(corpus.questions)} questions; latency is "
        "retrieve@20 + answer."
    )
    return SetResult(
        name=corpus.name, configs=[c.name for c in configs], questions=len(questions),
        summary=summarize(results), results=results, notes=notes,
    )  # fmt: skip


def run_conversations(
    service: DafuService,
    conversations: list[chats.Conversation],
    *,
    name: str = "conversations",
    progress: Progress | None = None,
) -> SetResult:
    """Every conversation held with the service (``chat``) and, turn by turn, without history."""
    results = chats.run(service, conversations, progress)
    turns = sum(len(c.turns) for c in conversations)
    notes = [
        f"{len(conversations)} conversations, {turns} turns, {turns - len(conversations)} follow-ups; "
        "chat = follow-ups resolved against the earlier turns, no-history = every turn asked alone."
    ]
    return SetResult(
        name=name, configs=["chat", "no-history"], questions=turns, summary=chats.summarize(results),
        results=results, notes=notes, per_type=chats.per_kind(results),
    )  # fmt: skip
