"""Commitments read from a letter's canonical text: exact spans, the fields read from them, and the gold
set of hand-marked promises (sample letters and, when present, the other bodies' letters)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.cleaning import clean_blocks
from index.commitments import extract_commitments
from index.loading import load
from index.metadata import extract_meta
from rag.types import LetterMeta
from rag.vocabulary import PROMISE
from tests.factories import LETTERS, OTHER_BUREAUS

GOLD = Path(__file__).resolve().parents[2] / "eval" / "data" / "commitments.jsonl"


def _canonical(path: Path) -> tuple[str, LetterMeta]:
    text = clean_blocks(load(path, None).blocks).text
    return text, extract_meta(text)


def _gold(corpus: str) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["corpus"] == corpus]


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    shared = min(a[1], b[1]) - max(a[0], b[0])
    return shared > 0 and shared >= 0.5 * min(a[1] - a[0], b[1] - b[0])


def _scores(rows: list[dict[str, object]], root: Path) -> tuple[float, float]:
    matched_p = matched_g = predicted = gold = 0
    for row in rows:
        path = next(root.glob(f"{row['doc_id']}.*"))
        text, meta = _canonical(path)
        spans = [(c.start, c.end) for c in extract_commitments(str(row["doc_id"]), "v", text, meta)]
        golds = []
        for g in row["commitments"]:  # type: ignore[attr-defined]
            assert text[g["start"] : g["end"]] == g["quote"], (row["doc_id"], g["quote"])
            golds.append((g["start"], g["end"]))
        predicted, gold = predicted + len(spans), gold + len(golds)
        matched_p += sum(any(_overlap(p, g) for g in golds) for p in spans)
        matched_g += sum(any(_overlap(p, g) for p in spans) for g in golds)
    return matched_p / predicted, matched_g / gold


def test_every_commitment_is_an_exact_slice_with_its_fields() -> None:
    text, meta = _canonical(LETTERS / "001_49815bdeb399fae2.txt")
    found = extract_commitments("001", "v1", text, meta)
    assert found and all(text[c.start : c.end] == c.quote for c in found)
    assert [c.commitment_id for c in found[:2]] == ["001:v1:000", "001:v1:001"]
    revenue = next(c for c in found if "1700亿元" in c.quote)
    assert revenue.quote.startswith("下一步，我们将")
    assert revenue.next_step and revenue.doc_number == "温科提复〔2024〕126号" and revenue.year == 2024
    assert "1700亿元以上" in revenue.figures and "2024年" in revenue.dates
    # An enumeration label ("一是强化政策保障。") opens the promise it names.
    policy = next(c for c in found if c.quote.startswith("一是强化政策保障。"))
    assert policy.topic == "强化政策保障"


def test_responsible_units_and_a_promise_outside_the_next_step_part() -> None:
    text, meta = _canonical(LETTERS / "003_082073f0f45fee86.txt")
    found = extract_commitments("003", "v", text, meta)
    mechanism = next(c for c in found if "议事规则" in c.quote)
    assert mechanism.units == ("市科技局", "市卫健委")
    lists = next(c for c in found if "三张清单" in c.quote)
    assert lists.topic == "探索创新产品本地推广渠道"
    # What the letter reports as done (2023年共帮扶17家企业…) is not a promise.
    assert not any("共帮扶" in c.quote for c in found)


def test_sections_after_an_announced_list_are_promises() -> None:
    text, meta = _canonical(LETTERS / "002_a198ba8cfc671655.txt")
    found = extract_commitments("002", "v", text, meta)
    assert any(c.quote.startswith("到2022年底，新增科技贷款150亿元以上") for c in found)
    # The heading of a section, and the sentence that only announces the list, promise nothing.
    assert not any(c.quote.startswith("一、") or c.quote.endswith("做好以下工作。") for c in found)


def test_a_document_of_articles_has_no_commitments() -> None:
    text, meta = _canonical(LETTERS / "004_ab8fdf3d456bcddf.txt")
    assert meta.articles
    assert extract_commitments("004", "v", text, meta) == []


@pytest.mark.parametrize(
    ("sentence", "promise"),
    [
        ("区教委将积极协调财政设立专项资金。", True),
        ("新建道路施工时，供热工程根据实际情况也将同时施工。", True),
        ("我市计划2022年建设1000个新能源汽车充电设施。", True),
        ("确保2024年全市实现总营收1700亿元以上。", True),
        ("永仁县教育局将全县的后勤工作人员进行了培训。", False),
        ("组织开展供热设施维修维护，确保设备检修提质增效。", False),
        ("已将营养改善计划从补助早餐改为热食午餐。", False),
    ],
)
def test_promise_words(sentence: str, promise: bool) -> None:
    assert bool(PROMISE.search(sentence)) is promise


def test_sample_letters_match_the_gold_set() -> None:
    precision, recall = _scores(_gold("letters"), LETTERS)
    assert (precision, recall) == (1.0, 1.0)


@pytest.mark.skipif(not (OTHER_BUREAUS / "letters").is_dir(), reason="other-bureaus corpus absent")
def test_other_bodies_letters_reach_the_targets() -> None:
    precision, recall = _scores(_gold("other_bureaus"), OTHER_BUREAUS / "letters")
    assert precision >= 0.85 and recall >= 0.85, (precision, recall)
