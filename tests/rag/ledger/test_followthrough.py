"""Follow-through's words: the names letters quote or title, and the heading a passage sits under;
with the bundled model, a later passage that names what a promise names is its evidence."""

from __future__ import annotations

from index.commitments import extract_commitments
from rag.ledger.followthrough import FollowThrough, Names, heading
from rag.service import DafuService
from tests.factories import followup_letters


def test_names_are_what_the_letters_quote_or_title_found_marked_or_not() -> None:
    names = Names(
        [
            "全面推行“揭榜挂帅”攻关模式，印发《拨投联动工作指引（试行）》。",
            "强化“一区一廊一会一室”战略平台支撑，建设“一区一廊”。",
            "关于“出台用地优惠政策、租金补贴政策等政策支持”的建议。",  # a quoted suggestion, not a name
        ]
    )
    assert names.of("通过揭榜挂帅的形式促进成果转化") == {"“揭榜挂帅”"}
    assert names.of("已印发《拨投联动工作指引（试行）》") == {"“拨投联动工作指引（试行）”"}
    assert names.of("推进一区一廊一会一室建设") == {"“一区一廊一会一室”", "“一区一廊”"}
    assert names.of("出台用地优惠政策") == frozenset()
    assert Names([]).of("“揭榜挂帅”") == frozenset()  # only names the given letters use


def test_a_passage_takes_the_heading_it_sits_under() -> None:
    assert heading("五、聚力项目招大引强，提升产业发展能级") == "五、聚力项目招大引强，提升产业发展能级"
    assert heading("三、关于“加大招商引资力度”的建议 > 下一步") == "三、关于“加大招商引资力度”的建议"
    assert heading("正文") == heading("正文 > 下一步") == heading("下一步") == ""


def test_the_passage_naming_the_promised_object_is_the_evidence(service: DafuService) -> None:
    promise_letter, named, neighbour = followup_letters("promise2023", "named2024", "neighbour2024")
    (commitment,) = extract_commitments("promise2023", "v1", promise_letter.text, promise_letter.meta)
    assert "“启航计划”" in commitment.quote
    follow = FollowThrough(service.embedder)
    (entry,) = follow.entries([commitment], [promise_letter, named, neighbour])
    assert entry.status == "done" and entry.later_letters == 2
    best = entry.evidence[0]
    assert best.doc_id == "named2024" and "启航计划" in best.quote
    assert named.text[best.start : best.end] == best.quote
    # The passage on training in general (the named platform absent) is no evidence, in either letter.
    assert all("启航计划" in cited.quote for cited in entry.evidence)


def test_a_later_passage_on_a_neighbouring_subject_alone_is_not_the_promised_thing(
    service: DafuService,
) -> None:
    promise_letter, neighbour = followup_letters("promise2023", "neighbour2024")
    (commitment,) = extract_commitments("promise2023", "v1", promise_letter.text, promise_letter.meta)
    (entry,) = FollowThrough(service.embedder).entries([commitment], [promise_letter, neighbour])
    assert entry.later_letters == 1
    assert entry.status == "not_mentioned" and entry.evidence == ()
