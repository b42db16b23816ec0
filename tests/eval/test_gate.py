"""The regression gate: the letters set, every dafu configuration, checked against eval/floors.json."""

from __future__ import annotations

import pytest
from rich.console import Console

from eval.datasets import load_letters
from eval.gate import load_floors, violations
from eval.report import rich_table
from eval.suite import run_letters
from rag.service import DafuService


@pytest.mark.slow
def test_letters_metrics_stay_above_their_floors(service: DafuService) -> None:
    result = run_letters(service, load_letters(), quick=True)
    Console(width=200).print(rich_table("letters (quick)", result.summary))
    assert {"lexical", "dense", "hybrid"} <= set(result.summary)
    assert not [n for n in result.notes if n.startswith("gold quote")], result.notes
    below = violations(result.summary, load_floors())
    assert not below, "\n".join(below)
