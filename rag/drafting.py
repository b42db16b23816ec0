"""Draft a reply letter (答复函) to a new proposal from cited sentences of past letters.

``Drafter.draft(proposal) -> Draft``. Offline, every sentence of a section body is a verbatim slice of
a past letter with its citation; only the letter's fixed formulas and "下一步，" are added. With an LLM,
each section is rewritten from its cited sentences only and every number/date/文号 in the rewrite that
those sentences do not hold is listed in ``DraftSection.unsupported``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import BaseModel, ConfigDict

from index.store import ChromaStore
from rag.claims import unsupported_claims
from rag.draft_sources import Material, MaterialFinder, Pick, QueryVectors, SimilarLetter, SimilarLetters
from rag.errors import InvalidInput, LLMUnavailable
from rag.proposal import RENDA, Proposal
from rag.retrieval import Retriever
from rag.types import Citation

log = logging.getLogger(__name__)

ISSUER = "温州市科学技术局"
_PLACEHOLDER = re.compile(r"【待填[^】]*】")


def todo(what: str) -> str:
    """A visible placeholder for what the drafter cannot know."""
    return f"【待填：{what}】"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class DraftSection(_Frozen):
    heading: str  # 一、关于“…”的建议
    suggestion: str  # the proposal's suggestion it answers
    status: str  # 现状 paragraph, with [n] markers into Draft.citations
    next_steps: str  # 下一步 paragraph, with [n] markers
    citations: tuple[Citation, ...] = ()
    numbers: tuple[int, ...] = ()  # the [n] of each citation above
    notes: tuple[str, ...] = ()  # e.g. two letters disagree and the newer one is used
    unsupported: tuple[str, ...] = ()  # numbers/dates/文号 of the text that its citations do not hold

    @property
    def text(self) -> str:
        return f"{self.status}\n{self.next_steps}"


class Draft(_Frozen):
    proposal: Proposal
    mode: str  # offline | llm
    doc_number: str
    title: str
    salutation: str
    opening: str
    sections: tuple[DraftSection, ...]
    closing: str
    contact: str
    issuer: str
    date: str
    citations: tuple[Citation, ...]
    similar: tuple[SimilarLetter, ...]
    placeholders: tuple[str, ...]
    markdown: str

    def to_docx(self) -> bytes:
        from rag.docx_writer import write_docx

        return write_docx(self)


class Drafter:
    """``draft(proposal, top_k, mode) -> Draft``.

    ``llm`` is an ``OpenAICompatibleClient`` (or anything with its ``chat``); ``None`` = offline only.
    """

    def __init__(
        self,
        retriever: Retriever,
        store: ChromaStore,
        embedder: BaseEmbedding,
        *,
        llm: Any = None,
        issuer: str = ISSUER,
    ) -> None:
        queries = QueryVectors(embedder)
        self.similar = SimilarLetters(store, queries)
        self.material = MaterialFinder(retriever, store, queries)
        self.llm = llm
        self.issuer = issuer

    def draft(self, proposal: Proposal, top_k: int = 5, mode: str = "offline") -> Draft:
        if mode not in ("offline", "llm"):
            raise InvalidInput(f"未知的起草模式“{mode}”，可选 offline 或 llm。")
        if mode == "llm" and self.llm is None:
            raise LLMUnavailable(
                "未配置大模型：请设置 DAFU_LLM_BASE_URL（任意 OpenAI 兼容接口），或改用离线起草（mode=offline）。"
            )
        if not proposal.suggestions:
            raise InvalidInput("没有从提案中识别出具体建议。请确认提案包含“建议：”及分条列出的建议后重试。")
        similar = self.similar.find(proposal, top_k)
        materials = self.material.find(proposal, top_k)
        numbering: dict[tuple[str, int, int], int] = {}
        sections = []
        for n, (suggestion, material) in enumerate(zip(proposal.suggestions, materials, strict=True)):
            section = _section(n, suggestion.summary, suggestion.text, material, numbering)
            if mode == "llm":
                section = self._rewrite(section, proposal)
            sections.append(section)
        citations = _ordered(numbering, sections)
        return _assemble(proposal, mode, tuple(sections), citations, similar, self.issuer)

    def _rewrite(self, section: DraftSection, proposal: Proposal) -> DraftSection:
        from rag.draft_llm import rewrite_section

        return rewrite_section(self.llm, section, proposal)


_CN_NUMERALS = "一二三四五六七八九十"


def cn_ordinal(n: int) -> str:
    """0 -> 一, 9 -> 十, 10 -> 十一, 19 -> 二十."""
    n += 1
    if n <= 10:
        return _CN_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else _CN_NUMERALS[tens - 1]
    return head + "十" + (_CN_NUMERALS[ones - 1] if ones else "")


def heading_for(n: int, summary: str) -> str:
    inner = summary.replace("“", "‘").replace("”", "’")
    return f"{cn_ordinal(n)}、关于“{inner}”的建议"


def _section(
    n: int, summary: str, suggestion: str, material: Material, numbering: dict[tuple[str, int, int], int]
) -> DraftSection:
    def mark(pick: Pick) -> str:
        key = (pick.citation.doc_id, pick.citation.start, pick.citation.end)
        number = numbering.setdefault(key, len(numbering) + 1)
        return f"[{number}]"

    status_parts = [pick.display + mark(pick) for pick in material.status]
    notes = []
    for newer, older in material.conflicts:
        note = (
            f"（{newer.citation.doc_number}与{older.citation.doc_number}所述数字不同，采用较新数据"
            f"{mark(newer)}，旧数据见{mark(older)}）"
        )
        notes.append(note)
    status = "".join(status_parts) + "".join(notes) or todo(
        "现状（已收录答复函中未找到相关内容，请会办单位补充）"
    )
    next_parts = [pick.display + mark(pick) for pick in material.next_steps]
    next_steps = "下一步，" + "".join(next_parts) if next_parts else "下一步，" + todo("工作举措")
    picks = [*material.status, *material.next_steps, *(older for _, older in material.conflicts)]
    cites = {(p.citation.doc_id, p.citation.start, p.citation.end): p.citation for p in picks}
    ordered = sorted(cites.items(), key=lambda item: numbering[item[0]])
    section = DraftSection(
        heading=heading_for(n, summary),
        suggestion=suggestion,
        status=status,
        next_steps=next_steps,
        citations=tuple(c for _, c in ordered),
        numbers=tuple(numbering[k] for k, _ in ordered),
        notes=tuple(notes),
    )
    return section.model_copy(update={"unsupported": tuple(check_section(section))})


def check_section(section: DraftSection) -> list[str]:
    """Numbers, dates and 文号 of the section's text that none of its citations holds (placeholders excluded)."""
    sources = [f"{c.doc_number}\n{c.quote}" for c in section.citations]
    return unsupported_claims(strip_placeholders(section.text), sources)


