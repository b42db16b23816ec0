"""``dafu eval --llm``: LLM mode beside the extractive answers on a fixed sample, with the claim check."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from eval.cli import eval_cmd
from eval.datasets import load_letters, stratified
from eval.runner import uncited_claims
from eval.suite import run_letters
from rag.llm.client import OpenAICompatibleClient
from rag.service import DafuService, build_service
from rag.types import Answer, Citation
from rag.vocabulary import NOT_FOUND
from tests.conftest import make_settings
from tests.factories import FakeLLM


def test_a_stratified_sample_keeps_the_mix_of_types_and_is_always_the_same() -> None:
    questions = load_letters().questions
    sample = stratified(questions, 40)
    assert len(sample) == 40 and sample == stratified(questions, 40)
    assert set(q.type for q in sample) == set(q.type for q in questions)
    assert [q.id for q in sample] == sorted(q.id for q in sample)  # in the set's order
    counts, total = Counter(q.type for q in sample), Counter(q.type for q in questions)
    for kind, n in total.items():
        assert abs(counts[kind] - 40 * n / len(questions)) <= 1.5, kind
    assert stratified(questions, 1000) == questions


def test_uncited_claims_are_those_no_citation_states() -> None:
    quote = Citation(
        doc_id="d", doc_number="温科提复〔2024〕126号", title="关于第395号提案的答复函", section="",
        quote="2023年，全市生命健康产业实现总营收1588亿元；", start=0, end=24, score=1.0,
    )  # fmt: skip
    answer = Answer(answer="据温科提复〔2024〕126号，2023年总营收1588亿元[1]，增长11.3%[1]。", found=True,
                    citations=(quote,))  # fmt: skip
    assert uncited_claims(answer) == ["11.3%"]
    # A list's count is the letters its citations show, not more.
    other = Citation(doc_id="e", doc_number="", title="", section="", quote="", start=0, end=0, score=1.0)
    listed = Answer(answer="共2件答复函：…[1]…[2]", found=True, citations=(quote, other))
    assert uncited_claims(listed) == []
    assert uncited_claims(Answer(answer="共12件，列出前2件：…", found=True, citations=(quote, other))) == [
        "12件"
    ]


def test_eval_llm_needs_an_endpoint(tmp_path: Path) -> None:
    result = CliRunner().invoke(eval_cmd, ["--llm", "--out", str(tmp_path)], env={"DAFU_LLM_BASE_URL": ""})
    assert result.exit_code == 1 and "DAFU_LLM_BASE_URL" in result.output
    assert not list(tmp_path.iterdir())


def test_llm_mode_runs_beside_hybrid_on_the_sample(
    indexed_dir: Path, tmp_path: Path, service: DafuService, fake_llm: FakeLLM
) -> None:
    shutil.copytree(indexed_dir, tmp_path / "data")
    client = OpenAICompatibleClient(fake_llm.url, "qwen2.5-0.5b-instruct", timeout=10)
    llm_service = build_service(make_settings(tmp_path / "data"), embedder=service.embedder, llm=client)
    for _ in range(40):
        fake_llm.reply(NOT_FOUND)  # a model that refuses everything it is asked
    result = run_letters(llm_service, load_letters(), llm=True, sample=4)
    assert result.configs == ["hybrid", "llm"]
    assert result.questions == 4 + sum(not q.answerable for q in load_letters().questions)
    assert any("stratified" in note for note in result.notes)
    hybrid = {r.id: r for r in result.results if r.config == "hybrid"}
    for r in (r for r in result.results if r.config == "llm"):
        assert not r.found or hybrid[r.id].found  # it never answers what the offline answer refuses
        assert r.unsupported == []
    # Only found extractive answers are sent to the model.
    assert 0 < len(fake_llm.requests) <= sum(1 for r in hybrid.values() if r.found)
    for name in ("answer_acc", "refusal_acc", "unsupported", "p50_ms", "p95_ms"):
        assert result.summary["llm"][name] is not None
