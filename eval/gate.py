"""The regression gate: headline metrics of the letters set must stay at or above their floors."""

from __future__ import annotations

import json
from pathlib import Path

FLOORS = Path(__file__).resolve().parent / "floors.json"


def load_floors(path: Path = FLOORS) -> dict[str, dict[str, float]]:
    """config -> metric -> floor, for the letters set."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {config: dict(metrics) for config, metrics in raw["letters"].items()}


def violations(summary: dict[str, dict[str, float | None]], floors: dict[str, dict[str, float]]) -> list[str]:
    """One line per metric below its floor (or missing)."""
    out = []
    for config, metrics in floors.items():
        for metric, floor in metrics.items():
            value = summary.get(config, {}).get(metric)
            if value is None or not value >= floor:
                out.append(f"{config} {metric} = {value} < floor {floor}")
    return out
