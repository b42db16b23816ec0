"""Service results to HTML fragments. Pure functions: every string from the corpus is escaped here."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from rag.chat.model import Turn
from rag.types import Answer, Citation, Document, DocumentInfo, Hit, LetterMeta
from rag.vocabulary import NOT_FOUND

QUOTE_ID = "dafu-quote"


# A clickable place in a letter: {"doc_id", "start", "end", "quote"}; plain JSON so gr.State keeps it.
Target = dict[str, Any]


def target(item: Citation | Hit) -> Target:
    quote = item.quote if isinstance(item, Citation) else item.text
    return {"doc_id": item.doc_id, "start": item.start, "end": item.end, "quote": quote}


def notice(message: str, kind: str = "error") -> str:
    """A plain message box; ``kind`` is error | info | warn."""
    return f'<div class="dafu-notice dafu-{kind}" role="status">{escape(message)}</div>'


def _label(doc_number: str, title: str, doc_id: str) -> str:
    return escape(doc_number or title or doc_id)


def cite_card(n: int, index: int, c: Citation) -> str:
    return (
        f'<button type="button" class="dafu-cite" data-cite="{index}" title="查看原文">'
        f'<span class="dafu-num">[{n}]</span> <b>{_label(c.doc_number, c.title, c.doc_id)}</b>'
        f'<span class="dafu-section">{escape(c.section)}</span>{_ocr_badge(c.ocr)}'
        f'<span class="dafu-quote-text">“{escape(c.quote)}”</span></button>'
    )


def _ocr_badge(ocr: bool) -> str:
    """Text recognised from a scan may hold recognition errors: say so where it is quoted."""
    if not ocr:
        return ""
    return (
        '<span class="dafu-ocr" title="此段文字由扫描件文字识别（OCR）得到，请对照原件核实">OCR 识别</span>'
    )


def _hit_card(n: int, index: int, h: Hit, *, score: bool) -> str:
    meta = f'<span class="dafu-score">相关度 {h.score:.3f}</span>' if score else ""
    return (
        f'<button type="button" class="dafu-cite dafu-hit" data-cite="{index}" title="查看原文">'
        f'<span class="dafu-num">{n}.</span> <b>{_label(h.doc_number, h.title, h.doc_id)}</b>'
        f'<span class="dafu-section">{escape(h.section)}</span>{_ocr_badge(h.ocr)}{meta}'
        f'<span class="dafu-quote-text">{escape(h.text)}</span></button>'
    )


def _linked(text: str, count: int, offset: int = 0) -> str:
    """Escape the answer and turn its [n] markers into links to citation n."""

    def link(m: re.Match[str]) -> str:
        n = int(m[1])
        if not 1 <= n <= count:
            return m[0]
        return f'<button type="button" class="dafu-ref" data-cite="{offset + n - 1}" title="查看原文">[{n}]</button>'

    return re.sub(r"\[(\d+)\]", link, escape(text))


def answer_html(answer: Answer, offset: int = 0) -> tuple[str, list[Target]]:
    """The answer with numbered citations, or a plain refusal with the nearest passages. ``offset``:
    clickable places shown before this answer (in a conversation), so ``data-cite`` stays unique."""
    if not answer.found:
        hits = answer.hits[:3]
        parts = [f'<div class="dafu-refusal"><b>{NOT_FOUND}。</b>']
        if answer.answer and NOT_FOUND not in answer.answer:
            parts.append(f"<p>{escape(answer.answer)}</p>")
        parts.append("</div>")
        if hits:
            parts.append('<div class="dafu-subhead">最相近的段落（仅供参考，不构成答案）：</div>')
            parts += [_hit_card(n, offset + n - 1, h, score=True) for n, h in enumerate(hits, start=1)]
        return "".join(parts), [target(h) for h in hits]
    parts = [f'<div class="dafu-answer">{_linked(answer.answer, len(answer.citations), offset)}</div>']
    if answer.unsupported:
        parts.append(notice(f"以下内容未在引文中找到，请核对：{'、'.join(answer.unsupported)}", "warn"))
    if answer.rewritten:
        dropped = "；".join(answer.rewritten)
        parts.append(notice(f"大模型的以下表述与所引原文不符，已改为原文引用或删去：{dropped}", "warn"))
    if answer.citations:
        parts.append('<div class="dafu-subhead">引用（点击查看原文）：</div>')
        parts += [cite_card(n, offset + n - 1, c) for n, c in enumerate(answer.citations, start=1)]
    return "".join(parts), [target(c) for c in answer.citations]


# One turn of a conversation as the UI keeps it in its state: plain JSON.
TurnView = dict[str, Any]
RATINGS = {1: "up", -1: "down"}


def turn_view(turn: Turn) -> TurnView:
    """What the conversation on screen keeps of a turn (the nearest passages of a refusal included)."""
    view = turn.model_dump(mode="json")
    view["answer"]["hits"] = view["answer"]["hits"][:3]
    view["rating"] = 0
    return view


def conversation_html(turns: list[TurnView], pending: str = "") -> tuple[str, list[Target]]:
    """Every turn: the question, the question as understood (when it was a follow-up), the answer with
    its citations (numbered per turn, clickable) and 👍/👎; ``pending`` is the turn being answered."""
    parts: list[str] = []
    targets: list[Target] = []
    for index, view in enumerate(turns):
        answer = Answer.model_validate(view["answer"])
        html, found = answer_html(answer, offset=len(targets))
        targets += found
        parts.append(
            f'<section class="dafu-turn" data-turn="{index}">{_question(view["question"], view["resolved"])}'
            f"{html}{_rating(index, int(view.get('rating', 0)))}</section>"
        )
    if pending:
        parts.append(f'<section class="dafu-turn dafu-pending">{pending}</section>')
    if not parts:
        return notice(
            "输入问题开始对话；可以接着追问，例如“那2022年呢？”“这封答复函是谁签发的？”。", "info"
        ), []
    return "".join(parts), targets


def pending_html(question: str, resolved: str = "", text: str = "", message: str = "") -> str:
    """The turn being answered: its question, then the text so far, or a message."""
    body = f'<div class="dafu-answer dafu-partial">{escape(text)}</div>' if text else ""
    if message:
        body += message
    elif not text:
        body = '<div class="dafu-subhead">正在检索和作答…</div>'
    return _question(question, resolved) + body


def _question(question: str, resolved: str) -> str:
    out = f'<div class="dafu-q"><span class="dafu-q-mark">问</span>{escape(question)}</div>'
    if resolved and resolved != question:
        out += f'<div class="dafu-resolved">理解为：{escape(resolved)}</div>'
    return out


def _rating(index: int, rating: int) -> str:
    buttons = []
    # Words, not emoji: a machine without an emoji font shows empty boxes.
    for value, (name, label, hint) in (
        (1, ("up", "有用", "这个回答有用")),
        (-1, ("down", "没用", "这个回答没用")),
    ):
        pressed = "true" if rating == value else "false"
        buttons.append(
            f'<button type="button" class="dafu-fb" data-feedback="{index}:{name}" aria-pressed="{pressed}" '
            f'title="{hint}">{label}</button>'
        )
    return f'<div class="dafu-feedback">{"".join(buttons)}</div>'


def hits_html(hits: list[Hit]) -> tuple[str, list[Target]]:
    if not hits:
        return notice("没有找到相关段落。可以换个说法，或去掉筛选条件再试。", "info"), []
    cards = [_hit_card(n, n - 1, h, score=True) for n, h in enumerate(hits, start=1)]
    return "".join(cards), [target(h) for h in hits]


def _locate(text: str, start: int, end: int, quote: str) -> tuple[int, int]:
    """The span to highlight: the given offsets, or where the quote really is if they drifted."""
    if 0 <= start < end <= len(text) and (not quote or quote in text[start:end]):
        if quote:
            start += text[start:end].find(quote)
            end = start + len(quote)
        return start, end
    found = text.find(quote) if quote else -1
    return (found, found + len(quote)) if found >= 0 else (0, 0)


def _meta_rows(meta: LetterMeta, source: str) -> str:
    rows = [
        ("文号", meta.doc_number),
        ("标题", meta.title),
        ("类别", meta.kind),
        ("会议", meta.session),
        ("提案/建议号", meta.proposal_number),
        ("提出人", meta.proposer),
        ("提案题目", meta.proposal_title),
        ("会办单位", "、".join(meta.co_handlers)),
        ("发文单位", meta.issuer),
        ("日期", meta.date),
        ("文件", source),
    ]
    return "".join(f"<dt>{k}</dt><dd>{escape(v)}</dd>" for k, v in rows if v)


def letter_html(doc: Document, t: Target | None = None) -> str:
    """Metadata header and canonical text; the cited span is wrapped in ``<mark id="dafu-quote">``."""
    text = doc.text
    body = escape(text)
    if t is not None:
        start, end = _locate(text, int(t["start"]), int(t["end"]), str(t.get("quote") or ""))
        if end > start:
            body = (
                escape(text[:start])
                + f'<mark id="{QUOTE_ID}" class="dafu-mark">{escape(text[start:end])}</mark>'
                + escape(text[end:])
            )
    title = escape(doc.meta.title or doc.source)
    return (
        f'<article class="dafu-letter" data-doc="{escape(doc.doc_id)}"><h3>{title}</h3>'
        f'<dl class="dafu-meta">{_meta_rows(doc.meta, doc.source)}</dl>'
        f'<div class="dafu-letter-text">{body}</div></article>'
    )


def documents_html(infos: list[DocumentInfo], selected: str | None = None) -> str:
    """The letter list; a row is clickable (``data-doc``) to open and select it."""
    if not infos:
        return notice(
            "还没有收录任何文档。请在下方上传答复函（.txt、.md、.docx、.doc、.wps、.pdf、.ofd 或扫描图片）。",
            "info",
        )
    columns = ("文号", "类别", "提出人", "日期", "标题", "段数", "标签")
    head = "".join(f"<th>{h}</th>" for h in columns)
    rows = []
    for info in infos:
        m = info.meta
        cells = [
            m.doc_number or "—",
            m.kind or ("报刊文章" if m.articles else "—"),
            m.proposer or "—",
            m.date or "—",
            m.title or info.source,
            str(info.chunks),
            info.label or "—",
        ]
        tds = "".join(f'<td data-label="{h}">{escape(v)}</td>' for h, v in zip(columns, cells, strict=True))
        css = ' class="dafu-selected"' if info.doc_id == selected else ""
        rows.append(f'<tr data-doc="{escape(info.doc_id)}"{css} title="点击查看">{tds}</tr>')
    return f'<table class="dafu-docs"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
