"""Draft a reply letter (答复函) to a new proposal from cited sentences of past letters.

``Drafter.draft(proposal) -> Draft``. Offline, every sentence of a section body is a verbatim slice of
a past letter with its citation; only the letter's fixed formulas and "下一步，" are added. With an LLM,
each section is rewritten from its cited sentences only and every number/date/文号 in the rewrite that
those sentences do not hold is listed in ``DraftSection.unsupported``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from index.store import ChromaStore
from rag.ask.question import LetterCatalogue, Question
from rag.ask.retrieval import Retriever
from rag.ask.vectors import Vectors
from rag.draft.markdown import render_markdown
from rag.draft.material import Material, MaterialFinder, MaterialWeights, Pick
from rag.draft.model import PLACEHOLDER, Draft, DraftSection, SimilarLetter, heading_for, todo
from rag.draft.proposal import Proposal
from rag.draft.rewrite import rewrite_section
from rag.draft.similar import SimilarLetters
from rag.errors import InvalidInput, LLMUnavailable
from rag.ledger.ledger import Ledger
from rag.ledger.model import Entry, FigureChange
from rag.llm.client import ChatClient
from rag.types import Citation
from rag.vocabulary import RENDA

MODES = ("offline", "llm")
_Key = tuple[str, int, int]  # (doc_id, start, end) of a cited span


class Drafter:
    """``draft(proposal, top_k, mode) -> Draft``.

    ``issuer`` signs the draft; empty = the issuer most of the indexed letters (``letters``) name.
    ``closing`` is the closing sentence, with ``{addressee}`` for the proposer. ``llm`` = ``None``:
    offline only.
    """

    def __init__(
        self,
        retriever: Retriever,
        parse: Callable[[str], Question],
        store: ChromaStore,
        vectors: Vectors,
        letters: LetterCatalogue,
        *,
        issuer: str = "",
        closing: str = "最后，再次感谢{addressee}一直以来对我们工作的关心和支持！",
        llm: ChatClient | None = None,
        weights: MaterialWeights = MaterialWeights(),
        ledger: Ledger | None = None,
    ) -> None:
        self.similar = SimilarLetters(store, vectors)
        self.material = MaterialFinder(retriever, parse, store, vectors, weights)
        self.letters = letters
        self.issuer = issuer
        self.closing = closing
        self.llm = llm
        self.ledger = ledger

    def draft(self, proposal: Proposal, top_k: int = 5, mode: str = "offline") -> Draft:
        if mode not in MODES:
            raise InvalidInput(f"未知的起草模式“{mode}”，可选 offline 或 llm。")
        if mode == "llm" and self.llm is None:
            raise LLMUnavailable(
                "未配置大模型：请设置 DAFU_LLM_BASE_URL（任意 OpenAI 兼容接口），或改用离线起草（mode=offline）。"
            )
        if not proposal.suggestions:
            raise InvalidInput("没有从提案中识别出具体建议。请确认提案包含“建议：”及分条列出的建议后重试。")
        issuer = self.issuer or self._usual_issuer()
        similar = self.similar.find(proposal, top_k)
        materials = self.material.find(proposal, top_k)
        numbering: dict[_Key, int] = {}
        sections = []
        for n, (suggestion, material) in enumerate(zip(proposal.suggestions, materials, strict=True)):
            section = _section(n, suggestion.summary, suggestion.text, material, numbering)
            if self.llm is not None and mode == "llm":
                section = rewrite_section(self.llm, section, proposal, issuer)
            sections.append(section)
        return self._assemble(proposal, mode, tuple(sections), _ordered(numbering, sections), similar, issuer)

    def _usual_issuer(self) -> str:
        """The body most of the indexed letters are signed by (a bureau indexes its own replies)."""
        counts = Counter(meta.issuer for _, meta in self.letters() if meta.issuer)
        return counts.most_common(1)[0][0] if counts else ""

    def _assemble(
        self,
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
        kind = proposal.kind or todo("类别")
        opening = (
            f"您在{session}期间所提的《{proposal.title or todo('提案标题')}》（{kind}{number}号）收悉。"
            f"{we(issuer)}高度重视，在汇总{todo('会办单位')}会办意见的基础上，认真调查研究，现答复如下："
        )
        draft = Draft(
            proposal=proposal,
            mode=mode,
            doc_number=todo("文号"),
            title=f"关于{session}第{number}号{noun}的答复函",
            salutation=f"{addressee}：",
            opening=opening,
            sections=sections,
            closing=self.closing.format(addressee=addressee),
            contact="联系人：【待填】，联系电话：【待填】",
            issuer=issuer or todo("发文单位"),
            date=todo("日期"),
            citations=citations,
            similar=tuple(similar),
            placeholders=(),
            markdown="",
        )
        if self.ledger is not None:
            draft = draft.model_copy(
                update={
                    "commitments": earlier_commitments(self.ledger, proposal),
                    "changed_figures": changed_figures(self.ledger, proposal, citations),
                }
            )
        markdown = render_markdown(draft)
        placeholders = tuple(dict.fromkeys(PLACEHOLDER.findall(markdown)))
        return draft.model_copy(update={"markdown": markdown, "placeholders": placeholders})


_EARLIER = 8  # earlier commitments shown at most


def earlier_commitments(ledger: Ledger, proposal: Proposal) -> tuple[Entry, ...]:
    """The commitments of earlier replies on the proposal's topics (its title, each suggestion), best
    first, each once."""
    topics = [proposal.title] + [s.summary for s in proposal.suggestions]
    found: dict[str, tuple[float, Entry]] = {}
    for topic in filter(None, topics):
        for share, entry in ledger.related(topic, k=3):
            key = entry.commitment.commitment_id
            if key not in found or found[key][0] < share:
                found[key] = (share, entry)
    ranked = sorted(found.values(), key=lambda p: p[0], reverse=True)[:_EARLIER]
    return tuple(entry for _, entry in ranked)


def changed_figures(
    ledger: Ledger, proposal: Proposal, citations: tuple[Citation, ...]
) -> tuple[FigureChange, ...]:
    """Figures that changed between letters, where the draft quotes either passage or the passages speak
    of the proposal's topic (the words of its title)."""
    cited = [(c.doc_id, c.start, c.end) for c in citations]
    topic = proposal.title or " ".join(s.summary for s in proposal.suggestions)
    about = {e.commitment.doc_id for _, e in ledger.related(topic, k=10)} if topic else set()
    out = []
    for change in ledger.changes():
        sides = (change.earlier, change.later)
        quoted = any(d == s.doc_id and a < s.end and s.start < b for s in sides for d, a, b in cited)
        if quoted or any(s.doc_id in about for s in sides):
            out.append(change)
    return tuple(out)


def we(issuer: str) -> str:
    """How a letter names its issuer: 我局, 我委, 我厅, 我办 — or 我们 when the issuer is not known."""
    name = issuer.removesuffix("委员会") + ("委" if issuer.endswith("委员会") else "")
    return f"我{name[-1]}" if name and name[-1] in "局委厅办院" else "我们"


def _section(
    n: int, summary: str, suggestion: str, material: Material, numbering: dict[_Key, int]
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
    return section.checked()


def _ordered(numbering: dict[_Key, int], sections: list[DraftSection]) -> tuple[Citation, ...]:
    by_key = {(c.doc_id, c.start, c.end): c for s in sections for c in s.citations}
    return tuple(
        by_key[key] for key, _ in sorted(numbering.items(), key=lambda item: item[1]) if key in by_key
    )
