"""PDF: the text layer page by page; a page without one (a scan) is rendered and OCR'd.

A page whose text layer has fewer than ``_MIN_LAYER`` characters (nothing, or only a stamped page
number) is treated as a scan. Pages are bounded (``Limits.max_pages``), as are characters and time;
pypdf's own limits guard its decompression.
"""

from __future__ import annotations

import io
import logging

from index.formats.model import Block, Budget, Extracted, PageProgress
from index.formats.scans import ScanRun, render_page, unread
from rag.errors import DafuError, UnreadableFile

log = logging.getLogger(__name__)

_MIN_LAYER = 20


def read_pdf(data: bytes, budget: Budget, threads: int, progress: PageProgress | None) -> Extracted:
    from pypdf import PdfReader

    name = budget.name
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableFile(f"PDF 文件 {name} 已加密。请先解除密码保护后重试。")
        pages = len(reader.pages)
    except UnreadableFile:
        raise
    # pypdf raises many exception types on damaged files (zlib errors, NotImplementedError for a
    # garbled filter name, LimitReachedError, ...); all of them mean the file cannot be read.
    except Exception as exc:
        raise UnreadableFile(f"PDF 文件 {name} 无法解析（可能已损坏）。请重新导出 PDF 后重试。") from exc
    if pages > budget.limits.max_pages:
        raise budget.too_many_pages(pages)
    blocks: list[Block] = []
    notes: list[str] = []
    scans = ScanRun(budget, threads)
    for index in range(pages):
        budget.check_time()
        if progress:
            progress(name, index, pages)
        try:
            layer = reader.pages[index].extract_text() or ""
        except Exception as exc:
            raise UnreadableFile(f"PDF 文件 {name} 第 {index + 1} 页无法解析（可能已损坏）。") from exc
        if len("".join(layer.split())) >= _MIN_LAYER:
            blocks += scans.flush()
            budget.add_chars(len(layer))
            blocks.append(Block(layer))
        elif not _ocr(data, index, scans):
            if layer.strip():
                blocks += scans.flush()
                blocks.append(Block(layer))
            else:
                notes.append(unread(index + 1))
    blocks += scans.flush()
    if not any(b.text.strip() for b in blocks):
        raise UnreadableFile(
            f"PDF 文件 {name} 中没有文字：没有文字层，文字识别（OCR）也未识别出文字。"
            "请确认扫描清晰，或提供 Word/文本版本。"
        )
    return Extracted(tuple(blocks), notes=tuple(notes), kind="pdf")


def _ocr(data: bytes, index: int, scans: ScanRun) -> bool:
    """OCR page ``index`` into the run of scanned pages; False when it holds no text."""
    try:
        image = render_page(data, index, scans.budget)
    except DafuError:
        raise
    except Exception as exc:  # PDFium's errors on a damaged page
        log.warning("cannot render page %d of %s: %s", index + 1, scans.budget.name, exc)
        return False
    return scans.add(image)
