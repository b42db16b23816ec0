"""Scanned pages: image files (PNG, JPEG, TIFF with one page a frame, BMP) and PDF pages without a
text layer, read by OCR page by page.

PDF pages are rendered by PDFium (pypdfium2) whatever their image encoding (JPEG, CCITT G4, JBIG2,
JPEG 2000), at 200 dpi or less when the page would pass the pixel limit. A page on which OCR finds
nothing is reported in the document's notes, never silently dropped.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

from index.formats import ocr
from index.formats.layout import Line
from index.formats.model import Block, Budget, Extracted, PageProgress
from rag.errors import UnreadableFile, UnsupportedFile

log = logging.getLogger(__name__)

DPI = 200


class ScanRun:
    """Consecutive scanned pages, OCR'd one by one and joined into paragraphs across page breaks."""

    def __init__(self, budget: Budget, threads: int) -> None:
        self.budget = budget
        self.threads = threads
        self.pages: list[list[Line]] = []

    def add(self, image: Any) -> bool:
        """OCR one page image (RGB array); False when no text was found on it."""
        self.budget.check_time()
        try:
            lines = ocr.recognise(image, self.threads)
        except ocr.OcrUnavailable as exc:
            raise UnsupportedFile(
                f"文件 {self.budget.name} 是扫描件，需要文字识别（OCR），但本机未安装 OCR 组件。"
                "请运行 make install 后重试。"
            ) from exc
        self.budget.add_chars(sum(len(ln.text) for ln in lines))
        if lines:
            self.pages.append(lines)
        return bool(lines)

    def flush(self) -> list[Block]:
        blocks = [Block(p, ocr=True) for p in ocr.read_pages(self.pages)]
        self.pages = []
        return blocks


def unread(page: int) -> str:
    return f"第 {page} 页未能识别出文字（可能是空白页，或图像不清晰）"


def read_image(data: bytes, budget: Budget, threads: int, progress: PageProgress | None) -> Extracted:
    frames = list(_frames(data, budget))
    run = ScanRun(budget, threads)
    notes: list[str] = []
    for n, frame in enumerate(frames, start=1):
        if progress:
            progress(budget.name, n - 1, len(frames))
        if not run.add(frame):
            notes.append(unread(n))
    blocks = run.flush()
    if not blocks:
        raise UnreadableFile(f"图片 {budget.name} 中没有识别出文字。请确认图片是清晰的文字扫描件后重试。")
    return Extracted(tuple(blocks), notes=tuple(notes), kind="image")


def _frames(data: bytes, budget: Budget) -> Iterator[Any]:
    import numpy as np
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise UnreadableFile(f"图片 {budget.name} 无法打开（可能已损坏）。请重新扫描或导出后重试。") from exc
    count = getattr(image, "n_frames", 1)
    if count > budget.limits.max_pages:
        raise budget.too_many_pages(count)
    for frame in ImageSequence.Iterator(image):
        width, height = frame.size
        if width * height > budget.limits.max_pixels:
            raise budget.too_many_pixels(width, height)
        try:
            yield np.asarray(frame.convert("RGB"))
        except (OSError, ValueError) as exc:
            raise UnreadableFile(f"图片 {budget.name} 无法解码（可能已损坏）。请重新扫描后重试。") from exc


def render_page(data: bytes, index: int, budget: Budget) -> Any:
    """PDF page ``index`` as an RGB array at up to 200 dpi, kept under the pixel limit."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        page = pdf[index]
        width, height = page.get_size()  # points
        scale = DPI / 72
        if width * height * scale * scale > budget.limits.max_pixels:
            scale = (budget.limits.max_pixels / (width * height)) ** 0.5
        bitmap = page.render(scale=scale)
        return bitmap.to_numpy()[:, :, :3].copy()
    finally:
        pdf.close()
