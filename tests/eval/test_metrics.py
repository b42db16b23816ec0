"""Unit tests of the pure metric functions."""

from __future__ import annotations

import math

import pytest

from eval.metrics import (
    best_threshold,
    char_f1,
    covers,
    doc_rank,
    exact_match,
    facts_present,
    gold_ranks,
    locate,
    ndcg,
    occurrence,
    percentile,
    recall_at,
    reciprocal_rank,
    refusal_errors,
)
from tests.factories import make_hit

TEXT = "一、基本情况\n全市共有 29 个平台，其中省级 9 个。\n二、下一步\n加大投入。"


def test_locate_ignores_whitespace_on_both_sides() -> None:
    start, end = locate(TEXT, "共有29个平台") or (0, 0)
    assert TEXT[start:end] == "共有 29 个平台"
    assert locate(TEXT, "不存在的话") is None
    assert locate(TEXT, "  ") is None


def test_the_nth_occurrence_carries_over_from_raw_to_cleaned_text() -> None:
    raw = "标题：第2号建议的答复\n\n标题：第2号建议的答复\n正文"
    clean = "标题：第2号建议的答复\n标题：第 2 号建议的答复\n正文"
    second = raw.rindex("第2号")
    assert occurrence(raw, "第2号", second) == 1
    assert occurrence(raw, "第2号", raw.index("第2号")) == 0
    start, end = locate(clean, "第2号", nth=occurrence(raw, "第2号", second)) or (0, 0)
    assert clean[start:end] == "第 2 号" and start > clean.index("\n")
    assert locate(clean, "第2号", nth=2) is None


def test_covers_by_text_or_by_half_of_the_quote_span() -> None:
    span = locate(TEXT, "全市共有29个平台，其中省级9个")
    assert span is not None
    inside = make_hit("全市共有 29 个平台，其中省级 9 个。", start=span[0])
    assert covers(inside, "全市共有29个平台，其中省级9个", span)
    # A passage that holds only the first few characters of the quote overlaps too little.
    head = make_hit(TEXT[span[0] : span[0] + 4], start=span[0])
    assert not covers(head, "全市共有29个平台，其中省级9个", span)
    # A passage cut in the middle of the quote still covers more than half of its span.
    most = make_hit(TEXT[span[0] : span[1] - 3], start=span[0])
    assert covers(most, "全市共有29个平台，其中省级9个", span)


def test_gold_ranks_need_the_gold_document() -> None:
    quote = "加大投入"
    other = make_hit("加大投入。", doc_id="other")
    gold = make_hit("加大投入。", doc_id="gold")
    ranks = gold_ranks([other, gold], [("gold", quote, None), ("gold", "没有的句子", None)])
    assert ranks == [2, None]


def test_recall_mrr_ndcg_from_ranks() -> None:
    assert recall_at([1], 1) == 1.0
    assert recall_at([3, None], 5) == 0.5
    assert recall_at([6], 5) == 0.0
    assert reciprocal_rank([3, 2]) == 0.5
    assert reciprocal_rank([11]) == 0.0
    assert ndcg([1]) == 1.0
    assert ndcg([2]) == pytest.approx(1 / math.log2(3))
    # Two gold items found by one passage at rank 1: one gain against an ideal of two positions.
    assert ndcg([1, 1]) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert ndcg([1, 2]) == pytest.approx(1.0)
    assert ndcg([None]) == 0.0


def test_doc_rank_deduplicates_documents() -> None:
    hits = [make_hit("a", doc_id="x"), make_hit("b", doc_id="x", start=5), make_hit("c", doc_id="y")]
    assert doc_rank(hits, "y") == 2
    assert doc_rank(hits, "z") is None


def test_facts_present_is_whitespace_insensitive_and_needs_all() -> None:
    assert facts_present("共有29个平台，9 个省级", [("29 个",), ("9个",)])
    assert not facts_present("共有29个平台", [("29个",), ("9个省级",)])
    assert not facts_present("任何回答", [])


def test_a_fact_may_take_any_of_its_forms() -> None:
    date = ("2021年8月3日", "2021-08-03")
    assert facts_present("落款日期：2021-08-03", [date])
    assert facts_present("2021年8月3日", [date])
    assert not facts_present("2021年8月", [date])
    assert facts_present("共有29个平台", ["29个"]) and not facts_present("共有29个平台", ["2个"])


def test_exact_match_and_char_f1_ignore_punctuation() -> None:
    assert exact_match("「欧洲」。", ["欧洲"]) == 1.0
    assert exact_match("在欧洲", ["欧洲"]) == 0.0
    assert char_f1("在欧洲", ["欧洲"]) == pytest.approx(0.8)
    assert char_f1("亚洲", ["欧洲", "亚洲"]) == 1.0
    assert char_f1("", ["欧洲"]) == 0.0


def test_percentile_interpolates() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10], 95) == 10
    assert math.isnan(percentile([], 50))


def test_best_threshold_separates_supports() -> None:
    answerable = [0.6, 0.7, 0.9]
    unanswerable = [0.2, 0.4, 0.65]
    threshold, balanced = best_threshold(answerable, unanswerable)
    assert 0.4 < threshold <= 0.6
    assert balanced == pytest.approx((1.0 + 2 / 3) / 2)
    assert refusal_errors(answerable, unanswerable, threshold) == (0.0, pytest.approx(1 / 3))
    assert refusal_errors(answerable, unanswerable, 0.8) == (pytest.approx(2 / 3), 0.0)
