"""Odd encodings: a BOM that lies, UTF-16 without a BOM, mojibake never indexed."""

from __future__ import annotations

import codecs

import pytest

from index.formats.text import decode_text, readability
from rag.errors import UnreadableFile
from tests.factories import LETTER_001_TEXT

TEXT = LETTER_001_TEXT[:600]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_read(encoding: str) -> None:
    assert decode_text(TEXT.encode(encoding), name="a.txt") == TEXT


def test_utf16_without_bom_and_without_any_ascii_is_read() -> None:
    """No NUL bytes at all (no ASCII in the text): detected by what the decoding reads like."""
    only_chinese = "".join(ch for ch in TEXT if not ch.isascii())
    assert decode_text(only_chinese.encode("utf-16-le"), name="a.txt") == only_chinese


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_ff_fe_before_text_that_is_not_utf16_is_read_as_what_it_is(encoding: str) -> None:
    data = codecs.BOM_UTF16_LE + TEXT.encode(encoding)
    assert data.decode("utf-16-le", errors="replace") != TEXT  # read as UTF-16 it would be mojibake
    assert decode_text(data, name="a.txt") == TEXT


def test_ff_fe_before_ascii_is_not_read_as_chinese() -> None:
    """ "Bush hid the facts": ASCII pairs read as UTF-16 are valid CJK characters."""
    ascii_text = "Reply letter 126 of the Wenzhou bureau, revenue 1588.\n" * 20
    assert decode_text(codecs.BOM_UTF16_LE + ascii_text.encode(), name="a.txt") == ascii_text


def test_ff_fe_before_noise_is_a_clear_error() -> None:
    data = codecs.BOM_UTF16_LE + bytes((i * 97 + 13) % 256 for i in range(4000))
    with pytest.raises(UnreadableFile) as err:
        decode_text(data, name="怪文件.txt")
    assert "怪文件.txt" in str(err.value) and "UTF-8" in str(err.value)


def test_mojibake_reads_as_unreadable_and_real_text_as_readable() -> None:
    assert readability(TEXT) > 0.99
    assert readability(("plain ascii text " * 30).encode().decode("utf-16-le")) < 0.5
