"""The scale benchmark's synthetic letters read as letters: the reader finds the 文号, kind, year,
proposer and proposal number each was written with, and the generator is deterministic."""

from __future__ import annotations

import re

from eval import synth
from index.metadata import extract_meta
from rag.settings import PROJECT_ROOT

SOURCES = [PROJECT_ROOT / "data" / "letters"]


def test_synthetic_letters_read_as_the_letters_they_were_written_as() -> None:
    pool = synth.pool_of(SOURCES)
    letters = list(synth.letters(40, pool, seed=3))
    assert letters == list(synth.letters(40, pool, seed=3))
    assert len({text for _, text in letters}) == 40
    for _, text in letters:
        lines = text.splitlines()
        meta = extract_meta(text)
        assert meta.doc_number == lines[0]
        word = re.search(r"第(\d+)号(提案|建议)", lines[2])
        assert word is not None
        assert meta.kind == ("政协提案" if word.group(2) == "提案" else "人大建议")
        assert meta.year == int(re.search(r"〔(\d{4})〕", lines[0]).group(1))  # type: ignore[union-attr]
        assert meta.proposer and meta.proposer in lines[4]
        assert 900 < len(text) < 2500


def test_numbers_are_varied_and_sentences_come_from_the_sources() -> None:
    pool = synth.pool_of(SOURCES)
    source = "".join(p.read_text(encoding="utf-8") for p in SOURCES[0].glob("*.txt"))
    _, text = next(synth.letters(1, pool, seed=5))
    body = text.split("现答复如下：", 1)[1]
    sentences = re.findall(r"[^。！？；\n]{12,}[。！？；]", body)
    masked = re.sub(r"\d", "0", source)
    assert sentences and all(re.sub(r"\d", "0", s) in masked or "感谢" in s for s in sentences)
    assert any(s not in source for s in sentences if re.search(r"\d", s))  # some figure changed
