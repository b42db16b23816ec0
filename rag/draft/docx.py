"""A draft reply as a .docx laid out like an official letter (GB/T 9704 conventions).

A4, margins 37/35/28/26 mm (top/bottom/left/right); title 方正小标宋简体 2号 (22 pt) centred; body
仿宋_GB2312 3号 (16 pt), first-line indent of two characters, fixed 28 pt line spacing; 一、 headings in
黑体 3号. Citation markers are superscript; the sources follow as an appendix table. East-Asian font
names go into ``w:rFonts/@w:eastAsia``: Word ignores ``font.name`` for Chinese characters.
"""

from __future__ import annotations

import io
import re

from docx import Document as new_document
from docx.document import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from rag.draft.markdown import NOTES_HEADING, reference_notes
from rag.draft.model import Draft

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
BODY_SIZE = Pt(16)
_MARKER = re.compile(r"(\[\d+\])")
_TITLE_LINE = 20  # characters of 22 pt on a 156 mm line


def write_docx(draft: Draft) -> bytes:
    doc = new_document()
    _page(doc)
    _default_font(doc)
    _para(doc, draft.doc_number, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    _para(doc, _break_title(draft.title), font=TITLE_FONT, size=Pt(22), align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
          line=Pt(35), before=Pt(14), after=Pt(14))  # fmt: skip
    _para(doc, draft.salutation, indent=False)
    _para(doc, draft.opening)
    for section in draft.sections:
        _para(doc, section.heading, font=HEADING_FONT)
        _para(doc, section.status)
        _para(doc, section.next_steps)
        if section.unsupported:
            _para(doc, f"（请核实：{'、'.join(section.unsupported)} 未在引文中找到）")
    _para(doc, draft.closing)
    _para(doc, draft.contact)
    _para(doc, "", indent=False)
    _para(doc, draft.issuer, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False, right=Pt(32))
    _para(doc, draft.date, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False, right=Pt(32))
    notes = reference_notes(draft)
    if draft.citations or notes:
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    if draft.citations:
        _appendix(doc, draft)
    if notes:  # for the drafter: what was promised before and what became of it
        _para(doc, "", indent=False)
        _para(doc, f"附：{NOTES_HEADING}", font=HEADING_FONT, indent=False)
        for note in notes:
            _para(doc, note, size=Pt(12), line=Pt(20))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _break_title(title: str) -> str:
    """A title too long for one line breaks before 答复函, as in the bureau's letters."""
    if len(title) > _TITLE_LINE and title.endswith("答复函"):
        return title[: -len("答复函")] + "\n答复函"
    return title


def _page(doc: Document) -> None:
    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)


def _default_font(doc: Document) -> None:
    style = doc.styles["Normal"]
    style.font.size = BODY_SIZE
    _fonts(style.element.get_or_add_rPr(), BODY_FONT)


def _fonts(rpr: BaseOxmlElement, east_asia: str) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)


def _para(
    doc: Document | _Cell,
    text: str,
    *,
    font: str = BODY_FONT,
    size: Pt = BODY_SIZE,
    align: int | None = None,
    indent: bool = True,
    line: Pt = Pt(28),
    before: Pt = Pt(0),
    after: Pt = Pt(0),
    right: Pt | None = None,
) -> Paragraph:
    para = doc.add_paragraph()
    fmt = para.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = line
    fmt.space_before, fmt.space_after = before, after
    if right is not None:
        fmt.right_indent = right
    if align is not None:
        para.alignment = align
    else:
        para.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if indent:
        fmt.first_line_indent = Pt(size.pt * 2)
        # Word measures the indent in characters as well; both say "two characters".
        ind = para._p.get_or_add_pPr().get_or_add_ind()
        ind.set(qn("w:firstLineChars"), "200")
    for piece in _MARKER.split(text):
        if not piece:
            continue
        run = para.add_run(piece)  # "\n" in the text becomes a line break
        run.font.size = size
        _fonts(run._r.get_or_add_rPr(), font)
        if _MARKER.fullmatch(piece):
            run.font.superscript = True
    return para


def _appendix(doc: Document, draft: Draft) -> None:
    _para(doc, "附：引用来源", font=HEADING_FONT, indent=False)
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = (Mm(12), Mm(36), Mm(36), Mm(72))  # 156 mm: the text width between the margins
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width  # LibreOffice lays out by the grid columns, Word by the cells
    for cell, label, width in zip(table.rows[0].cells, ("序号", "文号", "章节", "引文"), widths, strict=True):
        _cell(cell, label, width, font=HEADING_FONT)
    for n, c in enumerate(draft.citations, start=1):
        values = (str(n), c.doc_number or c.title or c.doc_id, c.section, " ".join(c.quote.split()))
        for cell, value, width in zip(table.add_row().cells, values, widths, strict=True):
            _cell(cell, value, width)


def _cell(cell: _Cell, text: str, width: Mm, *, font: str = BODY_FONT) -> None:
    cell.width = width
    para = cell.paragraphs[0]
    para.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    run = para.add_run(text)
    run.font.size = Pt(10.5)
    _fonts(run._r.get_or_add_rPr(), font)
