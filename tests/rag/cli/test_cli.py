"""The ``dafu`` command line through click's CliRunner, over real data dirs (DAFU_DATA_DIR)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from rag.cli import app as cli_app
from rag.cli import cli
from rag.settings import get_settings
from tests.factories import LETTERS

LETTER_001 = "001_49815bdeb399fae2"


@pytest.fixture
def dafu(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Run ``dafu`` with the given DAFU_DATA_DIR; a console wide enough that nothing wraps."""
    monkeypatch.setattr(cli_app, "console", Console(width=10_000, color_system=None))

    def run(data_dir: Path, *args: str, input: str | None = None) -> Result:
        monkeypatch.setenv("DAFU_DATA_DIR", str(data_dir))
        get_settings.cache_clear()  # settings are read once per process; each call here is a new "process"
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)

    yield run
    get_settings.cache_clear()


@pytest.fixture
def data_copy(indexed_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(indexed_dir, target)
    return target


def _hits(output: str) -> list[tuple[str, str]]:
    """(heading, passage) of each printed hit: "N. 文号  section  score", then the passage lines."""
    hits: list[tuple[str, str]] = []
    for line in output.splitlines():
        if re.match(r"\d+\. ", line):
            hits.append((line.split(". ", 1)[1], ""))
        elif hits:
            hits[-1] = (hits[-1][0], hits[-1][1] + line.strip())
    return hits


def test_search_prints_the_revenue_passage_first(dafu, indexed_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = dafu(indexed_dir, "search", "2023年全市生命健康产业总营收")
    assert result.exit_code == 0, result.output
    heading, passage = _hits(result.output)[0]
    assert heading.startswith("温科提复〔2024〕126号")
    assert "1588亿元" in passage


def test_search_modes_and_filters(dafu, indexed_dir: Path) -> None:  # type: ignore[no-untyped-def]
    for mode in ("dense", "lexical"):
        result = dafu(indexed_dir, "search", "2023年全市生命健康产业总营收", "--mode", mode, "-k", "2")
        assert result.exit_code == 0 and "1588亿元" in _hits(result.output)[0][1]
    result = dafu(indexed_dir, "search", "医疗器械", "--kind", "人大建议")
    numbers = {heading.split()[0] for heading, _ in _hits(result.output)}
    assert numbers == {"温科提复〔2024〕115号"}


def test_docs_lists_letters_and_articles(dafu, indexed_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = dafu(indexed_dir, "docs")
    assert result.exit_code == 0, result.output
    rows = result.output.splitlines()
    for number, proposer, date in [
        ("温科提复〔2023〕121号", "蔡跃飘委员", "2023-06-29"),
        ("温科提复〔2024〕126号", "民盟市委会", "—"),
        ("温科提复〔2022〕139号", "九三学社市委会", "—"),
        ("温科提复〔2024〕115号", "张勇代表", "2024-06-28"),
    ]:
        row = next(r for r in rows if number in r)
        assert proposer in row and date in row
    for author in ("王秦", "毛劲松", "陈秋立", "张世荣", "孔曙光"):
        assert any(author in r and "文章" in r for r in rows), author

    listed = json.loads(dafu(indexed_dir, "docs", "--json").output)
    assert {d["meta"]["doc_number"] for d in listed} == {
        "温科提复〔2023〕121号", "温科提复〔2024〕126号", "温科提复〔2022〕139号", "温科提复〔2024〕115号", ""
    }  # fmt: skip
    page = next(d for d in listed if not d["meta"]["doc_number"])
    assert len(page["meta"]["articles"]) == 5


def test_show_prints_metadata_and_text(dafu, indexed_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = dafu(indexed_dir, "show", LETTER_001)
    assert result.exit_code == 0, result.output
    assert "doc_number: 温科提复〔2024〕126号" in result.output
    assert "proposer: 民盟市委会" in result.output
    assert "2023年，全市生命健康产业实现总营收1588亿元" in result.output
    missing = dafu(indexed_dir, "show", "no-such-letter")
    assert missing.exit_code == 1 and "没有编号为“no-such-letter”的文档" in missing.output


def test_ingest_twice_adds_nothing(dafu, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "letters"
    folder.mkdir()
    shutil.copy(LETTERS / f"{LETTER_001}.txt", folder)
    data_dir = tmp_path / "fresh"
    first = dafu(data_dir, "ingest", str(folder))
    assert first.exit_code == 0, first.output
    assert "新增 1，更新 0，未变 0，失败 0" in first.output
    second = dafu(data_dir, "ingest", str(folder))
    assert "新增 0，更新 0，未变 1，失败 0" in second.output


def test_ingest_reports_failures_and_missing_paths(dafu, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "坏.docx"
    bad.write_bytes(b"not a zip")
    result = dafu(tmp_path / "fresh", "ingest", str(bad))
    assert result.exit_code == 1
    assert "失败 1" in result.output and "坏.docx" in result.output
    missing = dafu(tmp_path / "fresh", "ingest", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1 and "路径不存在" in missing.output


def test_rm_removes_a_document(dafu, data_copy: Path) -> None:  # type: ignore[no-untyped-def]
    aborted = dafu(data_copy, "rm", LETTER_001, input="n\n")
    assert aborted.exit_code == 1
    assert LETTER_001 in dafu(data_copy, "docs").output
    result = dafu(data_copy, "rm", LETTER_001, "--yes")
    assert result.exit_code == 0 and f"已删除 {LETTER_001}" in result.output
    assert LETTER_001 not in dafu(data_copy, "docs").output
    search = dafu(data_copy, "search", "2023年全市生命健康产业总营收")
    assert "温科提复〔2024〕126号" not in search.output
    again = dafu(data_copy, "rm", LETTER_001, "--yes")
    assert again.exit_code == 1 and "没有编号为" in again.output


def test_empty_query_is_a_clear_error(dafu, indexed_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = dafu(indexed_dir, "search", "  ")
    assert result.exit_code == 1
    assert "检索内容不能为空，请输入要查询的内容。" in result.output


def test_top_k_comes_from_the_settings(dafu, indexed_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DAFU_TOP_K", "3")
    assert len(_hits(dafu(indexed_dir, "search", "生物医药产业发展").output)) == 3
    monkeypatch.setenv("DAFU_TOP_K", "2")
    refused = dafu(indexed_dir, "ask", "2025年全市地区生产总值是多少？").output
    assert "最相近的段落" in refused
    assert len([line for line in refused.splitlines() if line.startswith("  - ")]) == 2
    assert len(_hits(dafu(indexed_dir, "search", "生物医药产业发展", "-k", "4").output)) == 4
