"""Word .docx (and the .docx WPS writes) read straight from the package: paragraphs and tables in
reading order, within the bounds of ``Budget``.

The main part is found through the package relationships (``_rels/.rels``) and streamed; nothing
else in the package is opened, so a relationship that points nowhere (WPS writes ``Target="NULL"``
for some images, which python-docx rejects) does not matter. Text boxes are read once (the
``mc:Fallback`` copy is skipped), deleted text and field codes are not text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from index.formats.model import Block, Budget, Extracted
from index.formats.package import Package, local, release
from index.formats.tables import table_blocks
from rag.errors import UnreadableFile

_MAIN = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_STRICT_MAIN = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"
_SKIP = {"Fallback", "instrText", "delText", "del", "moveFrom"}


@dataclass
class _Table:
    rows: list[list[str]] = field(default_factory=list)
    row: list[str] = field(default_factory=list)
    cell: list[str] = field(default_factory=list)
    column: int = 0
    span: int = 1
    merged: bool = False  # the open cell continues a vertical merge: it repeats the cell above
    above: dict[int, str] = field(default_factory=dict)  # column → text of the previous row


def bad_docx(name: str) -> str:
    return (
        f"文件 {name} 不是有效的 .docx 文档（可能已损坏或是旧版 .doc）。"
        "请用 Word 或 WPS 另存为 .docx 后重试。"
    )


def read_docx(data: bytes, budget: Budget) -> Extracted:
    package = Package(data, budget, bad_docx(budget.name))
    main = _main_part(package)
    blocks: list[Block] = []
    paragraphs: list[list[str]] = []  # open paragraphs (text boxes nest one in another)
    tables: list[_Table] = []
    skipping = 0

    def emit(new: list[Block]) -> None:
        for block in new:
            budget.add_chars(len(block.text))
        if tables:  # a nested table becomes text inside its cell
            tables[-1].cell.extend(b.text for b in new)
        else:
            blocks.extend(new)

    for event, element, _depth in package.elements(main):
        tag = local(element.tag)
        if tag in _SKIP:
            skipping += 1 if event == "start" else -1
            if event == "end":
                release(element)
            continue
        if skipping:
            if event == "end":
                release(element)
            continue
        if event == "start":
            if tag == "p":
                paragraphs.append([])
            elif tag == "tbl":
                tables.append(_Table())
            elif tag == "tc" and tables:
                tables[-1].cell, tables[-1].span, tables[-1].merged = [], 1, False
            elif tag == "gridSpan" and tables:
                tables[-1].span = _int(element, default=1)
            elif tag == "vMerge" and tables:
                tables[-1].merged = _attr(element, "val") in ("", "continue")
            continue
        # end events
        if tag == "t" and paragraphs:
            paragraphs[-1].append(element.text or "")
        elif tag == "tab" and paragraphs and local(element.getparent().tag) == "r":
            paragraphs[-1].append("\t")
        elif tag in ("br", "cr") and paragraphs:
            paragraphs[-1].append("\n")
        elif tag == "p" and paragraphs:
            text = "".join(paragraphs.pop())
            if paragraphs:  # a text box inside a paragraph: its own paragraph
                blocks.append(Block(text))
                budget.add_chars(len(text))
            elif tables:
                tables[-1].cell.append(text)
            else:
                emit([Block(text)])
        elif tag == "tc" and tables:
            table = tables[-1]
            text = "\n".join(t for t in table.cell if t.strip())
            if table.merged and not text:
                text = table.above.get(table.column, "")
            table.row.append(text)
            table.above[table.column] = text
            table.column += table.span
        elif tag == "tr" and tables:
            tables[-1].rows.append(tables[-1].row)
            tables[-1].row, tables[-1].column = [], 0
        elif tag == "tbl" and tables:
            emit(table_blocks(tables.pop().rows))
        release(element)
    if not any(b.text.strip() for b in blocks):
        raise UnreadableFile(f"文件 {budget.name} 中没有文字内容。")
    return Extracted(tuple(blocks), kind="docx")


def _main_part(package: Package) -> str:
    """The main document part named by the package relationships, else the usual name."""
    rels = package.find("_rels/.rels")
    if rels:
        for event, element, _depth in package.elements(rels):
            if event == "end" and element.get("Type") in (_MAIN, _STRICT_MAIN):
                found = package.find(str(element.get("Target", "")))
                if found:
                    return found
    found = package.find("word/document.xml")
    if found is None:
        raise UnreadableFile(bad_docx(package.budget.name))
    return found


def _attr(element: object, name: str) -> str:
    attrib = getattr(element, "attrib", {})
    return next((str(v) for k, v in attrib.items() if local(k) == name), "")


def _int(element: object, default: int) -> int:
    try:
        return max(1, int(_attr(element, "val")))
    except ValueError:
        return default
