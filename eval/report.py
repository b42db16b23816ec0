"""Run reports: a Markdown summary, a JSON file with every per-question result, and a bar chart."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.table import Table

from eval.summary import CONVERSATION, DRCD_ANSWERS, LATENCY, LETTER_ANSWERS, RETRIEVAL

CHART_METRICS = ("recall@5", "mrr@10", "ndcg@10", "answer_acc", "refusal_acc", "em", "f1", "follow_up_acc")
# The side-by-side table of every set: retrieval, answers, both kinds of refusal error, DRCD's F1 and the
# conversations' follow-up accuracy.
OVERVIEW = (
    "recall@1",
    "recall@5",
    "mrr@10",
    "answer_acc",
    "refusal_acc",
    "false_answer",
    "false_refusal",
    "f1",
    "follow_up_acc",
)


def columns(summary: dict[str, dict[str, float | None]]) -> list[str]:
    present = {m for metrics in summary.values() for m, v in metrics.items() if v is not None}
    return [m for m in (*RETRIEVAL, *LETTER_ANSWERS, *DRCD_ANSWERS, *CONVERSATION, *LATENCY) if m in present]


def fmt(metric: str, value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if metric.endswith("_ms") or metric.endswith("_chars"):
        return f"{value:.1f}"
    return f"{value:.3f}"


def rich_table(name: str, summary: dict[str, dict[str, float | None]]) -> Table:
    cols = columns(summary)
    table = Table("config", *cols, title=name)
    for config, metrics in summary.items():
        table.add_row(config, *(fmt(c, metrics.get(c)) for c in cols))
    return table


def markdown_table(summary: dict[str, dict[str, float | None]]) -> str:
    cols = columns(summary)
    lines = ["| config | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for config, metrics in summary.items():
        lines.append(f"| {config} | " + " | ".join(fmt(c, metrics.get(c)) for c in cols) + " |")
    return "\n".join(lines)


def overview(sets: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the side-by-side table: one row per (set, configuration)."""
    present = {m for s in sets for v in s["summary"].values() for m, x in v.items() if x is not None}
    cols = [m for m in OVERVIEW if m in present]
    rows = [
        [f"{s['name']} ({s['questions']})", config, *(fmt(c, values.get(c)) for c in cols)]
        for s in sets
        for config, values in s["summary"].items()
    ]
    return ["set", "config", *cols], rows


def metadata_rows(scores: dict[str, dict[str, Any]]) -> list[list[str]]:
    """field, filled, read right, accuracy, not verbatim, empty, invented; then all fields together."""
    rows = [
        [name, str(v["filled"]), str(v["correct"]), fmt("acc", v["accuracy"]), str(len(v["unstated"])),
         str(v["empty"]), str(v["invented"])]
        for name, v in scores.items()
    ]  # fmt: skip
    filled = sum(v["filled"] for v in scores.values())
    correct = sum(v["correct"] for v in scores.values())
    empty = sum(v["empty"] for v in scores.values())
    invented = sum(v["invented"] for v in scores.values())
    acc = correct / filled if filled else None
    unstated = sum(len(v["unstated"]) for v in scores.values())
    return [
        *rows,
        ["all", str(filled), str(correct), fmt("acc", acc), str(unstated), str(empty), str(invented)],
    ]


# "not verbatim": filled values the text does not spell out (the manifest took them from elsewhere).
METADATA_HEADER = ["field", "filled", "right", "accuracy", "not verbatim", "empty", "invented"]


