"""The evaluation sets end to end: build the corpus once, run every configuration, summarise."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding

from eval import conversations as chats
from eval import drcd
from eval.baseline import LlamaIndexBaseline
from eval.datasets import Corpus, stratified
from eval.metadata import FieldScore, load_manifest, score_metadata
from eval.runner import (
    Config,
    Progress,
    QuestionResult,
    Runner,
    canonical_documents,
    dafu_configs,
    llm_configs,
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
    metadata: dict[str, FieldScore] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "configs": self.configs, "questions": self.questions,
            "summary": self.summary, "notes": self.notes, "per_type": self.per_type,
            "calibration": self.calibration,
            "metadata": {name: score.to_json() for name, score in self.metadata.items()},
            "results": [r.to_json() for r in self.results],
        }  # fmt: skip


@contextmanager
def corpus_service(
    settings: Settings, paths: Sequence[Path] = (), embedder: BaseEmbedding | None = None
) -> Iterator[DafuService]:
    """A service over letters on disk (default: the sample letters), indexed into a temporary data folder.
    ``embedder``: a model already loaded, to share it between the indexes of one run."""
    with tempfile.TemporaryDirectory(prefix="dafu-eval-") as folder:
        settings = settings.model_copy(update={"data_dir": Path(folder), "chroma_url": None})
        service = build_service(settings, embedder=embedder)
        report = service.ingest(list(paths) or [settings.letters_dir])
        if report.failed:
            raise DafuError(f"评测用答复函索引失败：{report.failed}。请检查这些文件能否读取。")
        yield service


def run_letters(
    service: DafuService,
    corpus: Corpus,
    *,
    baseline: bool = True,
    quick: bool = False,
    limit: int | None = None,
    progress: Progress | None = None,
    llm: bool = False,
    sample: int | None = None,
) -> SetResult:
    """All configurations on a set of letter questions (the sample letters or the other bureaus').
    ``quick`` leaves out the llama-index baseline and answers on the already retrieved hits instead of
    timing a separate ask. A corpus with a manifest also gets its metadata scored. ``llm``: hybrid
    answered offline and in LLM mode (the configured endpoint), nothing else. ``sample``: that many
    answerable questions (stratified by type) and every unanswerable one."""
    questions = corpus.questions[:limit] if limit else corpus.questions
    if sample:
        chosen = {q.id for q in stratified([q for q in questions if q.answerable], sample)}
        questions = [q for q in questions if q.id in chosen or not q.answerable]
    configs, notes = (llm_configs(service) if llm else dafu_configs(service)), []
    if sample:
        notes.append(
            f"sample: {sum(q.answerable for q in questions)} answerable questions stratified by type "
            f"and all {sum(not q.answerable for q in questions)} unanswerable ones"
        )
    if baseline and not quick and not llm:
        peer = LlamaIndexBaseline(canonical_documents(service), service.embedder)
        configs.append(Config("llamaindex", peer.search, False))
        notes.append(
            f"llamaindex: SentenceSplitter() defaults made {peer.chunks} chunks; dafu made {service.health()['chunks']}."
        )
    notes += [f"gold quote not in canonical text: {m}" for m in missing_quotes(service, questions)]
    runner = Runner(service, quote_ranker(service), timed_ask=not quick or llm, progress=progress)
    results = runner.run(configs, questions)
    return SetResult(
        name=corpus.name, configs=[c.name for c in configs], questions=len(questions),
        summary=summarize(results), results=results, notes=notes, per_type=per_type(results),
        calibration=calibrate(results, "hybrid", service.refusal_threshold),
        metadata={} if llm else metadata_scores(service, corpus),
    )  # fmt: skip


def metadata_scores(service: DafuService, corpus: Corpus) -> dict[str, FieldScore]:
    """Per-field metadata accuracy against the corpus's manifest (``{}`` when it has none)."""
    manifest = corpus.root / "manifest.jsonl" if corpus.root else None
    if manifest is None or not manifest.exists():
        return {}
    infos = service.documents()
    metas = {info.source: info.meta for info in infos}
    texts = {info.source: service.document(info.doc_id).text for info in infos}
    return score_metadata(load_manifest(manifest), metas, texts)


def union_calibration(sets: Sequence[SetResult], current: float) -> dict[str, Any]:
    """The refusal threshold calibrated on the letter sets together (hybrid), or ``{}`` if fewer than two."""
    letter_sets = [s for s in sets if s.calibration]
    if len(letter_sets) < 2:
        return {}
    cal = calibrate([r for s in letter_sets for r in s.results], "hybrid", current)
    return {**cal, "sets": [s.name for s in letter_sets]} if cal else {}


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
