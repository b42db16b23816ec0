"""The Gradio event API behind /ui, called directly with hostile payloads over real HTTP: no handler
reads a server path, uploads come only from Gradio's own upload route, and a delete takes the same
steps and checks as in the page."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from rag.service import DafuService
from tests.factories import LETTER_001, serving
from ui.uploads import NOT_UPLOADED, upload_root

SECRET = "温科提复〔2025〕77号\n关于机密事项的答复函\n某某委员：\n机密内容：全市备用金余额为4321万元。\n"


class Page:
    """One browser session of the UI, speaking Gradio's queue protocol."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.session = uuid.uuid4().hex[:10]
        config = client.get("/ui/config").json()
        self.fns = {d["api_name"]: d for d in config["dependencies"]}

    def open(self) -> None:
        """What a browser does first: the page's load event (it sets, e.g., the labels this user may give)."""
        self.call("on_load", [""])

    def call(self, api_name: str, data: list[Any], event_data: Any = None) -> list[Any]:
        output = self.send(api_name, data, event_data)
        assert "data" in output, output
        return output["data"]  # type: ignore[no-any-return]

    def send(self, api_name: str, data: list[Any], event_data: Any = None) -> dict[str, Any]:
        """The event's output: ``{"data": [...]}``, or ``{"error": ...}`` when Gradio refused it."""
        fn = self.fns[api_name]
        joined = self.client.post(
            "/ui/gradio_api/queue/join",
            json={"data": data, "event_data": event_data, "fn_index": fn["id"],
                  "trigger_id": fn["targets"][0][0], "session_hash": self.session},
        )  # fmt: skip
        assert joined.status_code == 200, joined.text
        with self.client.stream(
            "GET", "/ui/gradio_api/queue/data", params={"session_hash": self.session}
        ) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message["output"]  # type: ignore[no-any-return]
        raise AssertionError("no result")


def file_data(path: str, name: str = "来函.txt") -> dict[str, Any]:
    return {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}


@pytest.fixture
def page(writable_service: DafuService) -> Iterator[Page]:
    app = create_app(writable_service.settings, service=writable_service)
    with serving(app) as base, httpx.Client(base_url=base, timeout=120, trust_env=False) as client:
        page = Page(client)
        page.open()
        yield page


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "机密.txt"
    path.write_text(SECRET, encoding="utf-8")
    return path


def test_upload_handler_reads_no_server_path(page: Page, writable_service: DafuService, secret: Path) -> None:
    before = {d.doc_id for d in writable_service.documents()}
    link = upload_root() / f"dafu-test-{uuid.uuid4().hex[:8]}" / "链接.txt"
    link.parent.mkdir(parents=True)
    os.symlink(secret, link)
    try:
        for path in (
            str(secret),
            "/etc/passwd",
            "data/letters/000_1e27e530b0266b6c.txt",
            "../../etc/hostname",
            str(link),
        ):
            output = page.send("do_upload", [[file_data(path)], False, "公开", ""])
            shown = json.dumps(output, ensure_ascii=False)
            assert "4321" not in shown and "root:" not in shown
            assert NOT_UPLOADED in shown, (path, output)
    finally:
        link.unlink()
        link.parent.rmdir()
    assert {d.doc_id for d in writable_service.documents()} == before


def test_draft_file_handler_reads_no_server_path(page: Page, secret: Path) -> None:
    text, notice = page.call("load_file", [file_data(str(secret))])
    assert "4321" not in json.dumps(text, ensure_ascii=False)
    assert NOT_UPLOADED in notice
    refused = page.send("load_file", [file_data("/etc/passwd")])
    assert "root:" not in json.dumps(refused) and NOT_UPLOADED in json.dumps(refused, ensure_ascii=False)


def test_a_file_uploaded_through_gradio_is_indexed(page: Page, writable_service: DafuService) -> None:
    uploaded = page.client.post("/ui/gradio_api/upload", files=[("files", ("新来函.txt", SECRET.encode()))])
    (path,) = uploaded.json()
    assert not path.startswith("/")
    status, _listing, _files = page.call("do_upload", [[file_data(path, "新来函.txt")], False, "公开", ""])
    assert "已收录" in status, status
    assert "新来函" in {d.doc_id for d in writable_service.documents()}
    # The same name again, other content: refused unless "替换同名文档" is ticked.
    changed = page.client.post(
        "/ui/gradio_api/upload", files=[("files", ("新来函.txt", SECRET.replace("4321", "5678").encode()))]
    ).json()[0]
    status, _listing, _files = page.call("do_upload", [[file_data(changed, "新来函.txt")], False, "公开", ""])
    assert "替换同名文档" in status and "5678" not in writable_service.document("新来函").text
    status, _listing, _files = page.call("do_upload", [[file_data(changed, "新来函.txt")], True, "公开", ""])
    assert "已更新" in status and "5678" in writable_service.document("新来函").text


def test_delete_needs_the_pages_confirmation(page: Page, writable_service: DafuService) -> None:
    # Selecting a letter and calling the confirm button's function directly deletes nothing.
    page.call("pick", [], event_data={"doc": LETTER_001})
    page.call("remove", [None, None, None])
    assert LETTER_001 in {d.doc_id for d in writable_service.documents()}
    # The page's own steps: select, "删除所选", "确认删除".
    page.call("ask_confirm", [None, None])
    _selected, _chosen, note, *_ = page.call("remove", [None, None, None])
    assert "已删除" in note
    assert LETTER_001 not in {d.doc_id for d in writable_service.documents()}
    # An id that is not a letter: the service's own check answers.
    page.call("pick", [], event_data={"doc": "../../etc/passwd"})
    page.call("ask_confirm", [None, None])
    assert len(writable_service.documents()) == 4
