"""Summaries, reports and run comparison on hand-made per-question results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.compare import compare, summary_line
from eval.metadata import FieldScore
from eval.report import markdown, markdown_table, metadata_rows, overview, write
from eval.runner import QuestionResult
from eval.suite import SetResult, union_calibration
from eval.summary import calibrate, per_type, summarize


def _result(qid: str, ranks: list[int | None], *, found: bool, correct: bool | None, answerable: bool = True,
            support: float = 0.8, config: str = "hybrid") -> QuestionResult:  # fmt: skip
    quote = "加大投入"
    return QuestionResult(
        id=qid, config=config, question=f"问题{qid}", type="number" if answerable else "unanswerable",
        answerable=answerable, ranks=ranks, latency_ms=10.0, found=found, answer=quote if found else "未找到",
        correct=correct, support=support,
        citations=[{"doc_id": "d", "quote": quote, "start": 0, "end": 4, "exact": True}] if found else [],
    )  # fmt: skip


def _run(results: list[QuestionResult]) -> dict[str, object]:
    return {
        "label": "t", "timestamp": "2025-01-01T00:00:00", "settings": {},
        "sets": [{"name": "letters", "questions": 3, "configs": ["hybrid"], "summary": summarize(results),
                  "notes": [], "per_type": per_type(results), "calibration": {},
                  "results": [r.to_json() for r in results]}],
    }  # fmt: skip


def test_summary_of_answers_and_refusals() -> None:
    results = [
        _result("q1", [1], found=True, correct=True),
        _result("q2", [3, None], found=False, correct=False, support=0.3),
        _result("q3", [], found=False, correct=None, answerable=False, support=0.2),
    ]
    metrics = summarize(results)["hybrid"]
    assert metrics["recall@1"] == 0.5  # q1 hit, q2 missed at 1
    assert metrics["recall@5"] == pytest.approx(0.75)  # q2 finds one of two gold items
    assert metrics["answer_acc"] == 0.5
    assert metrics["refusal_acc"] == 1.0
    assert metrics["false_refusal"] == 0.5
    assert metrics["false_answer"] == 0.0
    assert metrics["citation_exact"] == 1.0
    assert metrics["citation_chars"] == 4.0
    assert per_type(results)["hybrid"]["unanswerable"] == {"n": 1, "acc": 1.0}
    cal = calibrate(results, "hybrid", current=0.5)
    assert cal["current"]["false_refusal"] == 0.5
    assert 0.2 < cal["best"]["threshold"] <= 0.3
    assert cal["best"]["balanced_acc"] == 1.0
    assert "| hybrid | 0.500 |" in markdown_table(summarize(results))


def test_reports_are_written_and_comparable(tmp_path: Path) -> None:
    before = [_result("q1", [1], found=True, correct=True), _result("q2", [4], found=True, correct=False)]
    after = [_result("q1", [None], found=False, correct=False), _result("q2", [2], found=True, correct=False)]
    path = write(_run(before), tmp_path)
    assert {p.suffix for p in tmp_path.iterdir()} == {".json", ".md", ".png"}
    loaded = json.loads(path.read_text(encoding="utf-8"))
    assert loaded["sets"][0]["results"][0]["first_rank"] == 1
    changes = compare(loaded, _run(after))
    assert [(c.id, c.better) for c in changes] == [("q1", False), ("q2", True)]
    assert summary_line(changes).startswith("1 better, 1 worse")


def test_drcd_reports_its_false_refusals() -> None:
    rows = [_result(f"d{i}", [1], found=i > 0, correct=False, support=0.5) for i in range(4)]
    rows = [QuestionResult(**{**r.__dict__, "type": "drcd", "f1": 0.2}) for r in rows]
    metrics = summarize(rows)["hybrid"]
    assert metrics["false_refusal"] == 0.25
    assert "answer_acc" not in metrics and metrics["f1"] == pytest.approx(0.2)


def _set(
    name: str, results: list[QuestionResult], metadata: dict[str, FieldScore] | None = None
) -> SetResult:
    return SetResult(
        name=name, configs=["hybrid"], questions=len(results), summary=summarize(results), results=results,
        per_type=per_type(results), calibration=calibrate(results, "hybrid", 0.5), metadata=metadata or {},
    )  # fmt: skip


def test_sets_side_by_side_with_metadata_and_one_threshold_for_both() -> None:
    letters = _set("letters", [_result("q1", [1], found=True, correct=True, support=0.9),
                               _result("q2", [], found=False, correct=None, answerable=False, support=0.3)])  # fmt: skip
    other = _set(
        "other",
        [_result("o1", [2], found=False, correct=False, support=0.4),
         _result("o2", [], found=True, correct=None, answerable=False, support=0.6)],
        {"kind": FieldScore("kind", 4, 3, 0, 0, (("a.txt", "人大建议", "政协提案"),), ()),
         "year": FieldScore("year", 1, 1, 3, 1, (), (("b.txt", "2020"),))},
    )  # fmt: skip
    header, rows = overview([letters.to_json(), other.to_json()])
    assert header[:2] == ["set", "config"] and "false_answer" in header and "false_refusal" in header
    assert [r[0] for r in rows] == ["letters (2)", "other (2)"]
    union = union_calibration([letters, other], current=0.5)
    assert union["sets"] == ["letters", "other"]
    assert len(union["answerable_support"]) == 2 and len(union["unanswerable_support"]) == 2
    assert union["current"]["false_refusal"] == 0.5 and union["current"]["false_answer"] == 0.5
    assert union_calibration([letters], current=0.5) == {}
    table = metadata_rows(other.to_json()["metadata"])
    assert table[-1] == ["all", "5", "4", "0.800", "0", "3", "1"]
    run = {"label": "t", "timestamp": "2025-01-01T00:00:00", "settings": {},
           "sets": [letters.to_json(), other.to_json()], "calibration": union}  # fmt: skip
    text = markdown(run)
    assert "## All sets side by side" in text and "## Refusal threshold on letters + other" in text
    assert "kind a.txt: expected “人大建议”, read “政协提案”" in text
    assert "year b.txt: invented “2020”" in text
