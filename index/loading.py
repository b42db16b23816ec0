"""Read letter files into text, by what their bytes are, within bounds.

Formats (one module each in ``index/formats/``): plain text in any common encoding, .docx (also as
WPS writes it), .doc and .wps (through LibreOffice), PDF (text layer, OCR for scanned pages), OFD,
and scanned images (OCR). The type comes from the content, never from the name: a .doc renamed
.docx is converted like a .doc; content of a type dafu does not read gets a message naming it.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from index.formats.docx import bad_docx, read_docx
from index.formats.model import Block, Budget, Extracted, Limits, PageProgress
from index.formats.ofd import bad_ofd, read_ofd
from index.formats.office import read_office
from index.formats.pdf import read_pdf
from index.formats.scans import read_image
from index.formats.sniff import NAMES, sniff
from index.formats.text import decode_text
from rag.errors import DafuError, UnreadableFile, UnsupportedFile

log = logging.getLogger(__name__)

# What each extension claims to be; the content decides.
CLAIMS = {
    ".txt": "txt",
    ".md": "txt",
    ".docx": "docx",
    ".doc": "doc",
    ".wps": "doc",
    ".pdf": "pdf",
    ".ofd": "ofd",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".tif": "image",
    ".tiff": "image",
    ".bmp": "image",
}
SUPPORTED_SUFFIXES = tuple(CLAIMS)
# A container that holds none of the parts its kind needs is a damaged file of the claimed kind.
_GENERIC = {"docx": ("ZIP 压缩包",), "ofd": ("ZIP 压缩包",), "doc": ("未知的 Office 文件",)}
_SUPPORTED = "请上传 .txt、.md、.docx、.doc、.wps、.pdf、.ofd 或扫描图片（.png/.jpg/.tif）。"

__all__ = ["SUPPORTED_SUFFIXES", "Extracted", "Limits", "decode_text", "iter_files", "load", "read_text"]


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Expand folders into the files under them (sorted), keep single files as given.

    Files of other types inside a folder are skipped (a folder holds READMEs, spreadsheets, ...);
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
    """The text of a file (blocks joined by newlines). ``data``: bytes already in memory (uploads)."""
    return load(path, data).text


def load(
    path: Path,
    data: bytes | None = None,
    *,
    limits: Limits | None = None,
    ocr_threads: int = 2,
    progress: PageProgress | None = None,
) -> Extracted:
    """Read a file by its content. Raises ``UnsupportedFile``, ``UnreadableFile`` or ``FileTooComplex``."""
    name = path.name
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UnreadableFile(f"无法读取文件 {path}：{exc.strerror or exc}。请检查路径和权限。") from exc
    if not data.strip():
        raise UnreadableFile(f"文件 {name} 是空的，没有可索引的内容。")
    suffix = path.suffix.lower()
    claimed = CLAIMS.get(suffix)
    kind, detail = sniff(data)
    if kind == "other" and claimed and (detail.startswith("损坏") or detail in _GENERIC.get(claimed, ())):
        kind = claimed  # a damaged package of the claimed type: its reader says what is wrong
    if kind == "other":
        raise UnsupportedFile(
            f"不支持的文件类型：{name} 的内容是{detail}，dafu 不能读取这类文件。{_SUPPORTED}"
        )
    if kind == "txt" and claimed not in (None, "txt"):
        raise UnreadableFile(_damaged(name, claimed))
    if claimed and claimed != kind:
        log.warning("%s: named %s but its content is %s; read as %s", name, suffix, NAMES[kind], kind)
    budget = Budget(limits or Limits(), name)
    try:
        return _read(kind, data, suffix, budget, ocr_threads, progress, unknown=claimed is None)
    except DafuError:
        raise
    # A damaged package fails anywhere in zipfile, zlib, lxml or a converter, with their own
    # exception types; every one of them means the same thing to the user.
    except (Exception, zlib.error) as exc:
        log.debug("cannot read %s as %s", name, kind, exc_info=True)
        raise UnreadableFile(_damaged(name, kind)) from exc


def _read(
    kind: str,
    data: bytes,
    suffix: str,
    budget: Budget,
    threads: int,
    progress: PageProgress | None,
    *,
    unknown: bool,
) -> Extracted:
    if kind == "txt":
        try:
            text = decode_text(data, name=budget.name)
        except UnreadableFile as exc:
            if unknown:
                raise UnsupportedFile(
                    f"不支持的文件类型：无法识别文件 {budget.name} 的内容。{_SUPPORTED}"
                ) from exc
            raise
        budget.add_chars(len(text))
        return Extracted((Block(text),), kind="txt")
    if kind == "docx":
        return read_docx(data, budget)
    if kind == "doc":
        return read_office(data, suffix if suffix in (".doc", ".wps") else ".doc", budget)
    if kind == "pdf":
        return read_pdf(data, budget, threads, progress)
    if kind == "ofd":
        return read_ofd(data, budget)
    return read_image(data, budget, threads, progress)


def _damaged(name: str, kind: str) -> str:
    if kind == "docx":
        return bad_docx(name)
    if kind == "ofd":
        return bad_ofd(name)
    if kind == "pdf":
        return f"PDF 文件 {name} 无法解析（可能已损坏）。请重新导出 PDF 后重试。"
    if kind == "doc":
        return f"文件 {name} 不是有效的 Word/WPS 文档（可能已损坏）。请用 Word 或 WPS 打开并另存为 .docx 后重试。"
    if kind == "image":
        return f"图片 {name} 无法打开（可能已损坏）。请重新扫描或导出后重试。"
    return f"文件 {name} 无法读取（可能已损坏）。"
