"""Chunks follow sections, are packed from whole sentences and know their offsets."""

from __future__ import annotations

import re

import pytest

from index.chunking import Chunker, embedding_text
from index.cleaning import clean_text
from index.loading import read_text
from index.metadata import extract_meta
from rag.settings import PROJECT_ROOT
from rag.types import Chunk, LetterMeta

LETTERS = PROJECT_ROOT / "data" / "letters"
NAMES = ["000", "001", "002", "003", "004"]
_SENTENCE_END = re.compile(r"[。！？；!?;][”’」』）)]*$")


def _split(name: str, size: int = 200) -> tuple[str, LetterMeta, list[Chunk]]:
    text = clean_text(read_text(next(LETTERS.glob(f"{name}_*.txt"))))
    meta = extract_meta(text)
    return text, meta, Chunker(size).split(name, text, meta, version="v1")


@pytest.mark.parametrize("size", [80, 200, 400])
@pytest.mark.parametrize("name", NAMES)
def test_chunks_are_exact_slices_that_end_at_a_sentence_or_paragraph_end(name: str, size: int) -> None:
    text, _, chunks = _split(name, size)
    assert chunks
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        at_paragraph_end = chunk.end == len(text) or text[chunk.end] == "\n"
        assert _SENTENCE_END.search(chunk.text) or at_paragraph_end, chunk.text[-20:]
        starts_paragraph = chunk.start == 0 or text[chunk.start - 1] == "\n"
        # A chunk starts where the previous sentence ended, so it never starts mid-sentence.
        assert starts_paragraph or _SENTENCE_END.search(text[: chunk.start].rstrip()), chunk.text[:20]


@pytest.mark.parametrize("name", NAMES)
def test_chunks_cover_the_text_in_order(name: str) -> None:
    text, _, chunks = _split(name)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert before.end <= after.start
        assert text[before.end : after.start].strip() == ""  # nothing is dropped between chunks
    assert text[: chunks[0].start].strip() == "" and text[chunks[-1].end :].strip() == ""


@pytest.mark.parametrize("name", NAMES)
def test_chunks_respect_the_size_unless_one_sentence_is_longer(name: str) -> None:
    _, _, chunks = _split(name, 200)
    for chunk in chunks:
        sentences = re.findall(r"[^。！？；]*[。！？；]", chunk.text)
        assert len(chunk.text) <= 200 or len(sentences) <= 1, chunk.chunk_id


def test_sections_follow_the_letter_structure() -> None:
    _, _, chunks = _split("000")
    sections = [c.section for c in chunks]
    assert sections[0] == "来文"
    assert "一、关于“加大对医药研发部门的投入”的建议" in sections
    assert "一、关于“加大对医药研发部门的投入”的建议 > 下一步" in sections
    assert "二、关于“加大科研人才的奖励政策”的建议 > 下一步" in sections
    assert sections[-2:] == ["结语", "落款"]
    # Headings come in document order and never interleave.
    firsts = [s.split(" > ")[0] for s in sections if s[0] in "一二三"]
    assert firsts == sorted(firsts, key=lambda s: "一二三".index(s[0]))


def test_sub_sections_and_next_step() -> None:
    text = "\n".join(
        [
            "温科提复〔2024〕1号",
            "关于测试的答复函",
            "某某委员：",
            "您的提案收悉，现答复如下：",
            "一、关于平台建设",
            "（一）眼谷建设。眼谷已获批国家级平台6个。",
            "（二）药谷建设。药谷已获批国家级平台3个。",
            "下一步，我们将继续推进两谷建设。",
            "二、关于人才",
            "人才引进成效明显。",
            "最后，再次感谢某某委员的关心和支持！",
            "温州市科学技术局",
        ]
    )
    chunks = Chunker(40).split("t", text, extract_meta(text))

    def section_of(sentence: str) -> str:
        return next(c.section for c in chunks if sentence in c.text)

    assert section_of("眼谷已获批国家级平台6个。") == "一、关于平台建设 > （一）眼谷建设"
    assert section_of("下一步，我们将继续推进两谷建设。") == "一、关于平台建设 > （二）药谷建设 > 下一步"
    assert section_of("人才引进成效明显。") == "二、关于人才"
    assert section_of("最后，再次感谢某某委员的关心和支持！") == "结语"
    assert section_of("您的提案收悉") == "来文"


