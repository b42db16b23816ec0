"""A draft reply letter as Markdown: the letter, then its sources (文号, section, quote) as footnotes."""

from __future__ import annotations

from rag.draft.model import Draft


def render_markdown(draft: Draft) -> str:
    lines = [draft.doc_number, "", f"# {draft.title}", "", draft.salutation, "", draft.opening, ""]
    for section in draft.sections:
        lines += [f"## {section.heading}", "", section.status, "", section.next_steps, ""]
        if section.unsupported:
            lines += [f"> ⚠ 以下数字/日期/文号未在引文中找到，请核实：{'、'.join(section.unsupported)}", ""]
    lines += [draft.closing, "", draft.contact, "", draft.issuer, "", draft.date, ""]
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
