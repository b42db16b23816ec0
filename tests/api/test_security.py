"""Host and origin checks, for the API and the UI alike: DNS rebinding and cross-site writes are
refused; local pages and programs pass. /healthz shows no path of the server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from rag.errors import Busy
from rag.service import DafuService
from tests.factories import LETTER_001, api_client


@pytest.fixture(scope="module")
def client(service: DafuService) -> Iterator[TestClient]:
    with api_client(service, ui=True) as test_client:
        yield test_client


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.nip.io", "", "0.0.0.0"])
def test_other_host_names_are_refused(client: TestClient, host: str) -> None:
    for method, path in (("GET", "/healthz"), ("GET", "/ui/"), ("POST", "/v1/search")):
        response = client.request(method, path, headers={"host": host}, json={"query": "总营收"})
        assert response.status_code == 400, (method, path, response.text)
        body = response.json()
        assert body["error"] == "InvalidHost" and "DAFU_ALLOWED_HOSTS" in body["detail"]


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "LOCALHOST:1", "[::1]:8000"])
def test_loopback_names_pass(client: TestClient, host: str) -> None:
    assert client.get("/healthz", headers={"host": host}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"origin": "http://127.0.0.1:9999"},  # another local site, another port
        {"sec-fetch-site": "cross-site"},
    ],
)
def test_cross_site_writes_are_refused(writable_service: DafuService, headers: dict[str, str]) -> None:
    with api_client(writable_service, ui=True) as own:
        files = {"file": ("跨站.txt", "温科提复〔2025〕1号\n关于跨站的答复函\n正文。".encode(), "text/plain")}
        upload = own.post("/v1/documents", files=files, headers=headers)
        delete = own.delete(f"/v1/documents/{LETTER_001}", headers=headers)
        gradio = own.post("/ui/gradio_api/queue/join", json={"data": [], "fn_index": 0}, headers=headers)
        for response in (upload, delete, gradio):
            assert response.status_code == 403, response.text
            assert response.json()["error"] == "CrossSiteRequest"
        assert {d.doc_id for d in writable_service.documents()} >= {LETTER_001}
        assert "跨站" not in {d.doc_id for d in writable_service.documents()}
        # Reading is not a write: a cross-site GET is answered (the browser keeps it from the page).
        assert own.get("/healthz", headers=headers).status_code == 200


def test_same_origin_pages_and_programs_write(writable_service: DafuService) -> None:
    with api_client(writable_service) as own:
        same = own.delete(f"/v1/documents/{LETTER_001}", headers={"origin": "http://127.0.0.1"})
        assert same.status_code == 204
        assert own.get("/v1/documents/" + LETTER_001).status_code == 404


def test_healthz_shows_no_server_path(client: TestClient, service: DafuService) -> None:
    body = client.get("/healthz").json()
    assert body["store"] == "embedded"
    text = str(body)
    assert str(service.settings.data_dir) not in text and "/" not in body["store"]
    assert body["queues"]["ask"] == {"running": 0, "waiting": 0}


def test_a_busy_service_is_a_503_with_retry_after(
    client: TestClient, service: DafuService, monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy(*args: object, **kwargs: object) -> None:
        raise Busy("问答请求过多，服务正忙。请 2 秒后重试。", retry_after=2)

    monkeypatch.setattr(service, "ask", busy)
    response = client.post("/v1/ask", json={"question": "总营收是多少？"})
    assert response.status_code == 503 and response.headers["retry-after"] == "2"
    assert response.json() == {"detail": "问答请求过多，服务正忙。请 2 秒后重试。", "error": "Busy"}


def test_healthz_is_not_ok_while_search_fails(
    writable_service: DafuService, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("'NoneType' object is not subscriptable")

    with api_client(writable_service) as own:
        assert own.get("/healthz").json()["status"] == "ok"
        monkeypatch.setattr(writable_service.store, "query", broken)
        response = own.get("/healthz")
        assert response.status_code == 503
        assert response.json()["status"] == "error" and "TypeError" in response.json()["problem"]
