"""Drafting a reply on the real indexed sample letters: cited, exact, no invented numbers, letter form."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from eval.drafts import load_drafts
from rag.claims import unsupported_claims
from rag.cli import cli
from rag.draft.docx import write_docx
from rag.draft.drafter import we
from rag.draft.material import Pick, quote_spans, resolve_conflicts
from rag.draft.model import Draft, check_section, cn_ordinal
from rag.draft.rewrite import parse_parts, rewrite_section
from rag.errors import LLMUnavailable
from rag.service import DafuService, build_service
from rag.types import Citation
from tests.conftest import make_settings
from tests.factories import make_hit
from tests.rag.draft.test_proposal import ONE_PARAGRAPH

D001 = next(r for r in load_drafts() if r["id"] == "d001")
REPLY_115 = "温科提复〔2024〕115号"


@pytest.fixture(scope="module")
def d001(service: DafuService) -> Draft:
    return service.draft(D001["proposal"])


def test_every_citation_is_an_exact_slice_of_its_letter(service: DafuService, d001: Draft) -> None:
    assert d001.citations
    for c in d001.citations:
        assert service.document(c.doc_id).text[c.start : c.end] == c.quote
    for section in d001.sections:
        for c in section.citations:
            assert c in d001.citations


def test_no_number_in_the_draft_is_missing_from_its_citations(d001: Draft) -> None:
    for section in d001.sections:
        assert section.unsupported == ()
        quotes = [f"{c.doc_number}\n{c.quote}" for c in section.citations]
        body = section.text.replace("【待填：工作举措】", "").replace(
            "【待填：现状（已收录答复函中未找到相关内容，请会办单位补充）】", ""
        )
        assert unsupported_claims(body, quotes) == []


def test_medical_device_proposal_draws_on_reply_115(d001: Draft) -> None:
    assert d001.similar[0].doc_number == REPLY_115
    cited = [c for c in d001.citations if c.doc_number == REPLY_115]
    quotes = "".join(c.quote for c in cited)
    assert "三张清单" in quotes
    assert "“优质优选、就近供应、降低成本”原则优先采购温州制造生物器械" in quotes
    # Every marker of the text points at a listed source.
    for n in range(1, len(d001.citations) + 1):
        assert f"[{n}]" in d001.markdown


def test_draft_has_the_form_of_a_reply_letter(d001: Draft) -> None:
    assert d001.title == "关于市政协十二届四次会议第087号提案的答复函"
    assert d001.salutation == "民进市委会："
    assert d001.opening.startswith(
        "您在市政协十二届四次会议期间所提的《关于推动温州本土医疗器械产品进入本地医院的提案》（政协提案087号）收悉。"
    )
    assert d001.opening.endswith("认真调查研究，现答复如下：")
    assert [s.heading for s in d001.sections] == [
        "一、关于“建立本地创新医疗器械进院‘绿色通道’”的建议",
        "二、关于“完善进院清单动态更新机制”的建议",
        "三、关于“设立创新产品应用示范奖励”的建议",
        "四、关于“搭建常态化医企对接平台”的建议",
    ]
    assert all(s.next_steps.startswith("下一步，") for s in d001.sections)
    assert d001.closing == "最后，再次感谢民进市委会一直以来对我们工作的关心和支持！"
    # Signed by the issuer most indexed letters name, which names itself as a 局 does.
    assert d001.issuer == "温州市科学技术局"
    assert "我局高度重视" in d001.opening
    assert d001.markdown.startswith("【待填：文号】\n\n# 关于市政协十二届四次会议第087号提案的答复函")
    assert {"【待填：文号】", "【待填：会办单位】", "【待填】", "【待填：日期】"} <= set(d001.placeholders)
    assert "联系人：【待填】，联系电话：【待填】" in d001.markdown


def test_docx_is_an_official_letter(d001: Draft) -> None:
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Mm

    data = write_docx(d001)
    assert zipfile.is_zipfile(io.BytesIO(data))
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    assert "关于市政协十二届四次会议第087号提案的\n答复函" in texts
    heading = next(p for p in document.paragraphs if p.text == d001.sections[0].heading)
    assert heading.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    title = next(p for p in document.paragraphs if p.text.startswith("关于市政协"))
    assert title.runs[0].font.size.pt == 22
    assert title.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    body = next(p for p in document.paragraphs if p.text.startswith("您在"))
    assert body.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert body.paragraph_format.line_spacing.pt == 28
    page = document.sections[0]
    assert round(page.top_margin / Mm(1)) == 37 and round(page.left_margin / Mm(1)) == 28
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["序号", "文号", "章节", "引文"]
    assert len(table.rows) == len(d001.citations) + 1
    assert table.rows[1].cells[1].text == d001.citations[0].doc_number


def test_older_letter_with_other_numbers_is_noted_and_cited() -> None:
    old = make_hit("2022年上半年新引育院士3人，入选省“鲲鹏行动”计划3人。", doc_id="139", year=2022,
                   doc_number="温科提复〔2022〕139号")  # fmt: skip
    new = make_hit("2022年，引进院士1人，入选鲲鹏2人，全职到岗国家、省“引才计划”5人。", doc_id="121",
                   year=2023, doc_number="温科提复〔2023〕121号")  # fmt: skip
    picks = [_pick(old, 0.9), _pick(new, 0.5)]
    chosen, conflicts = resolve_conflicts([picks[0]], picks)
    assert chosen == [picks[1]]
    assert conflicts == [(picks[1], picks[0])]


def _pick(hit, score: float) -> Pick:  # type: ignore[no-untyped-def]
    return Pick(Citation.of(hit, 0, len(hit.text), score), hit.text, hit.year, score, False)


def test_quote_spans_cut_lead_ins_skip_headings_and_join_short_heads() -> None:
    text = "四、加大政策支持力度\n下一步，具体如下：一是加大财政科技投入。2023年预算安排1000万元。另一方面，推动医疗器械传统优势产业企业与在温高校建立校企合作机制；二是短句。"
    spans = [text[a:b] for a, b in quote_spans(text)]
    # "二是短句。" is a heading with nothing after it in the passage: not quotable alone.
    assert spans == [
        "加大财政科技投入。2023年预算安排1000万元。",
        "推动医疗器械传统优势产业企业与在温高校建立校企合作机制；",
    ]


def test_section_note_cites_both_letters_without_inventing(service: DafuService, d001: Draft) -> None:
    for section in d001.sections:
        for note in section.notes:
            assert "采用较新数据" in note
        assert check_section(section) == []


def test_llm_rewrite_flags_numbers_not_in_citations(d001: Draft) -> None:
    section = d001.sections[0]
    first = section.numbers[0]
    quote = section.citations[0].quote

    class Stub:
        def chat(self, messages: list[dict[str, str]], max_tokens: int = 512, temperature: float = 0) -> str:
            assert quote in messages[-1]["content"]
            return f"现状：我市已有支持政策[{first}]，共支持企业999家[{first}][77]。\n下一步：将继续推进[{first}]。"

    rewritten = rewrite_section(Stub(), section, d001.proposal)
    assert rewritten.status == f"我市已有支持政策[{first}]，共支持企业999家[{first}]。"
    assert rewritten.next_steps == f"下一步，将继续推进[{first}]。"
    assert rewritten.unsupported == ("999家",)


def test_parse_parts_keeps_continuation_lines() -> None:
    assert parse_parts("**现状：** 甲[1]\n乙[2]\n下一步：丙[3]") == {"现状": "甲[1]乙[2]", "下一步": "丙[3]"}


def test_llm_mode_without_an_llm_says_what_to_do(service: DafuService) -> None:
    with pytest.raises(LLMUnavailable, match="DAFU_LLM_BASE_URL"):
        service.draft(D001["proposal"], mode="llm")


def test_a_proposal_without_a_list_is_answered_point_by_point(service: DafuService) -> None:
    draft = service.draft("本地医疗器械企业的创新产品进医院难。\n医院和企业之间缺少对接渠道。")
    assert len(draft.sections) == 2


def test_a_proposal_typed_as_one_paragraph_drafts_three_sections(service: DafuService) -> None:
    draft = service.draft(ONE_PARAGRAPH)
    assert len(draft.sections) == 3
    assert "温科提复〔2024〕115号" in draft.markdown and "三张清单" in draft.markdown


def test_issuer_and_closing_come_from_settings(indexed_dir: Path) -> None:
    settings = make_settings(
        indexed_dir, issuer="某市教育委员会", draft_closing="感谢{addressee}的支持！", top_k=3
    )
    draft = build_service(settings).draft(D001["proposal"])
    assert draft.issuer == "某市教育委员会"
    assert "\n某市教育委员会\n" in draft.markdown
    assert "我委高度重视" in draft.opening
    assert draft.closing == "感谢民进市委会的支持！"
    assert len(draft.similar) == 3  # DAFU_TOP_K


def test_how_a_letter_names_its_issuer() -> None:
    assert [we(x) for x in ("某市科学技术局", "某省教育厅", "某市发展和改革委员会", "某市卫健委", "某区人民政府", "")] == [
        "我局", "我厅", "我委", "我委", "我们", "我们",
    ]  # fmt: skip


def test_cn_ordinal() -> None:
    assert [cn_ordinal(n) for n in (0, 9, 10, 19)] == ["一", "十", "十一", "二十"]


def test_cli_refuses_unsupported_files_and_outputs(tmp_path: Path) -> None:
    old = tmp_path / "proposal.xlsx"
    old.write_bytes(b"PK\x03\x04 not a letter")
    result = CliRunner().invoke(cli, ["draft", str(old)])
    assert result.exit_code == 1
    assert "不支持的文件类型" in result.output
    text = tmp_path / "proposal.txt"
    text.write_text("关于测试的提案\n建议：\n一、甲。\n二、乙。", encoding="utf-8")
    result = CliRunner().invoke(cli, ["draft", str(text), "-o", str(tmp_path / "reply.pdf")])
    assert result.exit_code == 1
    assert "请以 .docx 或 .md 结尾" in result.output


EYE_AND_GENE_VALLEYS = (
    "关于加快中国眼谷、中国基因药谷建设的提案\n民盟市委会\n"
    "眼谷、药谷集聚了一批企业，但成果转化不足。\n建议：\n一、加快眼谷、药谷产业平台建设。\n"
    "二、推动概念验证中心落地眼谷、药谷。"
)


def test_a_draft_shows_earlier_commitments_and_changed_figures(service: DafuService) -> None:
    draft = service.draft(EYE_AND_GENE_VALLEYS)
    assert draft.commitments and all(e.commitment.doc_number for e in draft.commitments)
    assert any("眼谷" in e.commitment.quote for e in draft.commitments)
    assert any({c.earlier_value, c.later_value} == {"216家", "203家"} for c in draft.changed_figures)
    assert "此前答复中的承诺及落实情况" in draft.markdown
    assert "目前：" in draft.markdown and "216家" in draft.markdown and "203家" in draft.markdown
    # The .docx a drafter downloads carries the same notes, after the sources.
    import docx

    document = docx.Document(io.BytesIO(write_docx(draft)))
    texts = [p.text for p in document.paragraphs]
    start = texts.index("附：供起草参考：此前答复中的承诺及落实情况")
    notes = texts[start + 1 :]
    assert len(notes) == len(draft.commitments) + len(draft.changed_figures)
    assert any("目前：" in n for n in notes) and any("216家" in n and "203家" in n for n in notes)
    assert document.tables  # the sources table comes first, on the appendix page
