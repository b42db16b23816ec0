"""Scanned PDFs and images: OCR'd page by page, marked as OCR, unread pages reported."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from eval.scans import ScanPage, render_pages, scan_pdf
from index.cleaning import clean_blocks
from index.formats.model import Extracted, Limits
from index.loading import load
from rag.errors import FileTooComplex, UnreadableFile
from tests.factories import LETTER_001_TEXT, pdf_bytes

SHORT = "温科提复〔2024〕126号\n2023年，全市生命健康产业实现总营收1588亿元。"


@pytest.fixture(scope="module")
def pages() -> list[ScanPage]:
    return render_pages(LETTER_001_TEXT, seed=1)


@pytest.fixture(scope="module")
def short() -> ScanPage:
    """A page with two lines: quick to recognise, for tests about pages rather than reading."""
    return render_pages(SHORT, seed=2)[0]


@pytest.fixture(scope="module")
def scanned(pages: list[ScanPage]) -> Extracted:
    return load(Path("扫描件.pdf"), scan_pdf(pages[:2]))


def _blank(page: ScanPage) -> ScanPage:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", page.size, 240).save(buffer, format="JPEG")
    return ScanPage(buffer.getvalue(), "", page.size)


def test_a_scanned_pdf_is_read_by_ocr_and_marked(scanned: Extracted) -> None:
    extracted = scanned
    assert extracted.kind == "pdf" and extracted.ocr
    assert all(b.ocr for b in extracted.blocks)
    cleaned = clean_blocks(extracted.blocks)
    assert cleaned.ocr_spans == ((0, len(cleaned.text)),)
    assert "全市生命健康产业实现总营收1588亿元" in cleaned.text
    assert cleaned.text.startswith("温科提复〔2024〕126号\n")


def test_a_paragraph_runs_on_over_the_page_break(pages: list[ScanPage], scanned: Extracted) -> None:
    cleaned = clean_blocks(scanned.blocks).text
    last_line_of_page_one = pages[0].text.split("\n")[-1]
    first_line_of_page_two = pages[1].text.split("\n")[0]
    joined = "".join(last_line_of_page_one.split())[-4:] + "".join(first_line_of_page_two.split())[:4]
    assert joined in cleaned


def test_a_pdf_with_text_and_scanned_pages_marks_only_the_scans(short: ScanPage) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(
        PdfReader(io.BytesIO(pdf_bytes(["Cover page of the reply letters, with a real text layer."])))
    )
    writer.append(PdfReader(io.BytesIO(scan_pdf([short]))))
    buffer = io.BytesIO()
    writer.write(buffer)
    cleaned = clean_blocks(load(Path("mixed.pdf"), buffer.getvalue()).blocks)
    assert cleaned.text.startswith("Cover page of the reply letters")
    ((start, end),) = cleaned.ocr_spans
    assert cleaned.text[start:].startswith("温科提复") and end == len(cleaned.text)
    assert "1588亿元" in cleaned.text[start:end]


def test_a_scanned_page_with_no_text_is_reported(short: ScanPage) -> None:
    extracted = load(Path("a.pdf"), scan_pdf([short, _blank(short)]))
    assert extracted.notes == ("第 2 页未能识别出文字（可能是空白页，或图像不清晰）",)


def test_an_image_file_is_read_and_a_tiff_page_by_page(short: ScanPage) -> None:
    from PIL import Image

    assert "1588亿元" in load(Path("page.jpg"), short.jpeg).text
    frames = [Image.open(io.BytesIO(p.jpeg)) for p in (short, _blank(short))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    extracted = load(Path("scan.tif"), buffer.getvalue())
    assert extracted.kind == "image" and "1588亿元" in extracted.text
    assert extracted.notes == ("第 2 页未能识别出文字（可能是空白页，或图像不清晰）",)


def test_an_image_without_text_is_a_clear_error(short: ScanPage) -> None:
    with pytest.raises(UnreadableFile, match="没有识别出文字"):
        load(Path("空白.png"), _blank(short).jpeg)


def test_a_blank_pdf_says_neither_layer_nor_ocr_found_text() -> None:
    with pytest.raises(UnreadableFile) as err:
        load(Path("扫描件.pdf"), pdf_bytes([]))
    assert "扫描件.pdf" in str(err.value) and "没有文字层" in str(err.value)


def test_an_image_past_the_pixel_limit_is_refused() -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (9000, 9000), 1).save(buffer, format="PNG")  # 81 Mpx in a few KB
    with pytest.raises(FileTooComplex, match="像素"):
        load(Path("huge.png"), buffer.getvalue())


def test_pdf_pages_are_bounded(short: ScanPage) -> None:
    with pytest.raises(FileTooComplex, match="超过上限 2 页"):
        load(Path("long.pdf"), scan_pdf([short] * 3), limits=Limits(max_pages=2))
