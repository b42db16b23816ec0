"""The regression gate: headline metrics of the letter sets, and the metadata read from the other
bureaus' letters, must stay at or above their floors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from eval.metadata import FieldScore

FLOORS = Path(__file__).resolve().parent / "floors.json"


def load_floors(path: Path = FLOORS, set_name: str = "letters") -> dict[str, dict[str, float]]:
    """config -> metric -> floor, for one set (``letters`` or ``other``)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {config: dict(metrics) for config, metrics in raw[set_name].items()}


def load_metadata_floors(path: Path = FLOORS, set_name: str = "other") -> dict[str, dict[str, float]]:
    """field -> {"accuracy": floor, "invented_max": ceiling}, for one set's manifest."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {name: dict(limits) for name, limits in raw["metadata"][set_name].items()}


def violations(summary: dict[str, dict[str, float | None]], floors: dict[str, dict[str, float]]) -> list[str]:
    """One line per metric below its floor (or missing)."""
    out = []
    for config, metrics in floors.items():
        for metric, floor in metrics.items():
            value = summary.get(config, {}).get(metric)
            if value is None or not value >= floor:
                out.append(f"{config} {metric} = {value} < floor {floor}")
    return out


def metadata_violations(scores: Mapping[str, FieldScore], floors: dict[str, dict[str, float]]) -> list[str]:
    """One line per field read right less often than its floor, or invented more often than allowed."""
    out = []
    for name, limits in floors.items():
        score = scores.get(name)
        if score is None:
            out.append(f"metadata {name}: not scored")
            continue
        accuracy = score.accuracy
        if "accuracy" in limits and (accuracy is None or accuracy < limits["accuracy"]):
            out.append(f"metadata {name} accuracy = {accuracy} < floor {limits['accuracy']}")
        if "invented_max" in limits and score.invented > limits["invented_max"]:
            out.append(f"metadata {name} invented = {score.invented} > ceiling {limits['invented_max']:.0f}")
    return out
