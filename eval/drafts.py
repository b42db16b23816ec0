"""Drafting evaluation over ``eval/data/drafts.jsonl``: ``evaluate_drafts(service, rows) -> dict``.

Per proposal: parse accuracy (title, proposer, kind, number of suggestions); recall of the relevant
letters among the top-3 similar letters; whether every suggestion got a section; citation exactness
(quote == canonical_text[start:end]); numbers/dates/文号 in a section's text that its citations do not
hold (placeholders excluded; must be 0); share of ``must_cite_phrases`` found in the cited quotes.

``python -m eval.drafts`` builds the service from the settings and prints the numbers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.metrics import compact
from rag.claims import unsupported_claims
from rag.draft.model import strip_placeholders
from rag.draft.proposal import parse_proposal

DRAFTS = Path(__file__).resolve().parent / "data" / "drafts.jsonl"
SIMILAR_K = 3


def load_drafts(path: Path = DRAFTS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate_parsing(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Share of proposals whose title, proposer, kind and suggestion count are read correctly."""
    fields = {"title": 0, "proposer": 0, "kind": 0, "suggestions": 0}
    for row in rows:
        p = parse_proposal(row["proposal"])
        fields["title"] += p.title == row["title"]
        fields["proposer"] += p.proposer == row["proposer"]
        fields["kind"] += p.kind == row["kind"]
        fields["suggestions"] += len(p.suggestions) == row["suggestions"]
    n = max(len(rows), 1)
    return {f"parse_{k}": round(v / n, 4) for k, v in fields.items()}


def evaluate_drafts(service: Any, rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Metrics over the drafting set; ``service`` is a ``DafuService`` over the sample letters."""
    rows = load_drafts() if rows is None else rows
    texts: dict[str, str] = {}
    recall, complete, exact, total_cites, invented, phrases, found = 0.0, 0, 0, 0, [], 0, 0
    per_row = []
    for row in rows:
        draft = service.draft(row["proposal"])
        similar = [s.doc_id for s in draft.similar[:SIMILAR_K]]
        relevant = row["relevant_doc_ids"]
        row_recall = sum(d in similar for d in relevant) / len(relevant) if relevant else 1.0
        recall += row_recall
        complete += len(draft.sections) == len(draft.proposal.suggestions) == row["suggestions"]
        for c in draft.citations:
            if c.doc_id not in texts:
                texts[c.doc_id] = service.document(c.doc_id).text
            exact += texts[c.doc_id][c.start : c.end] == c.quote
            total_cites += 1
        row_invented = []
        for section in draft.sections:
            sources = [f"{c.doc_number}\n{c.quote}" for c in section.citations]
            row_invented += unsupported_claims(strip_placeholders(section.text), sources)
        invented += row_invented
        quotes = compact("".join(c.quote for c in draft.citations))
        hit = [p for p in row["must_cite_phrases"] if compact(p) in quotes]
        phrases += len(row["must_cite_phrases"])
        found += len(hit)
        per_row.append(
            {
                "id": row["id"],
                "similar_top3": [s.doc_number for s in draft.similar[:SIMILAR_K]],
                "recall": round(row_recall, 4),
                "sections": len(draft.sections),
                "citations": len(draft.citations),
                "must_cite_found": f"{len(hit)}/{len(row['must_cite_phrases'])}",
                "unsupported": row_invented,
            }
        )
    n = max(len(rows), 1)
    return {
        "rows": len(rows),
        **evaluate_parsing(rows),
        "similar_recall_at_3": round(recall / n, 4),
        "all_suggestions_answered": round(complete / n, 4),
        "citation_exactness": round(exact / total_cites, 4) if total_cites else 1.0,
        "citations": total_cites,
        "unsupported_claims": len(invented),
        "must_cite_recall": round(found / phrases, 4) if phrases else 1.0,
        "per_row": per_row,
    }


def main() -> None:
    from rag.service import build_service
    from rag.settings import get_settings

    settings = get_settings()
    service = build_service(settings)
    if not service.documents() and settings.letters_dir.exists():
        service.ingest([settings.letters_dir])
    result = evaluate_drafts(service)
    for row in result.pop("per_row"):
        print(json.dumps(row, ensure_ascii=False))
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