def strip_placeholders(text: str) -> str:
    return _PLACEHOLDER.sub("", text)


def _ordered(
    numbering: dict[tuple[str, int, int], int], sections: list[DraftSection]
) -> tuple[Citation, ...]:
    by_key = {(c.doc_id, c.start, c.end): c for s in sections for c in s.citations}
    return tuple(
        by_key[key] for key, _ in sorted(numbering.items(), key=lambda item: item[1]) if key in by_key
    )


def _assemble(
    proposal: Proposal,
    mode: str,
    sections: tuple[DraftSection, ...],
    citations: tuple[Citation, ...],
    similar: list[SimilarLetter],
    issuer: str,
) -> Draft:
    renda = proposal.kind == RENDA
    noun = "建议" if renda else "提案"
    session = proposal.session or todo("会议届次")
    number = proposal.number or todo("编号")
    addressee = proposal.proposer or todo("提案人" if not renda else "代表")
    title = f"关于{session}第{number}号{noun}的答复函"
    kind = proposal.kind or todo("类别")
    opening = (
        f"您在{session}期间所提的《{proposal.title or todo('提案标题')}》（{kind}{number}号）收悉。"
        f"我局高度重视，在汇总{todo('会办单位')}会办意见的基础上，认真调查研究，现答复如下："
    )
    closing = f"最后，再次感谢{addressee}一直以来对全市科技创新工作的关心和支持！"
    contact = "联系人：【待填】，联系电话：【待填】"
    draft = Draft(
        proposal=proposal,
        mode=mode,
        doc_number=todo("文号"),
        title=title,
        salutation=f"{addressee}：",
        opening=opening,
        sections=sections,
        closing=closing,
        contact=contact,
        issuer=issuer,
        date=todo("日期"),
        citations=citations,
        similar=tuple(similar),
        placeholders=(),
        markdown="",
    )
    from rag.draft_markdown import render_markdown

    markdown = render_markdown(draft)
    placeholders = tuple(dict.fromkeys(_PLACEHOLDER.findall(markdown)))
    return draft.model_copy(update={"markdown": markdown, "placeholders": placeholders})
