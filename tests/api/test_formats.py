"""Every format through the real service and HTTP API: a scanned PDF answers with OCR-marked
citations; the same letter as .doc, .wps, .ofd and .docx with a table indexes to the same metadata and
answers the same questions as its .txt."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from eval.scans import render_pages, scan_pdf
from rag.service import DafuService, build_service
from tests.conftest import make_settings
from tests.factories import LETTER_001_TEXT, api_client, converted, letter_docx, ofd_bytes

REVENUE = "2023年全市生命健康产业总营收是多少？"
QUESTIONS = [
    REVENUE,
    "中国眼谷引进注册企业多少家？",
    "395号提案是谁提的？",
    "2024年生命健康产业总营收目标是多少？",
]
FIGURES = [["指标", "2023年"], ["全市生命健康产业总营收", "1588亿元"], ["规上制造业产值", "531.7亿元"]]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, service: DafuService) -> TestClient:
    """An empty index (so every answer comes from the files uploaded here), the session's model."""
    fresh = build_service(
        make_settings(tmp_path_factory.mktemp("formats") / "data"), embedder=service.embedder
    )
    return api_client(fresh)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    tmp = tmp_path_factory.mktemp("files")
    with_table = letter_docx(LETTER_001_TEXT, table=FIGURES, after="2023年")
    doc = converted(with_table, ".docx", "doc", tmp)
    return {
        "txt.txt": LETTER_001_TEXT.encode(),
        "doc.doc": doc,
        "wps.wps": doc,  # WPS 文字 writes .wps in the Word 97 binary format
        "ofd.ofd": ofd_bytes(LETTER_001_TEXT, title="关于市政协十二届三次会议395号提案的答复函"),
        "table.docx": with_table,
        "scan.pdf": scan_pdf(render_pages(LETTER_001_TEXT, seed=5)),
    }


@pytest.fixture(scope="module")
def uploaded(client: TestClient, files: dict[str, bytes]) -> dict[str, str]:
    ids = {}
    for name, data in files.items():
        response = client.post("/v1/documents", files={"file": (name, data)})
        assert response.status_code in (200, 201), response.text
        ids[name] = response.json()["doc_id"]
    return ids


def _ask(client: TestClient, question: str, doc_id: str) -> dict:
    response = client.post("/v1/ask", json={"question": question, "filters": {"doc_id": doc_id}})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_scanned_pdf_answers_with_citations_marked_as_ocr(
    client: TestClient, uploaded: dict[str, str]
) -> None:
    answer = _ask(client, REVENUE, uploaded["scan.pdf"])
    assert answer["found"] and "1588亿元" in answer["answer"]
    assert answer["citations"] and all(c["ocr"] for c in answer["citations"])
    document = client.get(f"/v1/documents/{uploaded['scan.pdf']}").json()
    for citation in answer["citations"]:
        assert document["text"][citation["start"] : citation["end"]] == citation["quote"]
    typed = _ask(client, REVENUE, uploaded["txt.txt"])
    assert not any(c["ocr"] for c in typed["citations"])


def test_the_scan_reads_to_the_letter_metadata(client: TestClient, uploaded: dict[str, str]) -> None:
    """Up to spaces inside a line (the title's "建设 助力"), which OCR does not keep."""
    documents = {d["doc_id"]: d["meta"] for d in client.get("/v1/documents").json()["documents"]}

    def unspaced(meta: dict) -> dict:
        return {k: "".join(v.split()) if isinstance(v, str) else v for k, v in meta.items()}

    assert unspaced(documents[uploaded["scan.pdf"]]) == unspaced(documents[uploaded["txt.txt"]])


@pytest.mark.parametrize("name", ["doc.doc", "wps.wps", "ofd.ofd", "table.docx"])
def test_every_format_indexes_to_the_same_metadata(
    client: TestClient, uploaded: dict[str, str], name: str
) -> None:
    documents = {d["doc_id"]: d["meta"] for d in client.get("/v1/documents").json()["documents"]}
    assert documents[uploaded[name]] == documents[uploaded["txt.txt"]]
    assert documents[uploaded[name]]["doc_number"] == "温科提复〔2024〕126号"


@pytest.mark.parametrize("name", ["doc.doc", "wps.wps", "ofd.ofd", "table.docx", "scan.pdf"])
@pytest.mark.parametrize("question", QUESTIONS)
def test_every_format_answers_the_same_questions(
    client: TestClient, uploaded: dict[str, str], name: str, question: str
) -> None:
    expected = _ask(client, question, uploaded["txt.txt"])
    got = _ask(client, question, uploaded[name])
    assert got["found"] == expected["found"]
    assert got["answer"] == expected["answer"] or _same_figures(got["answer"], expected["answer"]), name


def _same_figures(a: str, b: str) -> bool:
    """The table adds rows that restate the letter's figures: an answer may quote the row instead."""
    import re

    return set(re.findall(r"\d+(?:\.\d+)?", a)) >= set(re.findall(r"\d+(?:\.\d+)?", b)) - {"2023"}


def test_a_table_row_is_one_passage_never_cut(client: TestClient, uploaded: dict[str, str]) -> None:
    text = client.get(f"/v1/documents/{uploaded['table.docx']}").json()["text"]
    row = "指标：全市生命健康产业总营收，2023年：1588亿元。"
    start = text.index(row)
    query = {
        "query": "全市生命健康产业总营收 1588亿元",
        "top_k": 10,
        "filters": {"doc_id": uploaded["table.docx"]},
    }
    hits = client.post("/v1/search", json=query).json()["hits"]
    table_hits = [h for h in hits if h["doc_id"] == uploaded["table.docx"] and h["start"] <= start < h["end"]]
    assert table_hits and all(h["end"] >= start + len(row) for h in table_hits)


def test_a_lying_extension_is_read_by_content_or_named(client: TestClient, files: dict[str, bytes]) -> None:
    response = client.post("/v1/documents", files={"file": ("renamed.docx", files["doc.doc"])})
    assert response.status_code in (200, 201), response.text
    import io
    import zipfile

    xlsx = io.BytesIO()
    with zipfile.ZipFile(xlsx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    response = client.post("/v1/documents", files={"file": ("letter.docx", xlsx.getvalue())})
    assert response.status_code == 415
    assert "Excel" in response.json()["detail"] and "letter.docx" in response.json()["detail"]


def test_a_docx_bomb_is_a_413(client: TestClient) -> None:
    from tests.index.formats.test_docx import bomb_docx

    response = client.post("/v1/documents", files={"file": ("bomb.docx", bomb_docx(1_000_000))})
    assert response.status_code == 413
    assert "解压后超过" in response.json()["detail"]
