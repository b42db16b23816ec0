"""Accounts over HTTP, against a real ``dafu serve`` process with users (``accounts_server``): keys,
roles, a letter labelled 内部 that leaves no trace for a reader outside the group in any endpoint,
the audit trail, the rate limit, and the refusal to serve beyond loopback without an admin."""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.conftest import AccountsServer, run_cli
from tests.factories import INTERNAL_ID, INTERNAL_QUESTIONS, LETTERS, serve_env, traces_in

pytestmark = pytest.mark.slow

PROPOSAL = (
    "关于加快老旧燃气管道改造的提案\n提案人：王明委员\n"
    "城区地下管网老化，部分燃气管道存在安全隐患，改造资金不足，监测手段落后。\n为此，建议：\n"
    "一、加大老旧燃气管道改造资金投入，明确改造计划。\n二、建立地下管网在线监测平台，对高风险管段实时监测。\n"
)


def _leaks(question: str, body: str) -> list[str]:
    return [t for t in traces_in(body) if t not in question]


def test_without_a_key_nothing_is_served_but_health(accounts_server: AccountsServer) -> None:
    with accounts_server.client() as anonymous:
        assert anonymous.get("/healthz").status_code == 200
        for method, path, body in (
            ("GET", "/v1/documents", None), ("POST", "/v1/ask", {"question": "供水"}),
            ("POST", "/v1/search", {"query": "供水"}), ("GET", "/v1/models", None),
            ("POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": "供水"}]}),
        ):  # fmt: skip
            response = anonymous.request(method, path, json=body)
            assert response.status_code == 401, (path, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
            assert "Authorization: Bearer" in response.text
        wrong = anonymous.get("/v1/documents", headers={"Authorization": "Bearer dafu_abc_def"})
        assert wrong.status_code == 401 and "密钥无效" in wrong.json()["detail"]


def test_the_insider_gets_the_internal_answer(accounts_server: AccountsServer) -> None:
    with accounts_server.client("insider") as insider:
        body = insider.post("/v1/ask", json={"question": INTERNAL_QUESTIONS[0]}).json()
    assert body["found"] and "2.75亿元" in body["answer"]
    assert {c["doc_id"] for c in body["citations"]} == {INTERNAL_ID}


def test_a_reader_outside_the_group_sees_no_trace_in_any_endpoint(accounts_server: AccountsServer) -> None:
    with accounts_server.client("reader") as reader:
        for question in INTERNAL_QUESTIONS:
            responses = {
                "ask": reader.post("/v1/ask", json={"question": question}),
                "ask-stream": reader.post("/v1/ask", json={"question": question, "stream": True}),
                "search": reader.post("/v1/search", json={"query": question, "top_k": 20}),
                "chat": reader.post("/v1/chat", json={"question": question}),
                "chat-stream": reader.post("/v1/chat", json={"question": question, "stream": True}),
            }
            for name, response in responses.items():
                assert response.status_code == 200, (name, response.text)
                assert not _leaks(question, response.text), (name, question, _leaks(question, response.text))
            assert responses["ask"].json()["found"] is False or INTERNAL_QUESTIONS[0] != question
            conversation = responses["chat"].json()["conversation_id"]
            history = reader.get(f"/v1/conversations/{conversation}")
            assert history.status_code == 200 and not _leaks(question, history.text)
        documents = reader.get("/v1/documents")
        assert documents.status_code == 200 and not traces_in(documents.text)
        hidden, missing = reader.get(f"/v1/documents/{INTERNAL_ID}"), reader.get("/v1/documents/nope_nope")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["detail"].replace(INTERNAL_ID, "X") == missing.json()["detail"].replace(
            "nope_nope", "X"
        )
        draft = reader.post("/v1/draft", json={"proposal": PROPOSAL})
        assert draft.status_code == 200 and not _leaks(PROPOSAL, draft.text)
        docx = reader.post("/v1/draft", json={"proposal": PROPOSAL, "format": "docx"})
        assert docx.status_code == 200
        with zipfile.ZipFile(io.BytesIO(docx.content)) as archive:
            xml = "".join(archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".xml"))
        assert not _leaks(PROPOSAL, xml)


def test_the_openai_endpoint_shows_no_trace(accounts_server: AccountsServer) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{accounts_server.url}/v1", api_key=accounts_server.keys["reader"],
                    http_client=httpx.Client(trust_env=False, timeout=180))  # fmt: skip
    question = INTERNAL_QUESTIONS[1]
    completion = client.chat.completions.create(
        model="dafu", messages=[{"role": "user", "content": question}]
    )
    assert not _leaks(question, completion.model_dump_json())
    chunks = client.chat.completions.create(
        model="dafu", messages=[{"role": "user", "content": question}], stream=True
    )
    streamed = "".join(json.dumps(c.model_dump(), ensure_ascii=False) for c in chunks)
    assert streamed and not _leaks(question, streamed)
    insider = OpenAI(base_url=f"{accounts_server.url}/v1", api_key=accounts_server.keys["insider"],
                     http_client=httpx.Client(trust_env=False, timeout=180))  # fmt: skip
    answer = insider.chat.completions.create(model="dafu", messages=[{"role": "user", "content": question}])
    assert "186公里" in (answer.choices[0].message.content or "")


