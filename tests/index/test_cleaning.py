"""Canonical text: conversion artifacts removed, page breaks re-joined, the signature block kept apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.cleaning import clean_text
from index.loading import read_text
from rag.service import DafuService
from rag.settings import PROJECT_ROOT

LETTERS = PROJECT_ROOT / "data" / "letters"


def _canonical(name: str) -> str:
    return clean_text(read_text(next(LETTERS.glob(f"{name}_*.txt"))))


def test_sentence_cut_by_a_page_break_is_rejoined() -> None:
    head = "近年来，我市不断优化科研平台扶持政策，持续加大对基础性科研及重大科技攻关等项目"
    raw = f"{head}\n\n的扶持力度。大力推行“揭榜挂帅”攻关模式。\n"
    assert clean_text(raw) == f"{head}的扶持力度。大力推行“揭榜挂帅”攻关模式。"


def test_short_continuation_after_page_break_is_rejoined() -> None:
    raw = "我们将持续完善科技金融服务体系，加大对生物医药企业的科技攻关力\n\n度。\n二、关于人才"
    assert clean_text(raw).split("\n") == [
        "我们将持续完善科技金融服务体系，加大对生物医药企业的科技攻关力度。",
        "二、关于人才",
    ]


def test_page_break_in_the_sample_letter_is_rejoined() -> None:
    text = _canonical("000")
    assert "重大科技攻关等项目的扶持力度。" in text


def test_bookmarks_and_bold_markers_are_removed() -> None:
    raw = "[bookmark: _Hlk116637571]**一是全面构建产业生态。**加快中国眼谷建设。"
    assert clean_text(raw) == "一是全面构建产业生态。加快中国眼谷建设。"
    for name in ("000", "001", "002", "003", "004"):
        text = _canonical(name)
        assert "[bookmark:" not in text and "**" not in text


def test_signature_lines_are_not_glued() -> None:
    raw = (
        "最后，再次感谢张勇代表一直以来对全市科技创新及生命健康领域工作的关心和支持！\n"
        "联系人：陈忠研，联系电话：88962028。\n\n"
        "                               温州市科学技术局 \n"
        "                               2024年6月28日\n\n\n"
        "抄送：市人大常委会代表工委，市府办\n"
        "温州市科学技术局办公室                 2024年6月28日印发\n"
    )
    assert clean_text(raw).split("\n") == [
        "最后，再次感谢张勇代表一直以来对全市科技创新及生命健康领域工作的关心和支持！",
        "联系人：陈忠研，联系电话：88962028。",
        "温州市科学技术局",
        "2024年6月28日",
        "抄送：市人大常委会代表工委，市府办",
        "温州市科学技术局办公室 2024年6月28日印发",
    ]


def test_header_lines_are_kept_apart() -> None:
    text = _canonical("001")
    assert text.split("\n")[:4] == [
        "温科提复〔2024〕126号",
        "关于市政协十二届三次会议395号提案的",
        "答 复 函",
        "民盟市委会:",
    ]


def test_canonical_text_has_no_blank_or_padded_lines() -> None:
    for name in ("000", "001", "002", "003", "004"):
        for line in _canonical(name).split("\n"):
            assert line and line == line.strip(), (name, line)


def test_cleaning_is_idempotent() -> None:
    for name in ("000", "003", "004"):
        text = _canonical(name)
        assert clean_text(text) == text


def test_canonical_text_is_what_is_stored_and_offsets_hold(service: DafuService) -> None:
    for info in service.documents():
        document = service.document(info.doc_id)
        assert document.text == clean_text(read_text(LETTERS / info.source))
        chunks = [c for c in service.store.all_hits() if c.doc_id == info.doc_id]
        assert len(chunks) == info.chunks
        for chunk in chunks:
            assert document.text[chunk.start : chunk.end] == chunk.text


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_windows_and_mac_line_ends(newline: str) -> None:
    raw = newline.join(["温科提复〔2024〕126号", "", "民盟市委会：", "正文第一句。"])
    assert clean_text(raw) == "温科提复〔2024〕126号\n民盟市委会：\n正文第一句。"


def test_read_paths_agree(tmp_path: Path) -> None:
    """A .docx and a .txt of the same letter give the same canonical text."""
    from tests.factories import docx_bytes

    raw = read_text(next(LETTERS.glob("003_*.txt")))
    paragraphs = [p for p in raw.split("\n") if p.strip()]
    docx_text = clean_text(read_text(Path("003.docx"), docx_bytes(paragraphs)))
    assert docx_text == clean_text(raw)


def test_digits_masked_by_a_reprint_are_kept() -> None:
    raw = "您提出的提案(第**号)已收悉。****年新增配置AED共***台,每万人*台。"
    assert clean_text(raw) == raw


def test_page_fields_and_headings_are_never_glued() -> None:
    raw = (
        "索 引 号 1585729837/abc/2021-0000041 发布机构 东林市工业和信息化局\n"
        "成文日期 2021-10-22 发布日期 2021-10-22\n"
        "东林市工业和信息化局关于市十九届人大六次会议第60号建议的答复\n"
        "王海代表：\n"
        "您提出的建议收悉，现答复如下：\n"
    )
    assert clean_text(raw).split("\n") == [line for line in raw.split("\n") if line]


def test_a_run_on_export_is_cut_after_the_opening_and_before_its_sections() -> None:
    raw = "高飞委员:您的提案收悉,现答复如下:全区已建成公园12个。一、建设情况今年新建3个。三、不是第二节。二、打算继续建设。"
    assert clean_text(raw).split("\n") == [
        "高飞委员:您的提案收悉,现答复如下:",
        "全区已建成公园12个。",
        "一、建设情况今年新建3个。三、不是第二节。",
        "二、打算继续建设。",
    ]
