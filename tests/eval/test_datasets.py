"""The evaluation sets as written: the other-bureaus questions agree with the letters they point at."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from eval.datasets import DEFAULT_OTHER, OTHER_QA, load_other_bureaus
from eval.metadata import load_manifest
from eval.metrics import compact

ROWS = [json.loads(line) for line in OTHER_QA.read_text(encoding="utf-8").splitlines() if line.strip()]
TYPES = {"number", "fact", "particulars", "paraphrase", "preamble", "summary", "catalogue", "unanswerable"}


@pytest.fixture(scope="module")
def corpus() -> Path:
    root = Path(os.environ.get("DAFU_OTHER_BUREAUS_PATH", DEFAULT_OTHER))
    if not (root / "letters").is_dir():
        pytest.skip(f"the other-bureaus corpus is not at {root} (set DAFU_OTHER_BUREAUS_PATH)")
    return root


def test_the_set_has_every_kind_of_question() -> None:
    types = Counter(r["type"] for r in ROWS)
    assert set(types) == TYPES
    assert len(ROWS) >= 120 and types["unanswerable"] >= 20
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    assert len({r["question"] for r in ROWS}) == len(ROWS)
    for r in ROWS:
        assert r["answerable"] == (r["type"] != "unanswerable"), r["id"]
        assert bool(r["gold"]) == bool(r["facts"]) == r["answerable"], r["id"]


def test_every_quote_is_the_raw_text_between_its_offsets(corpus: Path) -> None:
    raw = {p.stem: p.read_text(encoding="utf-8") for p in (corpus / "letters").glob("*.txt")}
    for r in ROWS:
        for g in r["gold"]:
            assert raw[g["doc_id"]][g["start"] : g["end"]] == g["quote"], (r["id"], g)
            assert "\n" not in g["quote"], r["id"]
        if r["type"] == "catalogue":
            assert set(r["facts"]) <= set(raw) and set(r["facts"]) == {g["doc_id"] for g in r["gold"]}, r[
                "id"
            ]
            continue
        texts = compact("".join(raw[g["doc_id"]] for g in r["gold"]))
        for fact in r["facts"]:
            forms = [fact] if isinstance(fact, str) else fact
            assert any(compact(f) in texts for f in forms), (r["id"], fact)
    assert len(load_other_bureaus(corpus).questions) == len(ROWS)


def test_questions_cover_every_letter_and_both_kinds(corpus: Path) -> None:
    kinds = {Path(row.file).stem: row.values["kind"] for row in load_manifest(corpus / "manifest.jsonl")}
    asked = Counter(g["doc_id"] for r in ROWS for g in r["gold"])
    assert set(asked) == set(kinds)
    assert {kinds[d] for d in asked} == {"政协提案", "人大建议"}
    assert min(asked.values()) >= 4
