"""The type of a file from its bytes, never from its name.

A ``.doc`` renamed ``.docx``, a PDF saved as ``.txt`` or a scan named ``.pdf`` that is really a JPEG
are read as what they are; content of a type dafu does not read (a spreadsheet, a program) gets a
message naming that type.
"""

from __future__ import annotations

import io
import zipfile

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# kind → what a user calls it (for messages)
NAMES = {
    "txt": "纯文本",
    "docx": "Word 文档（.docx）",
    "doc": "Word 97-2003 / WPS 文字文档（.doc/.wps）",
    "pdf": "PDF",
    "ofd": "OFD 版式文档",
    "image": "图片",
}

_IMAGES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"BM", "bmp"),
)

_OTHER = (
    (b"MZ", "可执行程序"),
    (b"\x7fELF", "可执行程序"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩包"),
    (b"GIF8", "GIF 图片"),
    (b"{\\rtf", "RTF 文档"),
)


def sniff(data: bytes) -> tuple[str, str]:
    """(kind, detail): kind is one of ``NAMES`` or "other"; detail names an unsupported type."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf", ""
    for magic, fmt in _IMAGES:
        if head.startswith(magic):
            return "image", fmt
    if head.startswith(OLE):
        return _ole(data)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip(data)
    for magic, what in _OTHER:
        if head.startswith(magic):
            return "other", what
    return "txt", ""


def _ole(data: bytes) -> tuple[str, str]:
    """An OLE2 compound file: Word 97-2003 and WPS 文字 (.doc/.wps) have a WordDocument stream."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
        streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
        ole.close()
    except (OSError, ValueError, IndexError, KeyError, TypeError) as exc:
        return "other", f"损坏的 Office 文件（{type(exc).__name__}）"
    if "EncryptedPackage" in streams:
        return "other", "已加密的 Office 文档"
    if "WordDocument" in streams:
        return "doc", ""
    if "Workbook" in streams or "Book" in streams:
        return "other", "Excel 工作簿"
    if "PowerPoint Document" in streams:
        return "other", "PowerPoint 演示文稿"
    if "CONTENTS" in streams or "MatOST" in streams:
        return "doc", "works"  # Microsoft Works .wps: LibreOffice reads it too
    return "other", "未知的 Office 文件"


def _zip(data: bytes) -> tuple[str, str]:
    try:
        names = {n.lower() for n in zipfile.ZipFile(io.BytesIO(data)).namelist()}
    except (zipfile.BadZipFile, OSError, ValueError):
        return "other", "损坏的压缩文件"
    if "word/document.xml" in names or any(n.endswith("document.xml") and "word" in n for n in names):
        return "docx", ""
    if "ofd.xml" in names:
        return "ofd", ""
    if any(n.startswith("xl/") for n in names):
        return "other", "Excel 工作簿（.xlsx）"
    if any(n.startswith("ppt/") for n in names):
        return "other", "PowerPoint 演示文稿（.pptx）"
    if "content.xml" in names:
        return "other", "OpenDocument 文档（.odt）"
    return "other", "ZIP 压缩包"
