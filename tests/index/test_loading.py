"""Reading .txt/.md/.docx/.pdf, encoding detection and clear errors for what cannot be read."""

from __future__ import annotations

import codecs
import io
import zipfile
from pathlib import Path

import pytest

from index.loading import decode_text, iter_files, read_text
from rag.errors import UnreadableFile, UnsupportedFile
from rag.settings import PROJECT_ROOT
from tests.factories import cjk_font, docx_bytes, pdf_bytes

LETTERS = PROJECT_ROOT / "data" / "letters"
SAMPLE = "温科提复〔2024〕126号\n关于市政协十二届三次会议395号提案的答复函\n民盟市委会：\n2023年，全市生命健康产业实现总营收1588亿元；增速11.3%。\n"


@pytest.mark.parametrize("suffix", [".txt", ".md", ".TXT"])
def test_plain_text_files_are_read(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"letter{suffix}"
    path.write_text(SAMPLE, encoding="utf-8")
    assert read_text(path) == SAMPLE


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("utf-8", SAMPLE.encode("utf-8")),
        ("utf-8 with BOM", codecs.BOM_UTF8 + SAMPLE.encode("utf-8")),
        ("gb18030", SAMPLE.encode("gb18030")),
        ("gbk", SAMPLE.encode("gbk")),
        ("utf-16-le with BOM", codecs.BOM_UTF16_LE + SAMPLE.encode("utf-16-le")),
        ("utf-16-be with BOM", codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be")),
    ],
)
def test_encodings_are_detected(label: str, data: bytes) -> None:
    assert decode_text(data, name="letter.txt").lstrip("\ufeff") == SAMPLE, label


def test_utf8_bom_is_not_part_of_the_text() -> None:
    assert not decode_text(codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), name="a.txt").startswith("\ufeff")


@pytest.mark.parametrize("path", sorted(LETTERS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_sample_letters_decode_the_same_from_gb18030(path: Path) -> None:
    original = path.read_bytes().decode("utf-8")
    assert decode_text(original.encode("gb18030"), name=path.name) == original


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\x80\xfe\x81 not text at all \xff\xff" * 20,  # invalid in UTF-8 and in GB18030
        bytes(range(1, 32)) * 40,  # control characters only
        bytes((i * 37 + 11) % 256 for i in range(3000)),  # binary noise
    ],
    ids=["invalid-bytes", "control-chars", "binary"],
)
def test_undecodable_bytes_name_the_file(data: bytes) -> None:
    with pytest.raises(UnreadableFile) as err:
        decode_text(data, name="坏文件.txt")
    assert "坏文件.txt" in str(err.value)
    assert "UTF-8" in str(err.value)  # says what to do: save as UTF-8


def test_garbled_text_after_a_bom_is_rejected() -> None:
    with pytest.raises(UnreadableFile, match="乱码"):
        decode_text(codecs.BOM_UTF16_LE + bytes(range(1, 32)) * 40, name="x.txt")


@pytest.mark.parametrize("name", ["setup.exe", "scan.png", "README"])
def test_unsupported_files_name_the_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"MZ\x90\x00binary")
    with pytest.raises(UnsupportedFile) as err:
        read_text(path)
    assert name in str(err.value)
    assert ".docx" in str(err.value)


def test_empty_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"  \n\n")
    with pytest.raises(UnreadableFile, match=r"empty\.txt"):
        read_text(path)


def test_docx_paragraphs_and_tables_are_read_in_place() -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("温科提复〔2024〕126号")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "规上企业"
    table.rows[0].cells[1].text = "486家"
    document.add_paragraph("2023年，全市生命健康产业实现总营收1588亿元。")
    buffer = io.BytesIO()
    document.save(buffer)
    text = read_text(Path("letter.docx"), buffer.getvalue())
    assert text.split("\n") == [
        "温科提复〔2024〕126号",
        "规上企业，486家。",
        "2023年，全市生命健康产业实现总营收1588亿元。",
    ]


def _docx_with_broken_xml() -> bytes:
    good = zipfile.ZipFile(io.BytesIO(docx_bytes(["正文。"])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as broken:
        for item in good.infolist():
            data = good.read(item.filename)
            broken.writestr(item, data[:200] if item.filename == "word/document.xml" else data)
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"this is not a word file",
        docx_bytes(["正文。"])[:900],  # truncated zip
        _docx_with_broken_xml(),
    ],
    ids=["not-a-zip", "truncated", "broken-xml"],
)
def test_corrupt_docx_is_a_clear_unreadable_file(data: bytes) -> None:
    with pytest.raises(UnreadableFile) as err:
        read_text(Path("损坏.docx"), data)
    assert "损坏.docx" in str(err.value)
    assert "另存为 .docx" in str(err.value)


def test_pdf_text_layer_is_read() -> None:
    data = pdf_bytes(["Reply letter of the Wenzhou Science and Technology Bureau.", "Revenue: 1588."])
    text = read_text(Path("letter.pdf"), data)
    assert "Reply letter of the Wenzhou Science and Technology Bureau." in text
    assert "Revenue: 1588." in text


def test_pdf_chinese_text_layer_is_read() -> None:
    font = cjk_font()
    if font is None:
        pytest.skip("no CJK font on this machine to write a Chinese PDF with")
    data = pdf_bytes(
        ["温科提复〔2024〕126号", "2023年，全市生命健康产业实现总营收1588亿元。"], font_path=font
    )
    text = read_text(Path("letter.pdf"), data)
    assert "2023年，全市生命健康产业实现总营收1588亿元。" in text
    assert "126号" in text


def test_blank_pdf_says_there_is_no_text_layer_and_ocr_found_none() -> None:
    with pytest.raises(UnreadableFile) as err:
        read_text(Path("扫描件.pdf"), pdf_bytes([]))
    assert "扫描件.pdf" in str(err.value)
    assert "没有文字层" in str(err.value)


def test_corrupt_pdf_is_unreadable() -> None:
    with pytest.raises(UnreadableFile, match=r"坏\.pdf"):
        read_text(Path("坏.pdf"), pdf_bytes(["Some text."])[:300])


def test_folders_expand_to_supported_files_only(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("a.txt", "sub/b.docx", "c.xlsx", ".hidden.txt", "d.pdf", "e.md", "f.ofd", "g.wps"):
        (tmp_path / name).write_bytes(b"x")
    single = tmp_path / "c.xlsx"
    names = [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path, single])]
    # A folder keeps what dafu reads; a file named explicitly is kept so that it is reported.
    assert names == ["a.txt", "d.pdf", "e.md", "f.ofd", "g.wps", "sub/b.docx", "c.xlsx"]


@pytest.mark.parametrize("name", ["damaged.docx", "damaged.pdf"])
def test_randomly_damaged_files_are_always_unreadable_not_a_crash(name: str) -> None:
    """Damage reaches zlib, lxml or pypdf internals; each must come out as UnreadableFile."""
    import random

    rng = random.Random(7)
    good = docx_bytes(["温科提复〔2024〕126号", "正文第一句。"] * 20) if name.endswith("docx") else None
    good = good or pdf_bytes(["Reply letter.", "Revenue 1588."])
    for _ in range(150):
        data = bytearray(good)
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(len(data))]
        try:
            read_text(Path(name), bytes(data))
        except UnreadableFile as exc:
            assert name in str(exc)


def test_encrypted_pdf_asks_for_the_password_to_be_removed() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(pdf_bytes(["Secret letter."]))))
    writer.encrypt("secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(UnreadableFile, match="已加密"):
        read_text(Path("加密.pdf"), buffer.getvalue())
