"""What a format reader returns, and the bounds every reader works within.

A reader turns a file into ``Extracted``: blocks of text in reading order, each saying whether it came
from OCR and whether it is a table row, plus the document's own metadata where the format stores it
(OFD's DocInfo). Cleaning keeps these marks line by line so that the canonical text knows which spans
were recognised from images and which lines are table rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rag.errors import FileTooComplex
from rag.settings import Settings

# (file name, page done, pages total): long scans report progress page by page.
PageProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Block:
    """A run of lines read from a file. ``ocr``: recognised from an image; ``row``: one table row."""

    text: str
    ocr: bool = False
    row: bool = False


@dataclass(frozen=True)
class Extracted:
    """A file's text in reading order, with the document properties its format stores."""

    blocks: tuple[Block, ...]
    properties: dict[str, str] = field(default_factory=dict)  # e.g. OFD DocInfo: Title, Author, DocID
    notes: tuple[str, ...] = ()  # what the reader could not read (a page OCR found no text on)
    kind: str = ""  # the detected format: txt, docx, pdf, ofd, doc, image

    @property
    def text(self) -> str:
        return "\n".join(b.text for b in self.blocks)

    @property
    def ocr(self) -> bool:
        return any(b.ocr for b in self.blocks)


@dataclass(frozen=True)
class Limits:
    """Bounds on what one file may expand to; each breach is a ``FileTooComplex`` naming the bound."""

    max_expanded_bytes: int = 64 * 1024 * 1024  # bytes decompressed from a package (.docx, .ofd)
    max_xml_depth: int = 100  # element nesting in any XML part
    max_pages: int = 300  # PDF pages
    max_chars: int = 300_000  # characters of text per document
    max_seconds: float = 600.0  # reading one file, conversion and OCR included
    max_pixels: int = 40_000_000  # pixels of one image or rendered page (a 300 dpi A3 page is 17 M)

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            max_expanded_bytes=settings.max_expanded_bytes,
            max_pages=settings.max_pdf_pages,
            max_chars=settings.max_document_chars,
            max_seconds=settings.max_file_seconds,
        )


class Budget:
    """The limits of one file being read, with its clock started."""

    def __init__(self, limits: Limits, name: str) -> None:
        self.limits = limits
        self.name = name
        self.started = time.monotonic()
        self.chars = 0

    def remaining(self) -> float:
        return self.limits.max_seconds - (time.monotonic() - self.started)

    def check_time(self) -> None:
        if self.remaining() <= 0:
            raise FileTooComplex(
                f"文件 {self.name} 处理超过 {self.limits.max_seconds:.0f} 秒，已停止。"
                "请拆分文件（或调大 DAFU_MAX_FILE_SECONDS）后重试。"
            )

    def add_chars(self, n: int) -> None:
        self.chars += n
        if self.chars > self.limits.max_chars:
            raise FileTooComplex(
                f"文件 {self.name} 的文字超过 {self.limits.max_chars} 字，超出单个文档的上限。"
                "请拆分成多个文件（或调大 DAFU_MAX_DOCUMENT_CHARS）后重试。"
            )

    def too_expanded(self) -> FileTooComplex:
        mib = self.limits.max_expanded_bytes // (1024 * 1024)
        return FileTooComplex(
            f"文件 {self.name} 解压后超过 {mib} MB，可能是压缩炸弹或内容过大，已拒绝。"
            "请检查文件来源，或另存为较小的文件后重试。"
        )

    def too_deep(self) -> FileTooComplex:
        return FileTooComplex(
            f"文件 {self.name} 的 XML 嵌套超过 {self.limits.max_xml_depth} 层，结构异常，已拒绝。"
            "请用 Word 或 WPS 重新另存后重试。"
        )

    def too_many_pages(self, pages: int) -> FileTooComplex:
        return FileTooComplex(
            f"PDF 文件 {self.name} 有 {pages} 页，超过上限 {self.limits.max_pages} 页。"
            "请拆分后重试（或调大 DAFU_MAX_PDF_PAGES）。"
        )

    def too_many_pixels(self, width: int, height: int) -> FileTooComplex:
        return FileTooComplex(
            f"文件 {self.name} 中的图像为 {width}×{height} 像素，超过上限 {self.limits.max_pixels} 像素。"
            "请以 300 dpi 以下的分辨率重新扫描后重试。"
        )
