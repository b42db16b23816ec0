"""``dafu commitments`` over the indexed sample letters."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from rag.cli import app as cli_app
from rag.cli import cli
from rag.settings import get_settings


def _run(monkeypatch, data_dir: Path, *args: str):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cli_app, "console", Console(width=10_000, color_system=None))
    monkeypatch.setenv("DAFU_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        get_settings.cache_clear()


def test_table_of_commitments_and_changed_figures(monkeypatch, indexed_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = _run(monkeypatch, indexed_dir, "commitments", "--topic", "三张清单")
    assert result.exit_code == 0, result.output
    assert "承诺 1 条" in result.output and "温科提复〔2024〕115号" in result.output
    assert "216家" in result.output and "203家" in result.output


def test_json_with_filters(monkeypatch, indexed_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = _run(monkeypatch, indexed_dir, "commitments", "--year", "2022", "--status", "done", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["commitments"] and all(
        e["status"] == "done" and e["commitment"]["year"] == 2022 for e in body["commitments"]
    )


def test_an_unknown_status_is_refused(monkeypatch, indexed_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = _run(monkeypatch, indexed_dir, "commitments", "--status", "finished")
    assert result.exit_code == 2 and "finished" in result.output
