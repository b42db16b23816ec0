"""OFD (GB/T 33190), the fixed-layout format of Chinese electronic official documents.

The package's entry ``OFD.xml`` names the document (``DocBody/DocRoot``) and carries its own
metadata (``DocInfo``: Title, Author, Subject, CreationDate, DocID, CustomDatas), returned as
properties. The document lists its pages (``Pages/Page@BaseLoc``); each page's text objects
(``TextObject`` with a ``Boundary`` and ``TextCode`` runs placed at X/Y) are put in reading order from
their positions and joined into paragraphs like printed lines. Paths in the package may be absolute
(from the package root) or relative to the file that names them.
"""

from __future__ import annotations

import posixpath

from index.formats.layout import Line, paragraphs, rows, stack
from index.formats.model import Block, Budget, Extracted
from index.formats.package import Package, local, release
from rag.errors import UnreadableFile

_DOCINFO = ("DocID", "Title", "Author", "Subject", "Abstract", "CreationDate", "ModDate", "Keywords")


def bad_ofd(name: str) -> str:
    return f"文件 {name} 不是有效的 OFD 文档（可能已损坏）。请用 OFD 阅读器重新导出后重试，或提供 PDF/Word 版本。"


def read_ofd(data: bytes, budget: Budget) -> Extracted:
    package = Package(data, budget, bad_ofd(budget.name))
    entry = package.find("OFD.xml")
    if entry is None:
        raise UnreadableFile(bad_ofd(budget.name))
    properties, root = _entry(package, entry)
    if not root:
        raise UnreadableFile(bad_ofd(budget.name))
    document = _resolve(package, entry, root)
    pages = _pages(package, document)
    if len(pages) > budget.limits.max_pages:
        raise budget.too_many_pages(len(pages))
    lines: list[list[Line]] = []
    for page in pages:
        budget.check_time()
        lines.append(rows(_page_lines(package, page)))
        budget.add_chars(sum(len(ln.text) for ln in lines[-1]))
    blocks = [Block(p) for p in paragraphs(stack(lines))]
    if not blocks:
        raise UnreadableFile(
            f"OFD 文件 {budget.name} 中没有文字对象（可能是扫描件）。请提供带文字的 OFD、PDF 或 Word 版本。"
        )
    return Extracted(tuple(blocks), properties=properties, kind="ofd")


def _entry(package: Package, entry: str) -> tuple[dict[str, str], str]:
    """DocInfo of the first DocBody, and its DocRoot."""
    properties: dict[str, str] = {}
    root = ""
    in_info = False
    for event, element, _depth in package.elements(entry):
        tag = local(element.tag)
        if event == "start":
            in_info = in_info or tag == "DocInfo"
            continue
        if tag == "DocRoot" and not root:
            root = (element.text or "").strip()
        elif in_info and tag in _DOCINFO and (element.text or "").strip():
            properties.setdefault(tag, element.text.strip())
        elif in_info and tag == "CustomData" and element.get("Name") and (element.text or "").strip():
            properties.setdefault(str(element.get("Name")), element.text.strip())
        elif tag == "DocInfo":
            in_info = False
        if tag not in ("DocInfo", "CustomDatas"):
            release(element)
    return properties, root


def _resolve(package: Package, base: str, path: str) -> str:
    """A path named inside ``base``: absolute from the package root, or relative to base's folder."""
    path = path.strip().replace("\\", "/")
    joined = path.lstrip("/") if path.startswith("/") else posixpath.join(posixpath.dirname(base), path)
    found = package.find(posixpath.normpath(joined))
    if found is None:
        raise UnreadableFile(bad_ofd(package.budget.name))
    return found


def _pages(package: Package, document: str) -> list[str]:
    pages = []
    for event, element, _depth in package.elements(document):
        if event == "end" and local(element.tag) == "Page" and element.get("BaseLoc"):
            pages.append(_resolve(package, document, str(element.get("BaseLoc"))))
    return pages


def _numbers(text: str | None) -> list[float]:
    try:
        return [float(v) for v in (text or "").split()]
    except ValueError:
        return []


def _page_lines(package: Package, page: str) -> list[Line]:
    """Every TextCode of the page as a positioned line piece (units: mm, y downwards)."""
    lines: list[Line] = []
    box: list[float] = []
    size = 0.0
    for event, element, _depth in package.elements(page):
        tag = local(element.tag)
        if event == "start":
            if tag == "TextObject":
                box = _numbers(element.get("Boundary"))
                size = (_numbers(element.get("Size")) or [0.0])[0]
            continue
        if tag == "TextCode" and len(box) == 4 and (element.text or "").strip():
            text = element.text.strip()
            x = box[0] + (_numbers(element.get("X")) or [0.0])[0]
            baseline = box[1] + (_numbers(element.get("Y")) or [size])[0]
            height = size or box[3]
            width = _advance(element.get("DeltaX"), len(text), height)
            lines.append(Line(text, x, baseline - height, x + width, baseline))
        release(element)
    return lines


def _advance(delta: str | None, chars: int, size: float) -> float:
    """Width of a run from its DeltaX ("g n d" repeats d n times) plus its last character."""
    steps: list[float] = []
    tokens = (delta or "").split()
    i = 0
    try:
        while i < len(tokens) and len(steps) < chars:
            if tokens[i] == "g" and i + 2 < len(tokens):
                steps += [float(tokens[i + 2])] * min(int(tokens[i + 1]), chars)
                i += 3
            else:
                steps.append(float(tokens[i]))
                i += 1
    except ValueError:
        steps = []
    if not steps:
        return chars * size
    return sum(steps[: chars - 1]) + (steps[-1] if steps else size)
