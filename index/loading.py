"""Read letter files (.txt, .md, .docx, .pdf) into text, detecting the encoding of plain text."""

from __future__ import annotations

import codecs
import logging
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from rag.errors import UnreadableFile, UnsupportedFile

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".pdf")


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Expand folders into the files under them (sorted), keep single files as given.

    Files of other types inside a folder are skipped (a folder holds READMEs, images, ...);
    a single file named explicitly is yielded even when unsupported so that the caller reports it.
    """
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if (
                    child.is_file()
                    and child.suffix.lower() in SUPPORTED_SUFFIXES
                    and not child.name.startswith(".")
                ):
                    yield child
        else:
            yield path


def read_text(path: Path, data: bytes | None = None) -> str:
    """Return the text of a letter file. ``data`` lets callers pass bytes already in memory (uploads)."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFile(
            f"不支持的文件类型“{suffix or '无扩展名'}”：{path.name}。请上传 .txt、.md、.docx 或 .pdf 文件。"
        )
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UnreadableFile(f"无法读取文件 {path}：{exc.strerror or exc}。请检查路径和权限。") from exc
    if not data.strip():
        raise UnreadableFile(f"文件 {path.name} 是空的，没有可索引的内容。")
    if suffix in (".txt", ".md"):
        return decode_text(data, name=path.name)
    if suffix == ".docx":
        return _read_docx(data, path.name)
    return _read_pdf(data, path.name)


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes, *, name: str = "") -> str:
    """Decode plain text: BOM, then strict UTF-8, UTF-16 without BOM, then GB18030.

    A decoding that yields control characters or unassigned code points is rejected rather than
    returned garbled.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _checked(data.decode(encoding), name, encoding)
    candidates = ["utf-8"]
    if _looks_utf16(data):
        candidates.insert(0, "utf-16-le" if data[1::2].count(0) > data[0::2].count(0) else "utf-16-be")
    candidates.append("gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _plausible(text):
            log.debug("decoded %s as %s", name, encoding)
            return text
    raise UnreadableFile(
        f"无法识别文件 {name} 的编码（已尝试 UTF-8、UTF-16、GB18030）。请另存为 UTF-8 编码的文本后重试。"
    )


def _looks_utf16(data: bytes) -> bool:
    sample = data[:4096]
    return len(sample) >= 4 and sample.count(0) > len(sample) // 4


def _plausible(text: str) -> bool:
    """True when a decoded text has (almost) no control or unassigned characters."""
    if not text:
        return False
    bad = 0
    for ch in text[:20000]:
        cat = unicodedata.category(ch)
        if (cat == "Cc" and ch not in "\n\r\t\f") or cat in ("Cn", "Co", "Cs"):
            bad += 1
    return bad <= max(2, len(text[:20000]) // 1000)


def _checked(text: str, name: str, encoding: str) -> str:
    if not _plausible(text):
        raise UnreadableFile(f"文件 {name} 按 {encoding} 解码后含有乱码。请另存为 UTF-8 编码的文本后重试。")
    return text


def _read_docx(data: bytes, name: str) -> str:
    import io

    import docx  # python-docx

    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                lines.append("\t".join(cell.text for cell in row.cells))
    # A damaged file fails anywhere in zipfile, zlib, lxml or python-docx, with their own exception
    # types; every one of them means the same thing to the user.
    except Exception as exc:
        raise UnreadableFile(
            f"文件 {name} 不是有效的 .docx 文档（可能已损坏或是旧版 .doc）。请用 Word 或 WPS 另存为 .docx 后重试。"
        ) from exc
    text = "\n".join(lines)
    if not text.strip():
        raise UnreadableFile(f"文件 {name} 中没有文字内容。")
    return text


def _read_pdf(data: bytes, name: str) -> str:
    import io

    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableFile(f"PDF 文件 {name} 已加密。请先解除密码保护后重试。")
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableFile:
        raise
    # pypdf raises many exception types on damaged files (zlib errors, NotImplementedError for a
    # garbled filter name, LimitReachedError, ...); all of them mean the file cannot be read.
    except Exception as exc:
        raise UnreadableFile(f"PDF 文件 {name} 无法解析（可能已损坏）。请重新导出 PDF 后重试。") from exc
    text = "\n\n".join(pages)
    if not text.strip():
        raise UnreadableFile(
            f"PDF 文件 {name} 没有文字层（可能是扫描件）。请先做文字识别（OCR）或提供 Word/文本版本。"
        )
    return text
