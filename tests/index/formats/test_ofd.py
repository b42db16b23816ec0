"""OFD (GB/T 33190): text in reading order and the document's own metadata."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from index.cleaning import clean_blocks
from index.loading import load
from rag.errors import FileTooComplex, UnreadableFile
from tests.factories import LETTER_001_TEXT, ofd_bytes

TITLE = "关于市政协十二届三次会议395号提案的答复函"


def test_text_reads_in_order_as_the_letter() -> None:
    extracted = load(Path("a.ofd"), ofd_bytes(LETTER_001_TEXT, title=TITLE))
    assert extracted.kind == "ofd"
    expected = clean_blocks([type(extracted.blocks[0])(LETTER_001_TEXT)]).text
    assert clean_blocks(extracted.blocks).text == expected


def test_docinfo_and_custom_data_are_returned() -> None:
    data = ofd_bytes("正文。", title=TITLE, custom={"发文字号": "温科提复〔2024〕126号"})
    properties = load(Path("a.ofd"), data).properties
    assert properties["Title"] == TITLE
    assert properties["发文字号"] == "温科提复〔2024〕126号"
    assert properties["CreationDate"] == "2024-05-20"


def test_objects_written_out_of_order_are_read_top_to_bottom() -> None:
    data = ofd_bytes("第一段文字。\n第二段文字。\n第三段文字。")
    package = zipfile.ZipFile(io.BytesIO(data))
    page = package.read("Doc_0/Pages/Page_0/Content.xml").decode()
    head, rest = page.split("<ofd:TextObject", 1)
    objects = ["<ofd:TextObject" + o for o in rest.split("<ofd:TextObject")]
    objects[-1], tail = objects[-1].split("</ofd:Layer>")
    shuffled = head + "".join(reversed(objects)) + "</ofd:Layer>" + tail
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in package.infolist():
            z.writestr(
                item, shuffled if item.filename.endswith("Content.xml") else package.read(item.filename)
            )
    assert load(Path("a.ofd"), out.getvalue()).text.split("\n") == [
        "第一段文字。",
        "第二段文字。",
        "第三段文字。",
    ]


def test_a_package_without_its_document_is_a_clear_error() -> None:
    package = zipfile.ZipFile(io.BytesIO(ofd_bytes("正文。")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in package.infolist():
            if item.filename != "Doc_0/Document.xml":
                z.writestr(item, package.read(item.filename))
    with pytest.raises(UnreadableFile, match=r"坏\.ofd.*OFD"):
        load(Path("坏.ofd"), out.getvalue())


def test_an_ofd_without_text_objects_asks_for_a_text_version() -> None:
    with pytest.raises(UnreadableFile, match="没有文字对象"):
        load(Path("scan.ofd"), ofd_bytes(""))


def test_a_glyph_advance_bomb_is_harmless() -> None:
    """DeltaX "g 1000000000 5" would be a billion advances if expanded."""
    data = ofd_bytes("正文第一段。")
    package = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in package.infolist():
            body = package.read(item.filename)
            if item.filename.endswith("Content.xml"):
                body = body.replace(b'DeltaX="', b'DeltaX="g 1000000000 5 ')
            z.writestr(item, body)
    assert load(Path("a.ofd"), out.getvalue()).text == "正文第一段。"


def test_an_ofd_named_pdf_is_read_as_ofd() -> None:
    assert load(Path("a.pdf"), ofd_bytes("正文第一段。")).kind == "ofd"


def test_too_many_pages_are_refused() -> None:
    from index.formats.model import Limits

    data = ofd_bytes("\n".join(f"第{i}段。" for i in range(60)), per_page=1)
    with pytest.raises(FileTooComplex, match="页"):
        load(Path("a.ofd"), data, limits=Limits(max_pages=50))
