"""Our .docx reader: tables in place, WPS's packages, and bounds on what a file expands to."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from index.formats.model import Limits
from index.loading import load, read_text
from rag.errors import FileTooComplex, UnreadableFile
from tests.factories import LETTER_001_TEXT, docx_bytes, letter_docx

FIGURES = [["指标", "2023年"], ["全市生命健康产业总营收", "1588亿元"], ["规上制造业产值", "531.7亿元"]]


def test_table_rows_are_in_place_and_read_as_sentences() -> None:
    data = letter_docx(LETTER_001_TEXT, table=FIGURES, after="2023年")
    lines = read_text(Path("a.docx"), data).split("\n")
    row = lines.index("指标：全市生命健康产业总营收，2023年：1588亿元。")
    assert lines[row - 1] == "指标，2023年。"
    assert lines[row - 2].startswith("2023年，全市生命健康产业实现总营收1588亿元")
    assert lines[row + 1] == "指标：规上制造业产值，2023年：531.7亿元。"
    assert lines[row + 2].startswith("下一步")


def test_rows_are_marked_as_rows() -> None:
    data = letter_docx("正文第一段。", table=FIGURES, after="正文")
    blocks = load(Path("a.docx"), data).blocks
    assert [b.row for b in blocks] == [False, True, True, True]


def _table_docx(xml_rows: str) -> bytes:
    """A .docx whose body is one table written as raw WordprocessingML."""
    good = zipfile.ZipFile(io.BytesIO(docx_bytes(["x"])))
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    body = f"<w:document {w}><w:body><w:p><w:r><w:t>前文。</w:t></w:r></w:p><w:tbl>{xml_rows}</w:tbl></w:body></w:document>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in good.infolist():
            z.writestr(item, body if item.filename == "word/document.xml" else good.read(item.filename))
    return out.getvalue()


def _cell(text: str, props: str = "") -> str:
    return f"<w:tc><w:tcPr>{props}</w:tcPr><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"


def test_a_vertically_merged_cell_repeats_in_every_row_it_spans() -> None:
    restart, merged = '<w:vMerge w:val="restart"/>', "<w:vMerge/>"
    rows = (
        f"<w:tr>{_cell('年度')}{_cell('项目')}{_cell('金额')}</w:tr>"
        f"<w:tr>{_cell('2023年', restart)}{_cell('眼谷')}{_cell('100万元')}</w:tr>"
        f"<w:tr>{_cell('', merged)}{_cell('药谷')}{_cell('200万元')}</w:tr>"
    )
    text = read_text(Path("t.docx"), _table_docx(rows))
    assert "年度：2023年，项目：药谷，金额：200万元。" in text.split("\n")


def test_a_layout_table_is_read_as_paragraphs() -> None:
    long = "这是一段很长的正文。" * 30
    text = read_text(Path("t.docx"), _table_docx(f"<w:tr>{_cell(long)}{_cell('落款')}</w:tr>"))
    assert text.split("\n") == ["前文。", long, "落款"]


def test_a_docx_written_by_wps_with_a_null_relationship_is_read() -> None:
    """WPS writes relationships to "NULL" for some images; python-docx refuses such files."""
    import docx

    good = zipfile.ZipFile(io.BytesIO(letter_docx(LETTER_001_TEXT)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in good.infolist():
            data = good.read(item.filename)
            if item.filename == "word/_rels/document.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/image" Target="NULL"/></Relationships>',
                )
            z.writestr(item, data)
    with pytest.raises(KeyError):
        docx.Document(io.BytesIO(out.getvalue()))
    assert "1588亿元" in read_text(Path("wps.docx"), out.getvalue())


def bomb_docx(repeat: int) -> bytes:
    """A small .docx whose document.xml inflates to ``repeat`` paragraphs (84 bytes each)."""
    good = zipfile.ZipFile(io.BytesIO(docx_bytes(["x"])))
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    para = b"<w:p><w:r><w:t>" + "重复的内容。".encode() * 3 + b"</w:t></w:r></w:p>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for item in good.infolist():
            if item.filename == "word/document.xml":
                with z.open("word/document.xml", "w") as member:
                    member.write(f"<w:document {w}><w:body>".encode())
                    for _ in range(repeat // 1000):
                        member.write(para * 1000)
                    member.write(b"</w:body></w:document>")
            else:
                z.writestr(item, good.read(item.filename))
    return out.getvalue()


def test_a_docx_bomb_is_refused_quickly_and_without_growing(tmp_path: Path) -> None:
    """315 KB that inflates to 84 MB of XML: refused in a child process whose peak memory is measured."""
    data = bomb_docx(1_000_000)
    assert len(data) < 400_000
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml").file_size > 80_000_000
    (tmp_path / "bomb.docx").write_bytes(data)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from index.loading import load\n"
        "from rag.errors import FileTooComplex\n"
        "try:\n"
        "    load(Path(sys.argv[1]))\n"
        "except FileTooComplex as exc:\n"
        "    print('refused', exc)\n"
        # VmHWM is this process's own peak (ru_maxrss would carry the parent's peak across exec).
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "print('peak_mb', int(hwm.split()[1]) // 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "bomb.docx")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "refused" in done.stdout and "解压后超过" in done.stdout, done.stdout + done.stderr
    peak = int(done.stdout.split("peak_mb")[1])
    assert peak < 400, f"reading the bomb peaked at {peak} MB"


def test_a_package_whose_header_lies_about_its_size_is_refused() -> None:
    """The declared size passes, the inflated bytes do not: the running count stops it."""
    data = bomb_docx(20_000)  # 1.7 MB of XML
    with pytest.raises(FileTooComplex, match="解压后超过"):
        load(Path("b.docx"), data, limits=Limits(max_expanded_bytes=1_000_000))
    patched = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml")
    # Rewrite the central directory's uncompressed size of document.xml to 1 KB.
    central = data.rfind(b"PK\x01\x02", 0, data.find(b"PK\x05\x06"))
    while central > 0:
        name_len = int.from_bytes(data[central + 28 : central + 30], "little")
        if data[central + 46 : central + 46 + name_len] == b"word/document.xml":
            patched[central + 24 : central + 28] = (1024).to_bytes(4, "little")
            break
        central = data.rfind(b"PK\x01\x02", 0, central)
    assert info.file_size > 1_000_000
    with pytest.raises((FileTooComplex, UnreadableFile)):
        load(Path("c.docx"), bytes(patched), limits=Limits(max_expanded_bytes=1_000_000))


def test_characters_per_document_are_bounded() -> None:
    data = bomb_docx(5_000)  # 90,000 characters
    with pytest.raises(FileTooComplex, match="超出单个文档的上限"):
        load(Path("long.docx"), data, limits=Limits(max_chars=50_000))
    assert len(load(Path("long.docx"), data).text) > 80_000


def test_deep_xml_is_refused() -> None:
    rows = "<w:tr><w:tc><w:tbl>" * 60 + "<w:tr><w:tc><w:p/></w:tc></w:tr>" + "</w:tbl></w:tc></w:tr>" * 60
    with pytest.raises(FileTooComplex, match="嵌套超过"):
        load(Path("deep.docx"), _table_docx(rows))


def test_a_doctype_is_refused_so_entities_never_expand() -> None:
    good = zipfile.ZipFile(io.BytesIO(docx_bytes(["x"])))
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "哈哈哈哈哈哈哈哈哈哈">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
        + f"]><w:document {w}><w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in good.infolist():
            z.writestr(item, laughs if item.filename == "word/document.xml" else good.read(item.filename))
    with pytest.raises(UnreadableFile, match="DOCTYPE"):
        load(Path("laughs.docx"), out.getvalue())


def test_time_per_file_is_bounded() -> None:
    with pytest.raises(FileTooComplex, match="处理超过"):
        load(Path("slow.docx"), bomb_docx(50_000), limits=Limits(max_seconds=0.0))
