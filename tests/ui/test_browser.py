"""The UI in a real browser against a real ``dafu serve`` process.

Expectations come from the same server's HTTP API for the same question, never hard-coded answers:
the UI must show what the service returns.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.settings import PROJECT_ROOT
from rag.vocabulary import NOT_FOUND

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EYE_VALLEY = "中国眼谷引进注册企业多少家？"
OUT_OF_SCOPE = "温州市2025年的地区生产总值是多少？"
SAMPLE = PROJECT_ROOT / "data" / "letters" / "003_082073f0f45fee86.txt"


def _squash(text: str) -> str:
    return "".join(text.split())


def _ask(page, question: str, turn: int = 0):  # type: ignore[no-untyped-def]
    """Ask in the conversation and wait for turn ``turn`` (0-based) to be answered."""
    page.fill("#ask-question textarea", question)
    page.click("#ask-submit")
    done = f'#ask-answer .dafu-turn[data-turn="{turn}"]'
    return page.wait_for_selector(f"{done} .dafu-answer, {done} .dafu-refusal")


def test_a_three_turn_conversation_with_a_citation_of_the_second_turn(page, ui_server) -> None:  # type: ignore[no-untyped-def]
    questions = ["121号答复函抄送了哪些单位？", "那115号呢？", "这封答复函的联系人是谁？"]
    with ui_server.api() as api:
        expected, conversation = [], None
        for q in questions:
            turn = api.post("/v1/chat", json={"question": q, "conversation_id": conversation}).json()
            conversation = turn["conversation_id"]
            expected.append(turn)
    assert [t["resolved_question"] for t in expected[1:]] == [
        "115号答复函抄送了哪些单位？",
        "温科提复〔2024〕115号答复函的联系人是谁？",
    ]
    assert all(t["found"] for t in expected), expected

    for n, q in enumerate(questions):
        _ask(page, q, n)
    turns = page.locator("#ask-answer .dafu-turn[data-turn]")
    assert turns.count() == 3
    for n, turn in enumerate(expected):
        shown = turns.nth(n)
        assert _squash(shown.locator(".dafu-answer").inner_text()) == _squash(turn["answer"])
        if turn["resolved_by"]:
            assert turn["resolved_question"] in shown.locator(".dafu-resolved").inner_text()
    assert "陈忠研" in turns.nth(2).inner_text()

    # A citation of the second turn opens its letter at the quote.
    second = expected[1]["citations"][0]
    turns.nth(1).locator(".dafu-cite").first.click()
    mark = page.locator("#ask-letter mark#dafu-quote")
    mark.wait_for()
    assert _squash(second["quote"]) in _squash(mark.inner_text())
    assert second["doc_number"] in page.inner_text("#ask-letter .dafu-meta")

    # 新对话 starts over: the next question is not a follow-up.
    page.click("#ask-new")
    page.wait_for_selector("#ask-answer .dafu-turn", state="detached")
    _ask(page, "那115号呢？", 0)
    assert page.locator("#ask-answer .dafu-resolved").count() == 0


def test_feedback_with_a_comment_is_stored(page, ui_server) -> None:  # type: ignore[no-untyped-def]
    question = "瓯海生命健康小镇规划总面积多大？"
    _ask(page, question, 0)
    page.click('#ask-answer [data-feedback="0:down"]')
    page.wait_for_selector('#ask-answer [data-feedback="0:down"][aria-pressed="true"]')
    page.fill("#ask-comment textarea", "想知道入驻企业数")
    page.click("#ask-comment-submit")
    page.wait_for_selector("#ask-feedback-status :text('说明已保存')")
    with ui_server.api() as api:
        stored = [f for f in api.get("/v1/feedback").json()["feedback"] if f["question"] == question]
    assert [(f["rating"], f["comment"]) for f in stored] == [(-1, "想知道入驻企业数")]
    assert stored[0]["citations"] and "5平方公里" in stored[0]["answer"]


def test_ask_shows_the_services_answer_and_opens_the_cited_letter(page, ui_server) -> None:  # type: ignore[no-untyped-def]
    with ui_server.api() as api:
        expected = api.post("/v1/ask", json={"question": EYE_VALLEY}).json()
    assert expected["found"] and expected["citations"], expected

    _ask(page, EYE_VALLEY)
    shown = page.inner_text("#ask-answer .dafu-answer")
    assert _squash(shown) == _squash(expected["answer"])
    if "216家" in expected["answer"]:
        assert "216家" in shown
    cards = page.locator("#ask-answer .dafu-cite")
    assert cards.count() == len(expected["citations"])
    for n, citation in enumerate(expected["citations"]):
        card = cards.nth(n).inner_text()
        assert citation["doc_number"] in card
        assert _squash(citation["quote"]) in _squash(card)

    first = expected["citations"][0]
    cards.first.click()
    mark = page.locator("#ask-letter mark#dafu-quote")
    mark.wait_for()
    assert _squash(first["quote"]) in _squash(mark.inner_text())
    # Scrolled into view: the highlight is visible without the user scrolling.
    page.wait_for_function(
        "() => { const r = document.querySelector('#dafu-quote').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }"
    )
    header = page.inner_text("#ask-letter .dafu-meta")
    assert first["doc_number"] in header


def test_out_of_scope_question_is_refused_plainly(page, ui_server) -> None:  # type: ignore[no-untyped-def]
    with ui_server.api() as api:
        expected = api.post("/v1/ask", json={"question": OUT_OF_SCOPE}).json()
    assert not expected["found"], f"the service answered a question the letters cannot: {expected}"

    _ask(page, OUT_OF_SCOPE)
    assert NOT_FOUND in page.inner_text("#ask-answer .dafu-refusal")
    assert page.locator("#ask-answer .dafu-answer").count() == 0
    nearest = page.locator("#ask-answer .dafu-hit")
    assert nearest.count() == min(3, len(expected["hits"]))


def test_search_lists_ranked_passages(page, ui_server) -> None:  # type: ignore[no-untyped-def]
    query = "科技企业授信"
    with ui_server.api() as api:
        hits = api.post("/v1/search", json={"query": query, "top_k": 8}).json()["hits"]
    assert hits

    page.get_by_role("tab", name="检索").click()
    page.fill("#search-query textarea", query)
    page.click("#search-submit")
    page.wait_for_selector("#search-results .dafu-hit")
    cards = page.locator("#search-results .dafu-hit")
    assert cards.count() == len(hits)
    for n, hit in enumerate(hits):
        card = cards.nth(n).inner_text()
        assert (hit["doc_number"] or hit["title"]) in card
        assert f"{hit['score']:.3f}" in card


def _upload(page, path: Path) -> str:  # type: ignore[no-untyped-def]
    page.get_by_role("tab", name="文档").click()
    page.wait_for_selector("#letters-list table.dafu-docs")
    page.set_input_files("#letters-files input[type=file]", str(path))
    # Gradio shows the file once its own upload to the server finished.
    page.wait_for_selector(f"#letters-files :text('{path.name}')")
    page.click("#letters-upload")
    return page.wait_for_selector("#letters-status .dafu-notice").inner_text()


def test_upload_lists_the_letter_and_delete_asks_first(page, ui_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    number = "温科提复〔2099〕7号"
    letter = tmp_path / "新收答复函.txt"
    letter.write_text(SAMPLE.read_text(encoding="utf-8").replace("温科提复〔2024〕115号", number), "utf-8")

    status = _upload(page, letter)
    assert "已收录" in status and letter.name in status
    row = page.locator("#letters-list tr", has_text=number)
    row.wait_for()
    with ui_server.api() as api:
        listed = {d["meta"]["doc_number"] for d in api.get("/v1/documents").json()["documents"]}
    assert number in listed

    row.click()
    page.wait_for_selector("#letters-viewer .dafu-letter")
    page.click("#letters-delete")
    confirm = page.locator("#letters-confirm")
    confirm.wait_for()
    assert number in confirm.inner_text()
    page.click("#letters-confirm-yes")
    row.wait_for(state="detached")
    assert "已删除" in page.inner_text("#letters-delete-status")


def test_unsupported_upload_shows_a_clear_error(page, ui_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with ui_server.api() as api:
        before = api.get("/v1/documents").json()["documents"]
    bad = tmp_path / "安装程序.exe"
    bad.write_bytes(b"MZ\x90\x00" + bytes(range(256)))

    status = _upload(page, bad)
    assert "未能收录" in status and "不支持的文件类型" in status and ".txt" in status
    assert page.locator("#letters-status .dafu-error").count() == 1
    with ui_server.api() as api:
        assert api.get("/v1/documents").json()["documents"] == before


def test_draft_from_an_uploaded_proposal_offers_a_docx(page, ui_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import io
    import json

    import docx
    import httpx

    record = json.loads((PROJECT_ROOT / "eval" / "data" / "drafts.jsonl").read_text("utf-8").splitlines()[0])
    proposal = tmp_path / "新提案.txt"
    proposal.write_text(record["proposal"], "utf-8")
    with ui_server.api() as api:
        expected = api.post("/v1/draft", json={"proposal": record["proposal"]}).json()

    page.get_by_role("tab", name="起草").click()
    page.set_input_files("#draft-file input[type=file]", str(proposal))
    page.wait_for_function("() => document.querySelector('#draft-text textarea').value.length > 100")
    page.click("#draft-submit")
    page.wait_for_selector("#draft-output h1", timeout=180_000)
    assert page.inner_text("#draft-output h1") == expected["title"]

    href = page.get_attribute("#draft-docx a[href]", "href")
    assert href and href.startswith(ui_server.url)
    data = httpx.get(href, timeout=60, trust_env=False).content
    paragraphs = docx.Document(io.BytesIO(data)).paragraphs
    assert _squash(expected["title"]) in _squash("".join(p.text for p in paragraphs))

    page.locator("#draft-check").get_by_text("核对引文").first.click()
    cards = page.locator("#draft-sources .dafu-cite")
    cards.first.wait_for()
    assert cards.count() == len(expected["citations"]) > 0
    cards.first.click()
    mark = page.locator("#draft-letter mark#dafu-quote")
    mark.wait_for()
    assert _squash(expected["citations"][0]["quote"]) in _squash(mark.inner_text())


def test_commitments_tab_lists_promises_by_topic_and_opens_both_passages(page, ui_server) -> None:  # type: ignore[no-untyped-def]
    with ui_server.api() as api:
        expected = api.get("/v1/commitments", params={"topic": "三张清单"}).json()["commitments"]
    assert len(expected) == 1, expected

    page.get_by_role("tab", name="承诺").click()
    page.wait_for_selector("#ledger-table .dafu-ledger")  # the whole ledger, shown on opening the tab
    page.fill("#ledger-topic textarea", "三张清单")
    page.click("#ledger-show")
    rows = page.locator("#ledger-table .dafu-ledger:not(.dafu-figures) tbody tr")
    page.wait_for_function(
        "() => document.querySelectorAll('#ledger-table .dafu-ledger:not(.dafu-figures) tbody tr').length"
        " < 10"
    )
    assert rows.count() == 1
    row = rows.first
    assert expected[0]["commitment"]["doc_number"] in row.inner_text()
    promise = expected[0]["commitment"]["quote"]
    row.locator(".dafu-cite").first.click()
    mark = page.locator("#ledger-viewer mark#dafu-quote")
    mark.wait_for()
    assert _squash(promise) in _squash(mark.inner_text())
    # The figures two letters state differently: both passages open.
    figures = page.locator("#ledger-table .dafu-figures tbody tr", has_text="216家")
    assert figures.count() == 1
    figures.first.locator(".dafu-cite").nth(1).click()
    page.wait_for_function(
        "() => { const m = document.querySelector('#ledger-viewer mark#dafu-quote');"
        " return m && (m.innerText.includes('203家') || m.innerText.includes('216家')); }"
    )