def _md(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    return "\n".join([*lines, *("| " + " | ".join(row) + " |" for row in rows)])


def markdown(run: dict[str, Any]) -> str:
    out = [
        f"# dafu eval — {run['label']}",
        "",
        f"- time: {run['timestamp']}",
        f"- settings: `{run['settings']}`",
        "",
        "## All sets side by side",
        "",
        _md(*overview(run["sets"])),
        "",
    ]
    for s in run["sets"]:
        out += [f"## {s['name']} ({s['questions']} questions)", "", markdown_table(s["summary"]), ""]
        out += [f"- {note}" for note in s["notes"]]
        if s["per_type"]:
            out += ["", "### Answer accuracy by question type", "", _per_type_md(s["per_type"])]
        if s["calibration"]:
            out += ["", "### Refusal threshold", "", *calibration_lines(s["calibration"])]
        if s.get("metadata"):
            out += [
                "",
                "### Metadata against the manifest",
                "",
                _md(METADATA_HEADER, metadata_rows(s["metadata"])),
            ]
            out += ["", *metadata_misses(s["metadata"])]
        out.append("")
    if run.get("calibration"):
        out += [f"## Refusal threshold on {' + '.join(run['calibration']['sets'])}", ""]
        out += [*calibration_lines(run["calibration"]), ""]
    return "\n".join(out)


def metadata_misses(scores: dict[str, dict[str, Any]]) -> list[str]:
    """One line per value read wrong or invented: what the metadata reader has to fix."""
    lines = []
    for name, v in scores.items():
        lines += [
            f"- {name} {file}: expected “{want}”, read “{got or '—'}”" for file, want, got in v["misses"]
        ]
        lines += [
            f"- {name} {file}: invented “{got}” (the text does not say)" for file, got in v["inventions"]
        ]
    return lines


def _per_type_md(per_type: dict[str, dict[str, Any]]) -> str:
    types = sorted({t for v in per_type.values() for t in v})
    lines = ["| config | " + " | ".join(types) + " |", "|---" * (len(types) + 1) + "|"]
    for config, values in per_type.items():
        cells = [f"{values[t]['acc']:.2f} ({values[t]['n']})" if t in values else "—" for t in types]
        lines.append(f"| {config} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def calibration_lines(cal: dict[str, Any]) -> list[str]:
    now, best = cal["current"], cal["best"]
    return [
        f"Support scores ({cal['config']}): answerable n={len(cal['answerable_support'])}, "
        f"median {_median(cal['answerable_support']):.3f}; unanswerable n={len(cal['unanswerable_support'])}, "
        f"median {_median(cal['unanswerable_support']):.3f}.",
        "",
        f"- current threshold {now['threshold']:.3f}: false refusals {now['false_refusal']:.1%}, "
        f"false answers {now['false_answer']:.1%}, balanced accuracy {now['balanced_acc']:.3f}",
        f"- best threshold {best['threshold']:.3f}: false refusals {best['false_refusal']:.1%}, "
        f"false answers {best['false_answer']:.1%}, balanced accuracy {best['balanced_acc']:.3f}",
        f"- suggestion: DAFU_REFUSAL_THRESHOLD={best['threshold']:.3f}",
    ]


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else math.nan


def chart(run: dict[str, Any], path: Path) -> None:
    """Grouped bars: one group per metric, one bar per configuration, one panel per set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sets = run["sets"]
    fig, axes = plt.subplots(1, len(sets), figsize=(7 * len(sets), 4), squeeze=False)
    for ax, s in zip(axes[0], sets, strict=True):
        metrics = [m for m in CHART_METRICS if any(v.get(m) is not None for v in s["summary"].values())]
        width = 0.8 / max(1, len(s["summary"]))
        for i, (config, values) in enumerate(s["summary"].items()):
            heights = [values.get(m) or 0.0 for m in metrics]
            ax.bar([x + i * width for x in range(len(metrics))], heights, width, label=config)
        ax.set_xticks([x + 0.4 - width / 2 for x in range(len(metrics))], metrics, rotation=20)
        ax.set_ylim(0, 1)
        ax.set_title(f"{s['name']} ({s['questions']} questions)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(run: dict[str, Any], out_dir: Path, *, with_chart: bool = True) -> Path:
    """Writes ``<timestamp>-<label>.md/.json/.png`` and returns the JSON path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"{run['timestamp'].replace(':', '').replace('-', '')}-{run['label']}"
    json_path = stem.with_suffix(".json")
    json_path.write_text(json.dumps(run, ensure_ascii=False, indent=1), encoding="utf-8")
    stem.with_suffix(".md").write_text(markdown(run), encoding="utf-8")
    if with_chart:
        chart(run, stem.with_suffix(".png"))
    return json_path


def now_stamp() -> str:
    return datetime.now().strftime("%Y-%m-%dT%H:%M:%S")
