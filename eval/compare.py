"""Question-level differences between two eval runs (their ``.json`` reports)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Change:
    set: str
    config: str
    id: str
    question: str
    before: str
    after: str
    better: bool


def load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _rank_value(rank: int | None) -> float:
    return float(rank) if rank is not None else float("inf")


def _show(row: dict[str, Any]) -> str:
    rank = row.get("first_rank")
    parts = [f"rank {rank if rank is not None else '—'}"]
    if row.get("correct") is not None:
        parts.append("correct" if row["correct"] else "wrong")
    elif row.get("found") is not None and not row.get("answerable", True):
        parts.append("refused" if not row["found"] else "answered")
    return ", ".join(parts)


def _verdict(a: dict[str, Any], b: dict[str, Any]) -> bool | None:
    """True when b is better than a, False when worse, None when no different. Answer correctness
    (or refusal for unanswerable questions) outweighs the rank of the first relevant passage."""

    def ok(row: dict[str, Any]) -> bool | None:
        if row.get("found") is None:
            return None
        return bool(row.get("correct")) if row.get("answerable", True) else not row["found"]

    if ok(a) != ok(b) and ok(a) is not None and ok(b) is not None:
        return bool(ok(b))
    ra, rb = _rank_value(a.get("first_rank")), _rank_value(b.get("first_rank"))
    return None if ra == rb else rb < ra


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    """Changes from run ``a`` to run ``b`` for every (set, config, question) present in both."""
    changes = []
    b_sets = {s["name"]: s for s in b["sets"]}
    for set_a in a["sets"]:
        set_b = b_sets.get(set_a["name"])
        if set_b is None:
            continue
        rows_b = {(r["config"], r["id"]): r for r in set_b["results"]}
        for row_a in set_a["results"]:
            row_b = rows_b.get((row_a["config"], row_a["id"]))
            if row_b is None:
                continue
            verdict = _verdict(row_a, row_b)
            if verdict is not None:
                changes.append(Change(set_a["name"], row_a["config"], row_a["id"], row_a["question"],
                                      _show(row_a), _show(row_b), verdict))  # fmt: skip
    return changes


def summary_line(changes: list[Change]) -> str:
    better = sum(1 for c in changes if c.better)
    worse = len(changes) - better
    per_config: dict[str, list[int]] = {}
    for c in changes:
        counts = per_config.setdefault(f"{c.set}/{c.config}", [0, 0])
        counts[0 if c.better else 1] += 1
    detail = "; ".join(f"{k}: +{v[0]} −{v[1]}" for k, v in sorted(per_config.items()))
    return f"{better} better, {worse} worse" + (f" ({detail})" if detail else "")
