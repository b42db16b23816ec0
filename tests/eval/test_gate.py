"""The regression gate: the sample letters and the other bureaus' letters, every dafu configuration and
the metadata read from the other letters, checked against eval/floors.json."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from eval.datasets import DEFAULT_OTHER, load_letters, load_other_bureaus
from eval.gate import load_floors, load_metadata_floors, metadata_violations, violations
from eval.report import METADATA_HEADER, metadata_rows, rich_table
from eval.suite import SetResult, corpus_service, run_letters
from rag.service import DafuService
from tests.conftest import make_settings


@pytest.mark.slow
def test_letters_metrics_stay_above_their_floors(service: DafuService) -> None:
    result = run_letters(service, load_letters(), quick=True)
    Console(width=200).print(rich_table("letters (quick)", result.summary))
    assert {"lexical", "dense", "hybrid"} <= set(result.summary)
    assert not [n for n in result.notes if n.startswith("gold quote")], result.notes
    below = violations(result.summary, load_floors())
    assert not below, "\n".join(below)


@pytest.fixture(scope="module")
def other_result(service: DafuService, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SetResult]:
    """The other-bureaus set in quick form, on its own index (built once, with the session's model)."""
    root = Path(os.environ.get("DAFU_OTHER_BUREAUS_PATH", DEFAULT_OTHER))
    if not (root / "letters").is_dir():
        pytest.skip(f"the other-bureaus corpus is not at {root} (set DAFU_OTHER_BUREAUS_PATH)")
    corpus = load_other_bureaus(root)
    settings = make_settings(tmp_path_factory.mktemp("other"))
    with corpus_service(settings, corpus.paths, service.embedder) as other:
        yield run_letters(other, corpus, quick=True)


@pytest.mark.slow
def test_other_bureaus_metrics_stay_above_their_floors(other_result: SetResult) -> None:
    Console(width=200).print(rich_table("other bureaus (quick)", other_result.summary))
    assert {"lexical", "dense", "hybrid"} <= set(other_result.summary)
    assert not [n for n in other_result.notes if n.startswith("gold quote")], other_result.notes
    below = violations(other_result.summary, load_floors(set_name="other"))
    assert not below, "\n".join(below)


@pytest.mark.slow
def test_other_bureaus_metadata_stays_above_its_floors(other_result: SetResult) -> None:
    scores = {name: score.to_json() for name, score in other_result.metadata.items()}
    Console(width=200).print(
        " | ".join(METADATA_HEADER), *(" | ".join(row) for row in metadata_rows(scores)), sep="\n"
    )
    assert set(other_result.metadata) == {
        "doc_number",
        "proposal_number",
        "proposer",
        "kind",
        "year",
        "title",
        "issuer",
    }
    below = metadata_violations(other_result.metadata, load_metadata_floors())
    assert not below, "\n".join(below)