def test_newspaper_articles_are_sections() -> None:
    _, meta, chunks = _split("004")
    article_sections = {f"{a.title}（{a.author}）" for a in meta.articles}
    assert {c.section for c in chunks} - {"正文"} == article_sections
    for chunk in chunks:
        article = next((a for a in meta.articles if a.start <= chunk.start < a.end), None)
        if article:
            assert chunk.end <= article.end  # a chunk never crosses into the next article


def test_chunk_ids_are_stable_and_carry_the_version() -> None:
    _, _, first = _split("001")
    _, _, again = _split("001")
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert first[0].chunk_id == "001:v1:0000"


def test_embedding_text_adds_topic_and_section() -> None:
    _, meta, chunks = _split("000")
    chunk = next(c for c in chunks if c.section.startswith("一、"))
    embedded = embedding_text(chunk, meta)
    assert embedded.endswith(chunk.text)
    assert "关于加快生物医药产业发展提案" in embedded and chunk.section in embedded


def test_too_small_chunk_size_is_refused() -> None:
    with pytest.raises(ValueError):
        Chunker(10)


def _sections(text: str) -> dict[str, str]:
    """Each line of the letter -> the section of the chunk that holds it."""
    chunks = Chunker(60).split("t", text, extract_meta(text))
    return {line: next(c.section for c in chunks if line in c.text) for line in text.split("\n")}


def test_page_fields_and_the_opening_are_the_header_of_a_web_export() -> None:
    text = clean_text(
        "索引号: ABC/2023-00012 发布机构: 东林市农业局\n发布日期: 2023-06-02 成文日期: 2023-06-01\n"
        "东林市农业局关于市七届人大二次会议第21号建议的答复\n王海代表:\n"
        "您提出的《关于发展乡村旅游的建议》收悉,现答复如下:\n一、总体情况\n全市乡村旅游发展较快。\n"
        "下一步,我们将继续推进。\n感谢您对农业工作的关心和支持!\n东林市农业局\n2023年6月1日"
    )
    sections = _sections(text)
    for line in text.split("\n")[:5]:
        assert sections[line] == "来文", line
    assert sections["全市乡村旅游发展较快。"] == "一、总体情况"
    assert sections["下一步,我们将继续推进。"] == "一、总体情况 > 下一步"
    assert sections["感谢您对农业工作的关心和支持!"] == "结语"
    assert sections["2023年6月1日"] == "落款"


def test_an_excerpt_without_salutation_or_收悉_has_a_body() -> None:
    text = "对区政协五届二次会议第7号提案的答复\n2024-09-12 09:30\n来源:某区\n一、关于课后服务\n(一)服务时间。已延长至18:00。"
    sections = _sections(text)
    assert sections["来源:某区"] == "来文"
    assert sections["(一)服务时间。已延长至18:00。"] == "一、关于课后服务 > (一)服务时间"


def test_a_letter_run_into_one_line_is_cut_at_its_opening_and_sections() -> None:
    text = clean_text(
        "关于某事的答复\n高飞委员:您的提案收悉,现答复如下:全区已建成公园12个。一、建设情况今年新建3个。二、下一步打算继续建设。"
    )
    sections = _sections(text)
    assert sections["高飞委员:您的提案收悉,现答复如下:"] == "来文"
    assert sections["全区已建成公园12个。"] == "正文"
    assert sections["一、建设情况今年新建3个。"].startswith("一、建设情况")
    assert sections["二、下一步打算继续建设。"].startswith("二、下一步打算")


def test_a_table_row_is_one_unit_whatever_its_cells_hold() -> None:
    from index.cleaning import clean_blocks
    from index.formats.model import Block

    row = "项目：眼谷平台。已投用；在建2个，金额：1.2亿元。"
    blocks = [Block("温科提复〔2024〕1号"), Block("答复如下："), Block("前文。" * 30), Block(row, row=True)]
    cleaned = clean_blocks(blocks)
    chunks = Chunker(40).split(
        "d", cleaned.text, LetterMeta(doc_number="温科提复〔2024〕1号"), rows=cleaned.row_spans
    )
    ((start, end),) = cleaned.row_spans
    holding = [c for c in chunks if c.start < end and start < c.end]
    assert len(holding) == 1 and holding[0].start <= start and holding[0].end >= end
    assert row in holding[0].text


def test_chunks_that_hold_ocr_text_are_marked() -> None:
    text = "答复如下：\n第一段。\n第二段。"
    chunks = Chunker(40).split("d", text, LetterMeta(title="答复函"), ocr=((6, 10),))
    assert any(c.ocr for c in chunks)
    assert all(c.ocr == (c.start < 10 and c.end > 6) for c in chunks)
