"""Evaluation sets: the hand-built letters QA set and the DRCD dev set (an external benchmark)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rag.settings import PROJECT_ROOT

DATA_DIR = Path(__file__).resolve().parent / "data"
LETTERS_QA = DATA_DIR / "letters_qa.jsonl"
# DRCD is CC BY-SA and lives outside the repository; absent means "skip the set".
DEFAULT_DRCD = PROJECT_ROOT.parent / "shared" / "datasets" / "drcd" / "DRCD_dev.zh-hans.json"


@dataclass(frozen=True)
class Gold:
    doc_id: str
    quote: str


@dataclass(frozen=True)
class Question:
    """One question of any set. DRCD questions have one gold item: (paragraph id, answer text)."""

    id: str
    question: str
    answerable: bool
    gold: tuple[Gold, ...]
    facts: tuple[str, ...]
    type: str
    style: str = ""


@dataclass(frozen=True)
class Corpus:
    """Documents of a set as (doc_id, text); ``None`` when the set is built from files on disk."""

    name: str
    questions: list[Question]
    documents: list[tuple[str, str]] | None = None


def load_letters(path: Path = LETTERS_QA) -> Corpus:
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("needs_review"):  # exported 👎 feedback whose gold and facts are not corrected yet
            continue
        questions.append(
            Question(
                id=row["id"],
                question=row["question"],
                answerable=bool(row["answerable"]),
                gold=tuple(Gold(g["doc_id"], g["quote"]) for g in row["gold"]),
                facts=tuple(row["facts"]),
                type=row["type"],
                style=row.get("style", ""),
            )
        )
    return Corpus("letters", questions)


def load_drcd(path: Path, paragraphs: int | None = None) -> Corpus:
    """Every paragraph becomes a document named by its id; every question points at its paragraph.

    ``paragraphs``: only the first N paragraphs in file order, and their questions."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    documents: list[tuple[str, str]] = []
    questions: list[Question] = []
    chosen = [para for article in raw["data"] for para in article["paragraphs"]][:paragraphs]
    for para in chosen:
        documents.append((para["id"], para["context"]))
        for qa in para["qas"]:
            answer = qa["answers"][0]["text"]
            questions.append(
                Question(
                    id=qa["id"],
                    question=qa["question"],
                    answerable=True,
                    gold=(Gold(para["id"], answer),),
                    facts=tuple(dict.fromkeys(a["text"] for a in qa["answers"])),
                    type="drcd",
                )
            )
    name = f"drcd-p{paragraphs}" if paragraphs else "drcd"
    return Corpus(name, questions, documents)
