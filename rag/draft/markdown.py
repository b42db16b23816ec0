"""A draft reply letter as Markdown: the letter, then its sources (文号, section, quote) as footnotes."""

from __future__ import annotations

from rag.draft.model import Draft
from rag.ledger.model import STATUS_WORDS

NOTES_HEADING = "供起草参考：此前答复中的承诺及落实情况"


def reference_notes(draft: Draft) -> list[str]:
    """What earlier replies promised on the proposal's topics and what became of it, and figures two
    letters state differently: for the drafter, below the letter (Markdown) or in its appendix (.docx)."""
    notes: list[str] = []
    for entry in draft.commitments:
        promise = entry.commitment
        where = f"{promise.doc_number or promise.title or promise.doc_id}（{promise.year or '年份不详'}）"
        note = f"此前答复{where}中承诺：“{_one_line(promise.quote)}”，目前：{STATUS_WORDS[entry.status]}"
        if entry.evidence:
            ev = entry.evidence[0]
            note += f"（依据：{ev.doc_number or ev.title or ev.doc_id}：“{_one_line(ev.quote)}”）"
        notes.append(note)
    for ch in draft.changed_figures:
        notes.append(
            f"⚠ 数字前后不一：{ch.subject}，{ch.earlier.doc_number or ch.earlier.doc_id}为{ch.earlier_value}"
            f"（“{_one_line(ch.earlier.quote)}”），{ch.later.doc_number or ch.later.doc_id}为{ch.later_value}"
            f"（“{_one_line(ch.later.quote)}”）。引用时请采用较新数据并注明来源。"
        )
    return notes


def render_markdown(draft: Draft) -> str:
    lines = [draft.doc_number, "", f"# {draft.title}", "", draft.salutation, "", draft.opening, ""]
    for section in draft.sections:
        lines += [f"## {section.heading}", "", section.status, "", section.next_steps, ""]
        if section.unsupported:
            lines += [f"> ⚠ 以下数字/日期/文号未在引文中找到，请核实：{'、'.join(section.unsupported)}", ""]
    lines += [draft.closing, "", draft.contact, "", draft.issuer, "", draft.date, ""]
    notes = reference_notes(draft)
    if notes:
        lines += ["---", "", f"**{NOTES_HEADING}**", ""]
        lines += [f"- {note}" for note in notes]
        lines.append("")
    if draft.citations:
        lines += ["---", "", "**引用来源**", ""]
        for n, c in enumerate(draft.citations, start=1):
            source = c.doc_number or c.title or c.doc_id
            lines.append(f"[{n}] {source} · {c.section}：“{_one_line(c.quote)}”")
        lines.append("")
    if draft.similar:
        lines += ["**参考的相似答复函**", ""]
        for s in draft.similar:
            topic = f"《{s.proposal_title}》" if s.proposal_title else s.title
            lines.append(f"- {s.doc_number} {topic}（相似度 {s.score:.2f}）")
        lines.append("")
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())
