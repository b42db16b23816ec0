"""/v1/documents: list, read, upload, delete, through FastAPI's TestClient over the real service."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rag.service import DafuService, build_service
from rag.settings import Settings
from tests.factories import LETTERS, api_client, docx_bytes, index_state

LETTER_001 = "001_49815bdeb399fae2"
NEW_LETTER = (
    "温科提复〔2025〕3号\n关于市政协十二届四次会议第12号提案的答复函\n某某委员：\n"
    "您的提案收悉，现答复如下：\n2024年全市新增科技型中小企业2345家。\n"
)


def _client(service: DafuService) -> TestClient:
    return api_client(service)


@pytest.fixture
def client(writable_service: DafuService) -> TestClient:
    return _client(writable_service)


def test_list_documents(service: DafuService) -> None:
    response = _client(service).get("/v1/documents")
    assert response.status_code == 200
    documents = {d["doc_id"]: d for d in response.json()["documents"]}
    assert sorted(documents) == sorted(p.stem for p in LETTERS.glob("*.txt"))
    letter = documents[LETTER_001]
    assert letter["meta"]["doc_number"] == "温科提复〔2024〕126号"
    assert letter["meta"]["proposer"] == "民盟市委会"
    assert letter["chunks"] > 0 and "text" not in letter
    page = documents["004_ab8fdf3d456bcddf"]
    assert len(page["meta"]["articles"]) == 5


def test_get_document(service: DafuService) -> None:
    response = _client(service).get(f"/v1/documents/{LETTER_001}")
    assert response.status_code == 200
    body = response.json()
    assert body["text"] == service.document(LETTER_001).text
    assert body["source"] == f"{LETTER_001}.txt"
    assert body["meta"]["co_handlers"] == ["龙湾区政府", "瓯海区政府", "市教育局"]


def test_unknown_document_is_404(service: DafuService) -> None:
    response = _client(service).get("/v1/documents/no-such-letter")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "没有编号为“no-such-letter”的文档。请用文档列表（dafu docs 或 GET /v1/documents）查看已收录的文档。",
        "error": "DocumentNotFound",
    }


def test_upload_a_text_file(client: TestClient) -> None:
    files = {"file": ("新答复.txt", NEW_LETTER.encode("gb18030"), "text/plain")}
    response = client.post("/v1/documents", files=files)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["doc_id"] == "新答复" and body["status"] == "added"
    assert body["document"]["meta"]["doc_number"] == "温科提复〔2025〕3号"
    assert "新答复" in {d["doc_id"] for d in client.get("/v1/documents").json()["documents"]}
    hits = client.post("/v1/search", json={"query": "新增科技型中小企业"}).json()["hits"]
    assert "2345家" in hits[0]["text"]
    again = client.post("/v1/documents", files=files)
    assert again.status_code == 201 and again.json()["status"] == "unchanged"


def test_upload_an_unsupported_file_is_415(client: TestClient, writable_service: DafuService) -> None:
    before = index_state(writable_service)
    response = client.post(
        "/v1/documents", files={"file": ("tool.exe", b"MZ\x90\x00", "application/octet-stream")}
    )
    assert response.status_code == 415
    assert response.json() == {
        "detail": "不支持的文件类型：tool.exe 的内容是可执行程序，dafu 不能读取这类文件。"
        "请上传 .txt、.md、.docx、.doc、.wps、.pdf、.ofd 或扫描图片（.png/.jpg/.tif）。",
        "error": "UnsupportedFile",
    }
    assert index_state(writable_service) == before


def test_upload_a_corrupt_docx_is_422_and_changes_nothing(
    client: TestClient, writable_service: DafuService
) -> None:
    before = index_state(writable_service)
    response = client.post(
        "/v1/documents", files={"file": ("坏.docx", docx_bytes(["正文。"])[:700], "application/octet-stream")}
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "文件 坏.docx 不是有效的 .docx 文档（可能已损坏或是旧版 .doc）。请用 Word 或 WPS 另存为 .docx 后重试。",
        "error": "UnreadableFile",
    }
    assert index_state(writable_service) == before
    assert len(client.get("/v1/documents").json()["documents"]) == 5


def test_oversized_upload_is_413(indexed_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(indexed_dir, data_dir)
    monkeypatch.setenv("DAFU_MAX_UPLOAD_BYTES", "2048")
    settings = Settings(data_dir=data_dir, letters_dir=LETTERS)
    assert settings.max_upload_bytes == 2048
    client = _client(build_service(settings))
    response = client.post(
        "/v1/documents", files={"file": ("big.txt", "很长的答复。".encode() * 200, "text/plain")}
    )
    assert response.status_code == 413
    assert response.json() == {
        "detail": "文件超过上传上限 2 KB。请拆分文件或联系管理员调整 DAFU_MAX_UPLOAD_BYTES。",
        "error": "FileTooLarge",
    }
    assert len(client.get("/v1/documents").json()["documents"]) == 5
    small = client.post("/v1/documents", files={"file": ("small.txt", NEW_LETTER.encode(), "text/plain")})
    assert small.status_code == 201


def test_delete_then_404(client: TestClient) -> None:
    assert client.delete(f"/v1/documents/{LETTER_001}").status_code == 204
    assert client.get(f"/v1/documents/{LETTER_001}").status_code == 404
    missing = client.delete(f"/v1/documents/{LETTER_001}")
    assert missing.status_code == 404
    assert missing.json() == {
        "detail": f"没有编号为“{LETTER_001}”的文档，无法删除。",
        "error": "DocumentNotFound",
    }
    hits = client.post("/v1/search", json={"query": "2023年全市生命健康产业总营收", "top_k": 10}).json()[
        "hits"
    ]
    assert all(h["doc_id"] != LETTER_001 for h in hits)
    assert client.get("/healthz").json()["documents"] == 4


def test_an_upload_under_an_existing_name_is_409_unless_replacing(
    client: TestClient, writable_service: DafuService
) -> None:
    before = writable_service.document(LETTER_001).text
    one_line = {"file": (f"{LETTER_001}.txt", "一行字。".encode(), "text/plain")}
    refused = client.post("/v1/documents", files=one_line)
    assert refused.status_code == 409
    assert refused.json()["error"] == "DocumentExists" and "replace=true" in refused.json()["detail"]
    assert writable_service.document(LETTER_001).text == before
    # Another format of the same name is the same letter: replacing it must be asked for too.
    docx = {"file": (f"{LETTER_001}.docx", docx_bytes(["一行字。"]), "application/octet-stream")}
    assert client.post("/v1/documents", files=docx).status_code == 409
    replaced = client.post("/v1/documents", files=one_line, params={"replace": "true"})
    assert replaced.status_code == 201 and replaced.json()["status"] == "updated"
    assert writable_service.document(LETTER_001).text == "一行字。"


def test_names_differing_in_symbols_are_three_letters(client: TestClient) -> None:
    ids = set()
    for name in ("报告(1).txt", "报告[1].txt", "报告 1.txt"):
        files = {"file": (name, f"关于{name}的答复函\n2024年全市新增孵化器9家。".encode(), "text/plain")}
        response = client.post("/v1/documents", files=files)
        assert response.status_code == 201 and response.json()["status"] == "added", response.text
        ids.add(response.json()["doc_id"])
    assert len(ids) == 3