def test_roles_on_writes(accounts_server: AccountsServer) -> None:
    letter = (LETTERS / "002_a198ba8cfc671655.txt").read_bytes()
    with accounts_server.client("reader") as reader:
        refused = reader.post("/v1/documents", files={"file": ("copy.txt", letter, "text/plain")})
        assert refused.status_code == 403
        assert refused.json() == {
            "detail": "您的角色（读者）不能上传文档：需要编辑或以上权限。如需此权限，请联系管理员。",
            "error": "Forbidden",
        }
        assert reader.delete("/v1/documents/002_a198ba8cfc671655").status_code == 403
        assert reader.get("/v1/users").status_code == 403
    with accounts_server.client("editor") as editor:
        added = editor.post("/v1/documents", files={"file": ("editor_copy.txt", letter, "text/plain")})
        assert added.status_code == 201 and added.json()["document"]["label"] == "公开"
        relabelled = editor.put("/v1/documents/editor_copy/label", json={"label": "内部"})
        assert relabelled.status_code == 200 and relabelled.json()["label"] == "内部"
        assert editor.put("/v1/documents/editor_copy/label", json={"label": "财务科"}).status_code == 403
        assert editor.delete("/v1/documents/editor_copy").status_code == 204
        assert editor.get("/v1/documents/editor_copy").status_code == 404


def test_a_disabled_user_s_key_is_401(accounts_server: AccountsServer) -> None:
    with accounts_server.client("leaver") as leaver:
        assert leaver.get("/v1/documents").status_code == 200
    with accounts_server.client("admin") as admin:
        changed = admin.patch("/v1/users/leaver", json={"active": False})
        assert changed.status_code == 200 and changed.json()["active"] is False
        assert admin.patch("/v1/users/admin", json={"active": False}).status_code == 422
    with accounts_server.client("leaver") as leaver:
        refused = leaver.get("/v1/documents")
        assert refused.status_code == 401 and "停用" in refused.json()["detail"]


def test_the_rate_limit_answers_429_with_retry_after(accounts_server: AccountsServer) -> None:
    with accounts_server.client("burst") as burst:
        codes = [burst.get("/v1/models").status_code for _ in range(110)]
        assert codes[:100] == [200] * 100
        refused = burst.get("/v1/models")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert "请求过于频繁" in refused.json()["error"]["message"]
    with accounts_server.client("reader") as reader:  # other keys are not slowed down
        assert reader.get("/v1/models").status_code == 200


def test_every_write_and_ask_is_in_the_audit_trail(accounts_server: AccountsServer) -> None:
    with accounts_server.client("reader") as reader:
        reader.post("/v1/ask", json={"question": "审计测试：供水价格如何调整？"})
    with accounts_server.client("admin") as admin:
        asks = admin.get("/v1/audit", params={"user": "reader", "action": "ask", "text": "审计测试"}).json()
        entry = asks["entries"][0]
        assert entry["detail"] == "审计测试：供水价格如何调整？" and entry["via"] == "api" and entry["at"] > 0
        assert entry["key_id"] and entry["key_id"] in accounts_server.keys["reader"]
        writes = admin.get("/v1/audit", params={"action": "upload"}).json()["entries"]
        assert any(
            e["user"] == "editor" and e["target"] == INTERNAL_ID and e["outcome"] == "ok" for e in writes
        )
        assert any(e["user"] == "reader" and e["outcome"] == "Forbidden" for e in writes)
        failed = admin.get("/v1/audit", params={"action": "auth_failed"}).json()["entries"]
        assert failed and failed[0]["user"] == "（未登录）"
        csv = admin.get("/v1/audit", params={"format": "csv", "user": "reader"})
        assert csv.headers["content-type"].startswith("text/csv")
        assert "审计测试：供水价格如何调整？" in csv.content.decode("utf-8-sig")


def test_headers_cors_and_paths(accounts_server: AccountsServer) -> None:
    with accounts_server.client("reader") as reader:
        response = reader.get("/v1/documents")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        assert str(accounts_server.data_dir) not in response.text
        preflight = reader.options(
            "/v1/ask", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        )
        assert "access-control-allow-origin" not in preflight.headers
    with accounts_server.client() as anonymous:
        login = anonymous.get("/login")
        assert login.status_code == 200 and "content-security-policy" in login.headers
        assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
        assert anonymous.get("/ui/", follow_redirects=False).headers["location"] == "/login"


def test_serving_beyond_loopback_without_an_admin_is_refused(tmp_path: Path) -> None:
    env = serve_env(tmp_path / "data")
    result = run_cli("serve", "--host", "0.0.0.0", "--port", "9", "--no-ingest-default", env=env)
    assert result.returncode != 0
    assert "dafu users add <用户名> --role admin" in result.stderr
    assert "Refusing to listen on 0.0.0.0" in result.stderr
    # A reader is not an admin: still refused.
    assert run_cli("users", "add", "someone", "--role", "reader", env=env).returncode == 0
    again = run_cli("serve", "--host", "0.0.0.0", "--port", "9", "--no-ingest-default", env=env)
    assert again.returncode != 0 and "还没有管理员账号" in again.stderr
    listed = run_cli("users", "list", env=env)
    assert "someone" in listed.stdout and sys.executable  # the CLI lists without loading any model


def test_the_commitments_ledger_shows_a_reader_no_hidden_letter(accounts_server: AccountsServer) -> None:
    with accounts_server.client("insider") as insider:
        mine = insider.get("/v1/commitments").json()["commitments"]
    assert INTERNAL_ID in {e["commitment"]["doc_id"] for e in mine}
    with accounts_server.client("reader") as reader:
        everything = reader.get("/v1/commitments")
        assert everything.status_code == 200 and everything.json()["commitments"]
        assert not traces_in(everything.text)
        named = reader.get("/v1/commitments", params={"doc_id": INTERNAL_ID})
        assert named.status_code == 200 and named.json() == {"commitments": [], "changed_figures": []}
        asked = reader.post("/v1/ask", json={"question": "管网运行监测平台的承诺落实了吗？"})
        assert asked.status_code == 200 and not _leaks("管网运行监测平台的承诺落实了吗？", asked.text)
