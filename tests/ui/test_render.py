"""HTML fragments of the UI, from real service results where the corpus matters."""

from __future__ import annotations

from rag.service import DafuService
from rag.types import Answer, Citation, Document, LetterMeta
from rag.vocabulary import NOT_FOUND
from tests.factories import api_client, make_hit
from ui import render
from ui.draft import call_draft


def _doc(text: str) -> Document:
    meta = LetterMeta(doc_number="温科提复〔2024〕1号", title="关于<测试>的答复函")
    return Document(doc_id="d1", source="d1.txt", content_hash="h", text=text, meta=meta)


def test_letter_marks_exactly_the_quote_and_escapes_the_rest() -> None:
    text = "前言<b>。引进注册企业216家。后文"
    start = text.index("引进")
    end = start + len("引进注册企业216家。")
    html = render.letter_html(
        _doc(text), {"doc_id": "d1", "start": start, "end": end, "quote": text[start:end]}
    )
    assert f'<mark id="{render.QUOTE_ID}" class="dafu-mark">引进注册企业216家。</mark>' in html
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert "关于&lt;测试&gt;的答复函" in html


def test_letter_finds_the_quote_when_offsets_drifted() -> None:
    text = "甲乙丙。中国眼谷引进企业。丁戊。"
    html = render.letter_html(
        _doc(text), {"doc_id": "d1", "start": 0, "end": 3, "quote": "中国眼谷引进企业。"}
    )
    assert '<mark id="dafu-quote" class="dafu-mark">中国眼谷引进企业。</mark>' in html


def test_answer_links_markers_to_citations() -> None:
    citation = Citation(
        doc_id="d1", doc_number="温科提复〔2024〕1号", title="t", section="正文",
        quote="引进注册企业216家。", start=0, end=10, score=1.0,
    )  # fmt: skip
    answer = Answer(answer="共216家。[1] 另见[2]", found=True, citations=(citation,))
    html, targets = render.answer_html(answer)
    assert 'data-cite="0"' in html and "[2]" in html and 'data-cite="1"' not in html
    assert targets == [{"doc_id": "d1", "start": 0, "end": 10, "quote": "引进注册企业216家。"}]


def test_a_citation_recognised_by_ocr_says_so() -> None:
    quote = dict(
        doc_id="d1",
        doc_number="温科提复〔2024〕1号",
        title="t",
        section="正文",
        quote="总营收1588亿元",
        start=0,
        end=9,
        score=1.0,
    )
    scanned = render.cite_card(1, 0, Citation(**quote, ocr=True))
    typed = render.cite_card(1, 0, Citation(**quote))
    assert "OCR 识别" in scanned and "OCR" not in typed


def test_refusal_is_plain_and_lists_the_nearest_passages() -> None:
    hits = tuple(make_hit(f"段落{n}", doc_id=f"d{n}", doc_number=f"文号{n}") for n in range(5))
    html, targets = render.answer_html(Answer(answer="", found=False, hits=hits))
    assert NOT_FOUND in html
    assert html.count("dafu-hit") == 3 and len(targets) == 3


def test_documents_table_has_the_metadata_columns(service: DafuService) -> None:
    infos = service.documents()
    html = render.documents_html(infos)
    for info in infos:
        assert f'data-doc="{info.doc_id}"' in html
        if info.meta.doc_number:
            assert info.meta.doc_number in html


def test_ui_is_mounted_and_offline(service: DafuService) -> None:
    with api_client(service, ui=True) as client:
        page = client.get("/ui/")
        assert page.status_code == 200
        assert "fonts.googleapis" not in page.text and "cdn.jsdelivr" not in page.text
        config = client.get("/ui/config").json()
        labels = {c.get("props", {}).get("label") for c in config["components"]}
        assert {"问答", "检索", "文档", "起草"} <= labels


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, object]]] = []

    def draft(self, proposal: str, **kwargs: object) -> str:
        self.calls.append((proposal, kwargs))
        return "草稿"


def test_draft_call_passes_only_given_fields() -> None:
    svc = _Recorder()
    call_draft(svc, "提案全文", "offline", {"proposer": " 林委员 ", "session": "", "kind": "自动识别"})  # type: ignore[arg-type]
    assert svc.calls == [
        ("提案全文", {"mode": "offline", "proposer": "林委员", "session": None, "number": None, "kind": None})
    ]


def test_a_conversation_numbers_its_clickable_places_across_turns() -> None:
    from rag.chat.model import Turn

    def turn(index: int, question: str, resolved: str, quote: str) -> Turn:
        citation = Citation(doc_id="d", doc_number="温科提复〔2024〕115号", title="t", section="s", quote=quote,
                            start=index, end=index + len(quote), score=1.0)  # fmt: skip
        answer = Answer(answer=f"{quote}[1]", found=True, citations=(citation,))
        return Turn(turn_id=f"t{index}", conversation_id="c", index=index, question=question, resolved=resolved,
                    resolved_by="rules" if resolved != question else "", answer=answer)  # fmt: skip

    views = [render.turn_view(turn(0, "龙湾眼谷小镇多大？", "龙湾眼谷小镇多大？", "11平方公里")),
             render.turn_view(turn(1, "那<瓯海>呢？", "瓯海小镇多大？", "5平方公里"))]  # fmt: skip
    html, targets = render.conversation_html(views, render.pending_html("第三问", text="写到一半"))
    assert [t["quote"] for t in targets] == ["11平方公里", "5平方公里"]
    assert 'data-turn="0"' in html and 'data-turn="1"' in html
    assert html.count('data-cite="0"') == 2 and html.count('data-cite="1"') == 2  # marker and card
    assert "理解为：瓯海小镇多大？" in html and html.count("理解为") == 1
    assert "&lt;瓯海&gt;" in html and "<瓯海>" not in html
    assert 'data-feedback="1:down"' in html and "dafu-pending" in html and "写到一半" in html


def test_ledger_groups_by_topic_escapes_and_targets_every_passage(service: DafuService) -> None:
    from ui.commitments import ledger_html

    entries, changes = service.commitments(), service.figure_changes()
    html, targets = ledger_html(entries, changes)
    topics = {e.commitment.topic for e in entries}
    assert html.count('<h4 class="dafu-topic">') == len(topics) + (1 if changes else 0)
    cited = len(entries) + sum(len(e.evidence) for e in entries) + 2 * len(changes)
    assert len(targets) == cited and f'data-cite="{cited - 1}"' in html
    for t in targets:
        assert service.document(t["doc_id"]).text[t["start"] : t["end"]] == t["quote"]
    assert "<script" not in html
