"""Request bodies are bounded while they stream in, on a real HTTP server: a 200 MB chunked upload is
refused once it passes the limit (not after it was written to disk), a declared oversize at once, and
the UI's upload route answers relative paths only."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from api.app import create_app
from rag.service import DafuService
from tests.factories import serving

LIMIT = 256 * 1024
BATCH = 512 * 1024
TOTAL = 200 * 1024 * 1024


@pytest.fixture(scope="module")
def base(service: DafuService) -> Iterator[str]:
    settings = service.settings.model_copy(
        update={"max_upload_bytes": LIMIT, "max_upload_batch_bytes": BATCH}
    )
    with serving(create_app(settings, service=service, ui=True)) as url:
        yield url


def _chunked_upload(base: str, path: str, total: int) -> tuple[str, int]:
    """Stream ``total`` bytes of a multipart upload in chunks; returns (status line, bytes sent before
    the server answered or closed)."""
    url = urlsplit(base)
    sock = socket.create_connection((url.hostname, url.port))
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\nTransfer-Encoding: chunked\r\n"
        "Content-Type: multipart/form-data; boundary=BOUNDARY\r\n\r\n"
    )
    sock.sendall(head.encode())
    part = b'--BOUNDARY\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n'
    sent = 0
    chunk = b"x" * 65536
    try:
        for data in [part] + [chunk] * (total // len(chunk)):
            sock.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            sent += len(data)
            if select.select([sock], [], [], 0)[0]:
                break
        status = sock.recv(65536).split(b"\r\n", 1)[0].decode()
    except (BrokenPipeError, ConnectionResetError):
        status = sock.recv(65536).split(b"\r\n", 1)[0].decode() if select.select([sock], [], [], 2)[0] else ""
    finally:
        sock.close()
    return status, sent


def test_a_200_mb_chunked_upload_is_refused_as_it_streams(base: str) -> None:
    status, sent = _chunked_upload(base, "/v1/documents", TOTAL)
    assert status.endswith("413 Request Entity Too Large") or " 413 " in status, status
    assert sent < 16 * 1024 * 1024, f"the server read {sent} bytes before refusing"


def test_the_ui_upload_route_is_bounded_too(base: str) -> None:
    status, sent = _chunked_upload(base, "/ui/gradio_api/upload", TOTAL)
    assert " 413 " in status + " ", status
    assert sent < 16 * 1024 * 1024


def test_a_declared_oversize_is_refused_before_the_body(base: str) -> None:
    url = urlsplit(base)
    with socket.create_connection((url.hostname, url.port)) as sock:
        sock.sendall(
            f"POST /v1/documents HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Length: {TOTAL}\r\n"
            "Content-Type: multipart/form-data; boundary=B\r\n\r\n".encode()
        )
        assert select.select([sock], [], [], 10)[0], "no answer without the body"
        answer = sock.recv(65536).decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413") and "DAFU_MAX_UPLOAD_BYTES" in answer


def test_a_large_json_body_is_refused(base: str) -> None:
    response = httpx.post(f"{base}/v1/ask", json={"question": "问" * 2_000_000}, trust_env=False)
    assert response.status_code == 413 and "请求体过大" in response.json()["detail"]


def test_ui_uploads_are_bounded_and_answer_relative_paths(base: str) -> None:
    with httpx.Client(base_url=base, trust_env=False, timeout=60) as client:
        small = client.post(
            "/ui/gradio_api/upload", files=[("files", ("小.txt", "温科提复〔2025〕1号\n正文。".encode()))]
        )
        assert small.status_code == 200, small.text
        paths = small.json()
        assert len(paths) == 1 and not paths[0].startswith("/") and "gradio" not in paths[0], paths
        assert paths[0].endswith("小.txt")
        # The page's link to the file it uploaded still works, through the relative path.
        assert client.get(f"/ui/gradio_api/file={paths[0]}").content.decode().startswith("温科提复")
        too_big = client.post("/ui/gradio_api/upload", files=[("files", ("大.txt", b"x" * (LIMIT + 1)))])
        assert too_big.status_code == 413
        batch = client.post(
            "/ui/gradio_api/upload", files=[("files", (f"{n}.txt", b"x" * (LIMIT - 10))) for n in range(3)]
        )
        assert batch.status_code == 413
