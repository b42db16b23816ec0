"""Screenshots of every tab at laptop width and of 问答 on a phone.

``make screenshots`` (pytest ``--screenshots``) writes them to docs/screenshots/; otherwise to a temp dir.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.settings import PROJECT_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUESTION = "中国眼谷引进注册企业多少家？"
CONVERSATION = ["龙湾眼谷小镇规划总面积多大？", "那瓯海生命健康小镇呢？"]
DRAFTS = PROJECT_ROOT / "eval" / "data" / "drafts.jsonl"


def _answer_and_open_first_citation(page, questions: list[str] = [QUESTION]) -> None:  # type: ignore[no-untyped-def]  # noqa: B006
    for n, question in enumerate(questions):
        page.fill("#ask-question textarea", question)
        page.click("#ask-submit")
        page.wait_for_selector(f'#ask-answer .dafu-turn[data-turn="{n}"] .dafu-cite')
    page.locator("#ask-answer .dafu-turn").last.locator(".dafu-cite").first.click()
    page.wait_for_selector("#ask-letter mark#dafu-quote")
    page.wait_for_timeout(400)  # smooth layout after scrollIntoView


def _shot(page, path: Path) -> None:  # type: ignore[no-untyped-def]
    page.evaluate("document.fonts.ready")
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000, f"{path} looks empty"


def test_screenshots(page, screenshot_dir: Path) -> None:  # type: ignore[no-untyped-def]
    _answer_and_open_first_citation(page, CONVERSATION)
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, screenshot_dir / "ask.png")

    page.get_by_role("tab", name="检索").click()
    page.fill("#search-query textarea", "眼健康产业政策")
    page.click("#search-submit")
    page.wait_for_selector("#search-results .dafu-hit")
    page.locator("#search-results .dafu-hit").first.click()
    page.wait_for_selector("#search-letter mark#dafu-quote")
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, screenshot_dir / "search.png")

    page.get_by_role("tab", name="文档").click()
    page.wait_for_selector("#letters-list table.dafu-docs")
    page.locator("#letters-list tbody tr").first.click()
    page.wait_for_selector("#letters-viewer .dafu-letter")
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, screenshot_dir / "letters.png")

    page.get_by_role("tab", name="起草").click()
    record = json.loads(DRAFTS.read_text("utf-8").splitlines()[0])
    page.fill("#draft-text textarea", record["proposal"])
    page.click("#draft-submit")
    page.wait_for_selector("#draft-output h1", timeout=180_000)
    page.evaluate("window.scrollTo(0, 0)")
    page.set_viewport_size({"width": 1280, "height": 1400})
    page.screenshot(path=str(screenshot_dir / "draft.png"))  # the top: the whole letter is very long

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()  # a fresh page: no earlier answer to mistake for the new one
    page.wait_for_selector("#ask-question textarea")
    _answer_and_open_first_citation(page)
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, screenshot_dir / "ask-narrow.png")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 390px width"
