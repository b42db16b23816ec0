"""Per-configuration metrics, per-type answer accuracy and refusal-threshold calibration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eval.metrics import (
    best_threshold,
    mean,
    ndcg,
    percentile,
    recall_at,
    reciprocal_rank,
    refusal_errors,
)
from eval.runner import QuestionResult

RETRIEVAL = ("recall@1", "recall@5", "recall@20", "mrr@10", "ndcg@10")
LETTER_ANSWERS = (
    "answer_acc", "refusal_acc", "false_answer", "false_refusal", "citation_exact", "citation_chars",
    "unsupported", "rewritten",
)  # fmt: skip
DRCD_ANSWERS = ("em", "f1")
LATENCY = ("context_chars", "p50_ms", "p95_ms")
CONVERSATION = ("turn1_acc", "turn2_acc", "turn3_acc", "follow_up_acc", "follow_up_refusal_acc")


def summarize(results: Sequence[QuestionResult]) -> dict[str, dict[str, float | None]]:
    """config -> metric -> value. Answer metrics are ``None`` for configurations that do not answer."""
    by_config: dict[str, list[QuestionResult]] = {}
    for r in results:
        by_config.setdefault(r.config, []).append(r)
    return {name: _config_metrics(rows) for name, rows in by_config.items()}


def _config_metrics(rows: list[QuestionResult]) -> dict[str, float | None]:
    gold = [r for r in rows if r.answerable and r.ranks]
    out: dict[str, float | None] = {
        "recall@1": mean([recall_at(r.ranks, 1) for r in gold]),
        "recall@5": mean([recall_at(r.ranks, 5) for r in gold]),
        "recall@20": mean([recall_at(r.ranks, 20) for r in gold]),
        "mrr@10": mean([reciprocal_rank(r.ranks, 10) for r in gold]),
        "ndcg@10": mean([ndcg(r.ranks, 10) for r in gold]),
    }
    latencies = [r.latency_ms for r in rows]
    out["context_chars"] = mean([float(r.context_chars) for r in rows])
    out["p50_ms"] = percentile(latencies, 50)
    out["p95_ms"] = percentile(latencies, 95)
    answered = [r for r in rows if r.found is not None]
    if not answered:
        return out
    if any(r.type == "drcd" for r in answered):
        out["em"] = mean([1.0 if r.correct else 0.0 for r in answered])
        out["f1"] = mean([r.f1 or 0.0 for r in answered])
        # every DRCD question is answerable: a refusal is always a false one
        out["false_refusal"] = mean([0.0 if r.found else 1.0 for r in answered])
        return out
    answerable = [r for r in answered if r.answerable]
    unanswerable = [r for r in answered if not r.answerable]
    citations = [c for r in answered for c in r.citations]
    out["answer_acc"] = mean([1.0 if r.correct else 0.0 for r in answerable])
    out["refusal_acc"] = mean([0.0 if r.found else 1.0 for r in unanswerable])
    out["false_answer"] = mean([1.0 if r.found else 0.0 for r in unanswerable])
    out["false_refusal"] = mean([0.0 if r.found else 1.0 for r in answerable])
    out["citation_exact"] = mean([1.0 if c["exact"] else 0.0 for c in citations])
    out["citation_chars"] = mean(
        [float(sum(len(c["quote"]) for c in r.citations)) for r in answered if r.found]
    )
    found = [r for r in answered if r.found]
    # share of found answers stating a number, date or 文号 no citation states
    out["unsupported"] = mean([1.0 if r.unsupported else 0.0 for r in found])
    # share of found answers with a sentence replaced by its quote (LLM mode)
    out["rewritten"] = mean([1.0 if r.rewritten else 0.0 for r in found])
    return out


def per_type(results: Sequence[QuestionResult]) -> dict[str, dict[str, Any]]:
    """config -> type -> {"n", "acc"}: answer accuracy by question type (refusal accuracy for
    ``unanswerable``)."""
    table: dict[str, dict[str, list[float]]] = {}
    for r in results:
        if r.found is None:
            continue
        ok = r.correct if r.answerable else not r.found
        table.setdefault(r.config, {}).setdefault(r.type, []).append(1.0 if ok else 0.0)
    return {
        config: {t: {"n": len(v), "acc": mean(v)} for t, v in sorted(types.items())}
        for config, types in table.items()
    }


def calibrate(results: Sequence[QuestionResult], config: str, current: float) -> dict[str, Any]:
    """Support scores of answerable vs unanswerable questions and the balanced-accuracy threshold."""
    rows = [r for r in results if r.config == config and r.support is not None]
    answerable = [float(r.support or 0.0) for r in rows if r.answerable]
    unanswerable = [float(r.support or 0.0) for r in rows if not r.answerable]
    if not answerable or not unanswerable:
        return {}
    threshold, balanced = best_threshold(answerable, unanswerable)
    fr_now, fa_now = refusal_errors(answerable, unanswerable, current)
    fr_best, fa_best = refusal_errors(answerable, unanswerable, threshold)
    return {
        "config": config,
        "answerable_support": sorted(answerable),
        "unanswerable_support": sorted(unanswerable),
        "current": {"threshold": current, "false_refusal": fr_now, "false_answer": fa_now,
                    "balanced_acc": 1 - (fr_now + fa_now) / 2},
        "best": {"threshold": threshold, "false_refusal": fr_best, "false_answer": fa_best,
                 "balanced_acc": balanced},
    }  # fmt: skip
