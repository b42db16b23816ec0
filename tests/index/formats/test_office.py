""".doc and .wps through LibreOffice: converted per file, bounded in time, never left running."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index.cleaning import clean_blocks
from index.formats.model import Limits
from index.loading import load, read_text
from rag.errors import FileTooComplex, UnreadableFile
from tests.factories import LETTER_001_TEXT, converted, letter_docx

FIGURES = [["指标", "2023年"], ["全市生命健康产业总营收", "1588亿元"]]


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Letter 001 with a table, saved by LibreOffice as Word 97-2003 (.doc)."""
    data = letter_docx(LETTER_001_TEXT, table=FIGURES, after="2023年")
    return converted(data, ".docx", "doc", tmp_path_factory.mktemp("doc"))


def _soffice_processes() -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "dafu-soffice-" in cmdline:
            found.append(cmdline)
    return found


@pytest.mark.parametrize("name", ["letter.doc", "letter.wps", "renamed.docx"])
def test_word97_binary_is_read_under_any_of_its_names(doc: bytes, name: str) -> None:
    """.doc; .wps (WPS 文字 saves .wps in the Word 97 binary format); a .doc renamed .docx."""
    extracted = load(Path(name), doc)
    assert extracted.kind == "doc"
    lines = clean_blocks(extracted.blocks).text.split("\n")
    assert lines[0] == "温科提复〔2024〕126号"
    assert "指标：全市生命健康产业总营收，2023年：1588亿元。" in lines
    assert any(b.row for b in extracted.blocks)
    assert not _soffice_processes()


def test_a_corrupt_doc_is_a_clear_error_and_leaves_nothing_running(doc: bytes) -> None:
    damaged = doc[:2048] + bytes(len(doc) - 2048)
    with pytest.raises(UnreadableFile) as err:
        read_text(Path("坏.doc"), damaged)
    assert "坏.doc" in str(err.value) and "另存为 .docx" in str(err.value)
    assert not _soffice_processes()


def test_a_conversion_past_its_time_is_killed(doc: bytes) -> None:
    with pytest.raises(FileTooComplex, match="转换超过"):
        load(Path("slow.doc"), doc, limits=Limits(max_seconds=0.3))
    assert not _soffice_processes()
