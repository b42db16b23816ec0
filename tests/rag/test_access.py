"""Per-document access below every interface: the service acting for a user shows no trace of a letter
that user may not see (search, ask, chat, conversations, drafts and their .docx, the document list and
text), checks roles on writes, and records every ask and write in the audit trail.

Real parts: the sample letters in real Chroma, the bundled embedding model, one more letter labelled
内部 (``tests.factories.INTERNAL_LETTER``).
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.access.model import AuditQuery, Principal, Role
from rag.draft.docx import write_docx
from rag.errors import ConversationNotFound, DafuError, DocumentNotFound, Forbidden
from rag.ledger.model import LedgerFilters
from rag.service import WITHHELD, DafuService
from tests.factories import (
    INTERNAL_ID,
    INTERNAL_LETTER,
    INTERNAL_NAME,
    INTERNAL_QUESTIONS,
    INTERNAL_TRACES,
    LETTERS,
    REPORT_ID,
    REPORT_LETTER,
    REPORT_NAME,
    REPORT_TRACES,
    traces_in,
)

READER = Principal(name="reader", role=Role.READER, key_id="kr", via="api")
INSIDER = Principal(name="insider", role=Role.READER, groups=frozenset({"内部"}), key_id="ki", via="api")
EDITOR = Principal(name="editor", role=Role.EDITOR, groups=frozenset({"办公室"}), key_id="ke", via="api")
ADMIN = Principal(name="admin", role=Role.ADMIN, key_id="ka", via="api")
PROPOSAL = (
    "关于加快老旧燃气管道改造的提案\n提案人：王明委员\n"
    "城区地下管网老化，部分燃气管道存在安全隐患，改造资金不足，监测手段落后。\n为此，建议：\n"
    "一、加大老旧燃气管道改造资金投入，明确改造计划。\n二、建立地下管网在线监测平台，对高风险管段实时监测。\n"
)


@pytest.fixture
def secured(writable_service: DafuService) -> DafuService:
    """The sample letters (公开 by default) and one letter labelled 内部."""
    doc_id, status = writable_service.upload(INTERNAL_NAME, INTERNAL_LETTER.encode(), label="内部")
    assert (doc_id, status) == (INTERNAL_ID, "added")
    return writable_service


def _visible_text(question: str, body: str) -> list[str]:
    """Traces of the internal letter in a response, beyond what the question itself says."""
    return [t for t in traces_in(body) if t not in question]


def test_the_insider_gets_the_answer_so_the_letter_is_answerable(secured: DafuService) -> None:
    answer = secured.acting_as(INSIDER).ask(INTERNAL_QUESTIONS[0])
    assert answer.found and "2.75亿元" in answer.answer
    assert {c.doc_id for c in answer.citations} == {INTERNAL_ID}


@pytest.mark.parametrize("question", INTERNAL_QUESTIONS)
def test_a_reader_outside_the_group_sees_no_trace_in_any_answer(secured: DafuService, question: str) -> None:
    reader = secured.acting_as(READER)
    answer = reader.ask(question)
    assert not _visible_text(question, answer.model_dump_json())
    assert INTERNAL_ID not in {h.doc_id for h in answer.hits}
    hits = reader.search(question, top_k=20)
    assert hits and not _visible_text(
        question, json.dumps([h.model_dump() for h in hits], ensure_ascii=False)
    )
    for retrieval in ("dense", "lexical"):
        assert INTERNAL_ID not in {h.doc_id for h in reader.search(question, 20, retrieval=retrieval)}
    turn = reader.chat(question)
    assert not _visible_text(question, turn.model_dump_json())


def test_the_refusal_names_no_hidden_letter(secured: DafuService) -> None:
    answer = secured.acting_as(READER).ask(INTERNAL_QUESTIONS[0])
    assert not answer.found
    assert all(h.doc_id != INTERNAL_ID for h in answer.hits)


def test_filters_and_named_letters_cannot_reach_a_hidden_letter(secured: DafuService) -> None:
    from rag.types import Filters

    reader = secured.acting_as(READER)
    assert reader.search("燃气管道", 10, Filters(doc_id=INTERNAL_ID)) == []
    assert reader.search("燃气管道", 10, Filters(doc_number="建复〔2024〕815号")) == []
    answer = reader.ask("建复〔2024〕815号的联系人是谁？")
    assert not _visible_text("建复〔2024〕815号的联系人是谁？", answer.model_dump_json())


def test_documents_and_their_text_are_hidden_like_missing_ones(secured: DafuService) -> None:
    reader = secured.acting_as(READER)
    assert INTERNAL_ID not in {d.doc_id for d in reader.documents()}
    with pytest.raises(DocumentNotFound) as hidden:
        reader.document(INTERNAL_ID)
    with pytest.raises(DocumentNotFound) as missing:
        reader.document("no_such_letter")
    assert str(hidden.value).replace(INTERNAL_ID, "X") == str(missing.value).replace("no_such_letter", "X")
    insider = secured.acting_as(INSIDER)
    assert insider.document(INTERNAL_ID).label == "内部"
    assert {d.doc_id: d.label for d in insider.documents()}[INTERNAL_ID] == "内部"


def test_drafts_and_their_docx_quote_no_hidden_letter(secured: DafuService) -> None:
    draft = secured.acting_as(READER).draft(PROPOSAL)
    body = draft.model_dump_json()
    assert not [t for t in traces_in(body) if t not in PROPOSAL]
    assert INTERNAL_ID not in {s.doc_id for s in draft.similar}
    with zipfile.ZipFile(io.BytesIO(write_docx(draft))) as docx:
        xml = "".join(docx.read(n).decode("utf-8") for n in docx.namelist() if n.endswith(".xml"))
    assert not [t for t in traces_in(xml) if t not in PROPOSAL]
    # The insider's draft may use it: the letter is relevant, so the reader's draft was filtered.
    insider = secured.acting_as(INSIDER).draft(PROPOSAL)
    assert INTERNAL_ID in {s.doc_id for s in insider.similar} | {c.doc_id for c in insider.citations}


def test_roles_gate_writes_with_clear_messages(secured: DafuService) -> None:
    reader = secured.acting_as(READER)
    with pytest.raises(Forbidden, match="读者.*不能上传文档.*编辑"):
        reader.upload("x.txt", "关于某事的答复\n正文。".encode())
    with pytest.raises(Forbidden, match="不能删除文档"):
        reader.delete("000_1e27e530b0266b6c")
    with pytest.raises(Forbidden, match="管理"):
        reader.users()
    editor = secured.acting_as(EDITOR)
    with pytest.raises(Forbidden, match="不在该组"):
        editor.upload("y.txt", "关于某事的答复\n正文内容。".encode(), label="内部")
    # An editor cannot delete, relabel or overwrite what they cannot see; to them it does not exist.
    with pytest.raises(DocumentNotFound):
        editor.delete(INTERNAL_ID)
    with pytest.raises(DocumentNotFound):
        editor.set_label(INTERNAL_ID, "公开")
    with pytest.raises(Forbidden, match="改名"):
        editor.upload(INTERNAL_NAME, "关于某事的答复\n别的正文。".encode(), replace=True)
    assert secured.acting_as(INSIDER).ask(INTERNAL_QUESTIONS[0]).found


def test_an_editor_uploads_labels_and_deletes(secured: DafuService) -> None:
    editor = secured.acting_as(EDITOR)
    text = (LETTERS / "001_49815bdeb399fae2.txt").read_bytes()
    doc_id, status = editor.upload("office_copy.txt", text, label="办公室")
    assert status == "added" and editor.document(doc_id).label == "办公室"
    assert doc_id not in {d.doc_id for d in secured.acting_as(READER).documents()}
    assert editor.set_label(doc_id, "公开").label == "公开"
    assert doc_id in {d.doc_id for d in secured.acting_as(READER).documents()}
    editor.delete(doc_id)
    assert doc_id not in {d.doc_id for d in editor.documents()}


def test_a_failed_upload_keeps_the_label_it_had(secured: DafuService) -> None:
    admin = secured.acting_as(ADMIN)
    with pytest.raises(DafuError):
        admin.upload(INTERNAL_NAME, b"\xff\xfe\x00garbage\x00\x00", replace=True, label="公开")
    assert admin.document(INTERNAL_ID).label == "内部"


def test_conversations_belong_to_their_user_and_hide_what_they_may_no_longer_see(
    secured: DafuService,
) -> None:
    insider = secured.acting_as(INSIDER)
    turn = insider.chat(INTERNAL_QUESTIONS[0])
    assert turn.answer.found
    reader = secured.acting_as(READER)
    with pytest.raises(ConversationNotFound):
        reader.conversation(turn.conversation_id)
    with pytest.raises(ConversationNotFound):
        reader.chat("它的文号是什么？", turn.conversation_id)
    with pytest.raises(ConversationNotFound):
        reader.rate(turn.turn_id, 1)
    assert insider.conversation(turn.conversation_id).turns[0].answer.found
    # The letter moves to a group the insider is not in: their history no longer shows it.
    secured.acting_as(ADMIN).set_label(INTERNAL_ID, "机密")
    shown = insider.conversation(turn.conversation_id)
    assert shown.turns[0].answer.answer == WITHHELD
    assert not traces_in(shown.model_dump_json().replace(INTERNAL_QUESTIONS[0], ""))
    follow = insider.chat("出处在哪里？", turn.conversation_id)
    assert not traces_in(follow.model_dump_json().replace(INTERNAL_QUESTIONS[0], ""))


def test_every_ask_and_write_is_audited_with_user_and_time(secured: DafuService) -> None:
    reader, editor = secured.acting_as(READER), secured.acting_as(EDITOR)
    reader.ask("2023年全市生命健康产业总营收是多少？")
    reader.search("生命健康产业")
    with pytest.raises(Forbidden):
        reader.upload("x.txt", b"x")
    doc_id, _ = editor.upload("office_copy.txt", (LETTERS / "001_49815bdeb399fae2.txt").read_bytes())
    editor.delete(doc_id)
    trail = secured.acting_as(ADMIN).audit(AuditQuery())
    seen = [(e.user, e.action, e.outcome) for e in reversed(trail)]
    assert ("operator", "upload", "ok") in seen  # the fixture's upload, by this process's operator
    assert seen[-5:] == [
        ("reader", "ask", "ok"), ("reader", "search", "ok"), ("reader", "upload", "Forbidden"),
        ("editor", "upload", "ok"), ("editor", "delete", "ok"),
    ]  # fmt: skip
    assert all(e.at > 0 for e in trail)
    assert trail[4].detail == "2023年全市生命健康产业总营收是多少？" and trail[4].key_id == "kr"
    csv = secured.acting_as(ADMIN).audit_csv(AuditQuery(user="reader"))
    assert csv.startswith("\ufeffseq,time,user") and "生命健康产业" in csv
    with pytest.raises(Forbidden):
        reader.audit()


def test_viewing_the_commitments_ledger_is_audited(secured: DafuService) -> None:
    secured.acting_as(READER).commitments(LedgerFilters(topic="三张清单"))
    last = secured.acting_as(ADMIN).audit(AuditQuery(user="reader"))[0]
    assert (last.action, last.outcome, last.detail) == ("commitments", "ok", "topic=三张清单")


# -- the invariant, over random users, groups, labels and questions ------------------------------------
LABELS = ("公开", "内部", "办公室", "财务科")
SHINGLE = 10


def _shingles(text: str) -> set[str]:
    return {text[i : i + SHINGLE] for i in range(max(0, len(text) - SHINGLE + 1))}


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def test_no_response_contains_text_or_ids_of_a_letter_its_user_may_not_see(secured: DafuService) -> None:
    """Generated users (role, groups), labels on every letter and questions (sentences of the letters,
    their 文号, made-up questions and random strings of the letters' characters); every response of
    search, ask, chat, the conversation and the document list is searched for the hidden letters' ids
    and for any 10-character run of text that only hidden letters contain."""
    admin = secured.acting_as(ADMIN)
    texts = {d.doc_id: admin.document(d.doc_id).text for d in admin.documents()}
    numbers = [admin.document(d).meta.doc_number for d in texts]
    sentences = sorted(
        {
            s.strip()
            for t in texts.values()
            for s in t.replace("！", "。").split("。")
            if 8 <= len(s.strip()) <= 60
        }
    )
    made_up = ["供水价格调整情况如何？", "人才引进有哪些政策？", "明年的工作安排是什么？", "答复"]
    alphabet = sorted({ch for t in texts.values() for ch in t if not ch.isspace()})
    questions = st.one_of(
        st.sampled_from(sentences),
        st.sampled_from(numbers).map(lambda n: f"{n}的主要内容是什么？"),
        st.sampled_from(made_up),
        st.text(st.sampled_from(alphabet), min_size=2, max_size=30).filter(lambda q: q.strip()),
    )
    scenario = st.tuples(
        st.fixed_dictionaries({d: st.sampled_from(LABELS) for d in sorted(texts)}),
        st.sampled_from([Role.READER, Role.EDITOR]),
        st.frozensets(st.sampled_from(LABELS[1:]), max_size=2),
        st.lists(questions, min_size=1, max_size=3),
    )
    checked = []

    @settings(
        max_examples=15, deadline=None, derandomize=True, database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )  # fmt: skip
    @given(scenario)
    def check(case: tuple[dict[str, str], Role, frozenset[str], list[str]]) -> None:
        labels, role, groups, queries = case
        for doc_id, label in labels.items():
            secured.accounts.store.set_label(doc_id, label, "test")
        who = Principal(name=f"u{len(checked)}", role=role, groups=groups)
        hidden = {d for d, label in labels.items() if label != "公开" and label not in groups}
        seen_text = "".join(t for d, t in texts.items() if d not in hidden)
        secret = set().union(*(_shingles(texts[d]) for d in hidden)) - _shingles(seen_text)
        view = secured.acting_as(who)
        for query in queries:
            turn = view.chat(query)
            responses: list[object] = [
                [h.model_dump() for h in view.search(query, top_k=10)],
                view.ask(query).model_dump(),
                [d.model_dump() for d in view.documents()],
                turn.model_dump(),
                view.conversation(turn.conversation_id).model_dump(),
            ]
            for response in responses:
                strings = _strings(response)
                ids = {m for m in strings if m in texts} | {
                    d for m in strings for d in hidden if m.startswith(f"{d}:") or m.startswith(f"{d}#")
                }
                assert not ids & hidden, (who, query, ids & hidden)
                for text in strings:
                    text = text.replace(query.strip(), "")  # the question echoed back
                    leaked = [text[i : i + SHINGLE] for i in range(len(text) - SHINGLE + 1)
                              if text[i : i + SHINGLE] in secret]  # fmt: skip
                    assert not leaked, (who, sorted(hidden), query, leaked[:3])
            checked.append(query)

    check()
    assert len(checked) >= 15


LEDGER_QUESTIONS = (
    "管网运行监测平台的承诺落实了吗？",
    "争创省激光智能装备技术创新中心的承诺做了吗？",
    "去年答应要做的事情做了吗？",
)


def _ledger_json(service: DafuService, **filters: str) -> str:
    entries = service.commitments(LedgerFilters(**filters))
    changes = service.figure_changes(filters.get("doc_id"))
    return json.dumps(
        [e.model_dump(mode="json") for e in entries] + [c.model_dump(mode="json") for c in changes],
        ensure_ascii=False,
    )


def test_the_commitments_ledger_is_the_ledger_of_the_letters_a_reader_may_see(
    writable_service: DafuService,
) -> None:
    """A hidden letter's own promises, its reports on public promises (evidence, status) and its figures
    are in no ledger row, answer or draft of a reader outside its group: the reader's ledger is exactly
    the ledger before the hidden letters were added. The insider's ledger has all three."""
    reader = writable_service.acting_as(READER)
    before = (reader.commitments(), reader.figure_changes())
    assert before[0] and before[1]
    for name, letter in ((INTERNAL_NAME, INTERNAL_LETTER), (REPORT_NAME, REPORT_LETTER)):
        writable_service.upload(name, letter.encode(), label="内部")

    insider = writable_service.acting_as(INSIDER)
    entries = insider.commitments()
    assert INTERNAL_ID in {e.commitment.doc_id for e in entries}
    assert REPORT_ID in {c.doc_id for e in entries for c in e.evidence}
    changes = insider.figure_changes()
    assert REPORT_ID in {c.doc_id for ch in changes for c in (ch.earlier, ch.later)}
    assert (entries, changes) != before

    assert (reader.commitments(), reader.figure_changes()) == before
    traces = (*INTERNAL_TRACES, *REPORT_TRACES)
    assert not traces_in(_ledger_json(reader), traces)
    for hidden in (INTERNAL_ID, REPORT_ID):
        assert reader.commitments(LedgerFilters(doc_id=hidden)) == []
        assert reader.figure_changes(hidden) == []
    assert reader.commitments(LedgerFilters(doc_number="建复〔2024〕815号")) == []

    for question in LEDGER_QUESTIONS:
        answer = reader.ask(question)
        assert not [t for t in traces_in(answer.model_dump_json(), traces) if t not in question], question
        streamed = list(reader.ask_stream(question))
        assert not [t for t in traces_in(streamed[-1].model_dump_json(), traces) if t not in question]
    told = insider.ask(LEDGER_QUESTIONS[1])
    assert told.found and REPORT_ID in {c.doc_id for c in told.citations}

    draft = reader.draft(PROPOSAL)
    assert not {e.commitment.doc_id for e in draft.commitments} & {INTERNAL_ID, REPORT_ID}
    assert not [t for t in traces_in(draft.model_dump_json(), traces) if t not in PROPOSAL]
    assert INTERNAL_ID in {e.commitment.doc_id for e in insider.draft(PROPOSAL).commitments}


@pytest.mark.parametrize(
    "question", ["2024年答复了哪些提案？", "林慧委员提过哪些提案？", "建复〔2024〕815号主要讲了什么？"]
)
def test_listing_and_summary_answers_name_no_hidden_letter(secured: DafuService, question: str) -> None:
    """Catalogue questions ("which letters…") and summaries of a named letter read the letters the
    caller may see, in ``ask``, its stream and ``chat`` alike."""
    reader = secured.acting_as(READER)
    *_, streamed = reader.ask_stream(question)
    for body in (
        reader.ask(question).model_dump_json(),
        streamed.model_dump_json(),
        reader.chat(question).model_dump_json(),
    ):
        assert not _visible_text(question, body), body


def test_the_insider_s_listing_names_the_internal_letter(secured: DafuService) -> None:
    answer = secured.acting_as(INSIDER).ask("2024年答复了哪些提案？")
    assert INTERNAL_ID in {c.doc_id for c in answer.citations}
