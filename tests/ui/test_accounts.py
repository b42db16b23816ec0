"""Signing in to the UI in a real browser, against a real server with accounts (``accounts_server``):
the login page and its cookie, a reader who sees no trace of a letter labelled 内部 on any page, and
the admin's view of users and the audit trail."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.conftest import AccountsServer
from tests.factories import INTERNAL_ID, INTERNAL_QUESTIONS, traces_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def context(browser, accounts_server: AccountsServer) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A browser context that may reach only the server."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    own = urlsplit(accounts_server.url).netloc
    blocked: list[str] = []

    def guard(route, request):  # type: ignore[no-untyped-def]
        url = urlsplit(request.url)
        if url.scheme in ("data", "blob") or url.netloc == own:
            route.continue_()
        else:
            blocked.append(request.url)
            route.abort()

    context.route("**/*", guard)
    yield context
    context.close()
    assert not blocked, blocked


def _login(context, server: AccountsServer, user: str):  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{server.url}/ui/")
    page.wait_for_selector("form button#login")
    page.fill("#name", user)
    page.fill("#key", server.keys[user])
    page.click("#login")
    page.wait_for_selector("#ask-question textarea")
    page.wait_for_selector("#user-name")
    return page


def _ask(page, question: str, turn: int = 0):  # type: ignore[no-untyped-def]
    page.fill("#ask-question textarea", question)
    page.click("#ask-submit")
    done = f'#ask-answer .dafu-turn[data-turn="{turn}"]'
    return page.wait_for_selector(f"{done} .dafu-answer, {done} .dafu-refusal")


def test_the_login_page_refuses_a_wrong_key_and_sets_a_safe_cookie(context, accounts_server) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.goto(f"{accounts_server.url}/ui/")
    assert urlsplit(page.url).path == "/login"
    page.fill("#name", "reader")
    page.fill("#key", "dafu_wrong_key")
    page.click("#login")
    assert "用户名或密钥不正确" in page.inner_text(".error")
    assert not [c for c in context.cookies() if c["name"] == "dafu_session"]

    page = _login(context, accounts_server, "reader")
    (cookie,) = [c for c in context.cookies() if c["name"] == "dafu_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert not cookie["secure"]  # served over http on loopback; https sets Secure
    assert 0 < cookie["expires"] - time.time() <= 8 * 3600 + 60
    assert page.inner_text("#user-name") == "reader"
    # No script can read it.
    assert "dafu_session" not in page.evaluate("document.cookie")

    page.click("#logout")
    page.wait_for_selector("form button#login")
    assert not [c for c in context.cookies() if c["name"] == "dafu_session"]
    page.goto(f"{accounts_server.url}/ui/")
    assert urlsplit(page.url).path == "/login"


def test_a_reader_sees_no_trace_of_the_internal_letter_on_any_page(context, accounts_server) -> None:  # type: ignore[no-untyped-def]
    page = _login(context, accounts_server, "reader")
    question = INTERNAL_QUESTIONS[0]
    shown = _ask(page, question)
    assert shown.get_attribute("class") and "dafu-refusal" in (shown.get_attribute("class") or "")
    leaks = [t for t in traces_in(page.content()) if t not in question]
    assert not leaks, leaks

    page.get_by_role("tab", name="检索").click()
    page.fill("#search-query textarea", "燃气管道改造专项资金")
    page.click("#search-submit")
    page.wait_for_timeout(3000)
    assert not [t for t in traces_in(page.content()) if t not in "燃气管道改造专项资金"]

    page.get_by_role("tab", name="文档").click()
    page.wait_for_selector("#letters-list table")
    assert not traces_in(page.inner_text("#letters-list"))
    assert not page.is_visible("#letters-upload")  # readers neither upload nor delete
    assert not page.is_visible("#letters-delete")
    assert not page.get_by_role("tab", name="用户与审计").is_visible()


def test_the_insider_sees_the_letter_and_its_label(context, accounts_server) -> None:  # type: ignore[no-untyped-def]
    page = _login(context, accounts_server, "insider")
    shown = _ask(page, INTERNAL_QUESTIONS[0])
    assert "2.75亿元" in shown.inner_text()
    page.get_by_role("tab", name="文档").click()
    page.wait_for_selector(f'#letters-list tr[data-doc="{INTERNAL_ID}"]')
    assert "内部" in page.inner_text(f'#letters-list tr[data-doc="{INTERNAL_ID}"]')


def test_the_admin_lists_users_and_the_audit_trail(context, accounts_server) -> None:  # type: ignore[no-untyped-def]
    question = "界面审计：人才引进有哪些政策？"
    with accounts_server.client("reader") as reader:
        assert reader.post("/v1/ask", json={"question": question}).status_code == 200
    page = _login(context, accounts_server, "admin")
    page.get_by_role("tab", name="用户与审计").click()
    page.wait_for_selector("#admin-users-table")
    users = page.inner_text("#admin-users-table")
    assert all(name in users for name in ("admin", "editor", "insider", "reader"))

    page.fill("#audit-user :is(input, textarea)", "reader")
    page.fill("#audit-text :is(input, textarea)", "界面审计")
    page.click("#audit-search")
    page.wait_for_selector("#admin-audit-table")
    row = page.inner_text("#admin-audit-table")
    assert question in row and "提问" in row and "reader" in row

    with page.expect_download() as download:
        page.click("#admin-audit-csv")
    csv = open(download.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    assert question in csv and csv.startswith("seq,time,user")

    # Adding a user shows the key once; the new user can then sign in with it.
    page.get_by_text("添加用户", exact=True).click()
    page.fill("#admin-name :is(input, textarea)", "newcomer")
    page.click("#admin-add")
    key = page.wait_for_selector("#admin-new-key").inner_text().strip()
    assert key.startswith("dafu_")
    with accounts_server.client() as anonymous:
        assert anonymous.get("/v1/documents", headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_an_editor_uploads_with_a_label_in_the_page(context, accounts_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import LETTERS

    page = _login(context, accounts_server, "editor")
    page.get_by_role("tab", name="文档").click()
    page.wait_for_selector("#letters-upload")
    source = tmp_path / "ui_internal_copy.txt"
    source.write_bytes((LETTERS / "004_ab8fdf3d456bcddf.txt").read_bytes())
    page.set_input_files("#letters-files input[type=file]", str(source))
    page.click("#letters-label :is(input, textarea)")
    page.click("li[role=option]:has-text('内部')")
    page.click("#letters-upload")
    page.wait_for_selector("#letters-status :text('已收录')")
    with accounts_server.client("reader") as reader:
        assert reader.get("/v1/documents/ui_internal_copy").status_code == 404
    with accounts_server.client("insider") as insider:
        assert insider.get("/v1/documents/ui_internal_copy").json()["label"] == "内部"
    with accounts_server.client("editor") as editor:
        assert editor.delete("/v1/documents/ui_internal_copy").status_code == 204
