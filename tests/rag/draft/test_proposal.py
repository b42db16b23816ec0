"""Reading a new proposal: header fields and suggestions, on the drafting set and on edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.drafts import evaluate_parsing, load_drafts
from index.loading import read_text
from rag.draft.proposal import parse_proposal, summarise
from rag.errors import InvalidInput, UnsupportedFile
from rag.vocabulary import RENDA, ZHENGXIE

ROWS = load_drafts()


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_drafting_set_is_parsed_exactly(row: dict[str, object]) -> None:
    proposal = parse_proposal(str(row["proposal"]))
    assert proposal.title == row["title"]
    assert proposal.proposer == row["proposer"]
    assert proposal.kind == row["kind"]
    assert len(proposal.suggestions) == row["suggestions"]
    assert all(s.text and s.summary for s in proposal.suggestions)


def test_parse_accuracy_is_reported_per_field() -> None:
    assert evaluate_parsing(ROWS) == {
        "parse_title": 1.0,
        "parse_proposer": 1.0,
        "parse_kind": 1.0,
        "parse_suggestions": 1.0,
    }


def test_session_number_and_background_problems_are_not_suggestions() -> None:
    row = next(r for r in ROWS if r["id"] == "d001")
    proposal = parse_proposal(row["proposal"])
    assert proposal.session == "市政协十二届四次会议"
    assert proposal.number == "087"
    # The background lists problems as 一是…二是…三是…; only the four items after "建议：" count.
    assert "墙内开花墙外香" in proposal.background
    assert [s.summary for s in proposal.suggestions] == [
        "建立本地创新医疗器械进院“绿色通道”",
        "完善进院清单动态更新机制",
        "设立创新产品应用示范奖励",
        "搭建常态化医企对接平台",
    ]


def test_given_fields_override_the_text() -> None:
    text = "关于加快科创飞地建设的提案\n提案人：王芳委员\n建议：\n一、建设飞地。\n二、完善考核。"
    proposal = parse_proposal(text, proposer="九三学社市委会", session="市政协十二届四次会议", number="12")
    assert (proposal.proposer, proposal.session, proposal.number) == (
        "九三学社市委会",
        "市政协十二届四次会议",
        "12",
    )
    assert proposal.kind == ZHENGXIE
    assert parse_proposal(text, kind=RENDA).kind == RENDA


@pytest.mark.parametrize(
    "items",
    [
        "第一，建设飞地。\n第二，完善考核。\n第三，深化合作。",
        "（1）建设飞地。\n（2）完善考核。\n（3）深化合作。",
        "1.建设飞地，不少于1.5万平方米。\n2.完善考核。\n3.深化合作。",
        "一是建设飞地。二是完善考核。三是深化合作。",
    ],
)
def test_enumeration_styles(items: str) -> None:
    text = f"关于提升飞地效能的建议\n市十四届人大五次会议 陈刚代表\n近年来飞地发展较快。\n建议如下：\n{items}"
    proposal = parse_proposal(text)
    assert proposal.kind == RENDA
    assert proposal.proposer == "陈刚代表"
    assert proposal.session == "市十四届人大五次会议"
    assert [s.summary.split("，")[0] for s in proposal.suggestions] == ["建设飞地", "完善考核", "深化合作"]


def test_suggestion_sentences_without_numbers_or_intro() -> None:
    text = (
        "《关于加快概念验证中心建设的提案》\n民建市委会\n成果转化率偏低。\n"
        "建议分批认定一批概念验证中心。\n建议设立概念验证专项资金。"
    )
    proposal = parse_proposal(text)
    assert proposal.title == "关于加快概念验证中心建设的提案"
    assert proposal.proposer == "民建市委会"
    assert [s.summary for s in proposal.suggestions] == ["分批认定一批概念验证中心", "设立概念验证专项资金"]
    assert proposal.background == "成果转化率偏低。"


ONE_PARAGRAPH = (
    "关于推动本地创新医疗器械进入本市公立医院的建议：本地医疗器械企业的创新产品进医院难，采购渠道不畅。"
    "建议：一、出台本地产品优先采购政策；二、建立医院和企业定期对接机制；三、支持企业与医院联合研发。"
)


def test_a_proposal_typed_as_one_paragraph() -> None:
    proposal = parse_proposal(ONE_PARAGRAPH)
    assert proposal.title == "关于推动本地创新医疗器械进入本市公立医院的建议"
    assert proposal.background == "本地医疗器械企业的创新产品进医院难，采购渠道不畅。"
    assert [s.summary for s in proposal.suggestions] == [
        "出台本地产品优先采购政策",
        "建立医院和企业定期对接机制",
        "支持企业与医院联合研发",
    ]


@pytest.mark.parametrize(
    "body",
    [
        "背景。具体建议如下：①做甲；②做乙；③做丙。",
        "背景。对策：1.做甲；2.做乙；3.做丙。",
        "背景。\n三、对策建议\n（一）做甲。\n（二）做乙。\n（三）做丙。",
        "背景。\n具体办法\n一是做甲。二是做乙。三是做丙。",
        "背景。建议：第一，做甲；第二，做乙；第三，做丙。",
    ],
)
def test_suggestions_inline_or_under_any_heading(body: str) -> None:
    proposal = parse_proposal(f"关于改进某项工作的提案\n{body}")
    assert [s.summary for s in proposal.suggestions] == ["做甲", "做乙", "做丙"]
    assert proposal.background == "背景。"


def test_without_a_list_the_paragraphs_are_the_points() -> None:
    proposal = parse_proposal(
        "我市医疗器械产业发展较快，但本地产品进院难。\n希望加强医企对接，畅通采购渠道。"
    )
    assert [s.summary for s in proposal.suggestions] == [
        "我市医疗器械产业发展较快，但本地产品进院难",
        "希望加强医企对接，畅通采购渠道",
    ]
    assert len(parse_proposal("我市医疗器械产业发展较快。").suggestions) == 1


def test_missing_fields_stay_empty() -> None:
    proposal = parse_proposal("我市企业融资难。\n建议：\n一、扩大贷款。\n二、做强基金。")
    assert (proposal.title, proposal.proposer, proposal.session, proposal.number) == ("", "", "", "")
    assert len(proposal.suggestions) == 2


@pytest.mark.parametrize("text", ["", "   \n\u3000 "])
def test_empty_proposal_is_refused_in_chinese(text: str) -> None:
    with pytest.raises(InvalidInput, match="提案内容不能为空"):
        parse_proposal(text)


def test_long_first_sentence_is_cut_at_a_clause() -> None:
    text = (
        "推行政策兑现“免申即享”，依托数字化平台自动比对企业注册证等信息，符合条件的直接兑现，缩短兑现周期。"
    )
    assert summarise(text) == "推行政策兑现“免申即享”，依托数字化平台自动比对企业注册证等信息"


def test_docx_file_is_read(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    for line in (
        "关于加快科创飞地建设的提案",
        "提案人：王芳委员",
        "建议：",
        "一、建设飞地。",
        "二、完善考核。",
    ):
        document.add_paragraph(line)
    path = tmp_path / "proposal.docx"
    document.save(str(path))
    proposal = parse_proposal(read_text(path))
    assert proposal.title == "关于加快科创飞地建设的提案"
    assert len(proposal.suggestions) == 2


def test_unsupported_file_type(tmp_path: Path) -> None:
    path = tmp_path / "proposal.doc"
    path.write_bytes(b"MZ\x90\x00 a program named .doc")
    with pytest.raises(UnsupportedFile, match="不支持的文件类型"):
        read_text(path)
