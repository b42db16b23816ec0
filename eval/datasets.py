"""Evaluation sets: the hand-built sets over the sample letters and over other bureaus' letters, and the
DRCD dev set (an external benchmark)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.metrics import occurrence
from rag.errors import DafuError
from rag.settings import PROJECT_ROOT

DATA_DIR = Path(__file__).resolve().parent / "data"
LETTERS_QA = DATA_DIR / "letters_qa.jsonl"
OTHER_QA = DATA_DIR / "other_bureaus_qa.jsonl"
# Both corpora below live outside the repository; absent means "skip the set".
DEFAULT_DRCD = PROJECT_ROOT.parent / "shared" / "datasets" / "drcd" / "DRCD_dev.zh-hans.json"
DEFAULT_OTHER = PROJECT_ROOT.parent / "shared" / "corpora" / "other_bureaus"

Fact = tuple[str, ...]  # the accepted forms of one fact: an answer must contain one of them


@dataclass(frozen=True)
class Gold:
    """A gold passage: its quote, and where the set has them, its offsets into the document's raw file
    (``occurrence``: which occurrence of the quote in that file they point at, counted from 0)."""

    doc_id: str
    quote: str
    start: int | None = None
    end: int | None = None
    occurrence: int = 0


@dataclass(frozen=True)
class Question:
    """One question of any set. DRCD questions have one gold item (paragraph id, answer text) and one
    fact whose forms are the reference answers."""

    id: str
    question: str
    answerable: bool
    gold: tuple[Gold, ...]
    facts: tuple[Fact, ...]
    type: str
    style: str = ""


@dataclass(frozen=True)
class Corpus:
    """A set's questions and documents: ``documents`` as (doc_id, text) when the set is built from
    records (DRCD), ``paths`` when it is built from files on disk (``()``: the sample letters)."""

    name: str
    questions: list[Question]
    documents: list[tuple[str, str]] | None = None
    paths: tuple[Path, ...] = ()
    root: Path | None = None  # the corpus folder (other bureaus: holds manifest.jsonl)


def _facts(values: list[Any]) -> tuple[Fact, ...]:
    """A fact is a string, or a list of the forms it may take (``["2021年8月3日", "2021-08-03"]``)."""
    return tuple((v,) if isinstance(v, str) else tuple(v) for v in values)


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_letters(path: Path = LETTERS_QA) -> Corpus:
    questions = [
        Question(
            id=row["id"],
            question=row["question"],
            answerable=bool(row["answerable"]),
            gold=tuple(Gold(g["doc_id"], g["quote"]) for g in row["gold"]),
            facts=_facts(row["facts"]),
            type=row["type"],
            style=row.get("style", ""),
        )
        for row in _rows(path)
        if not row.get("needs_review")  # exported 👎 feedback whose gold and facts are not corrected yet
    ]
    return Corpus("letters", questions)


def load_other_bureaus(root: Path = DEFAULT_OTHER, path: Path = OTHER_QA) -> Corpus:
    """The other bureaus' letters under ``root/letters`` and the questions written over them.

    Each gold passage points at its letter by file stem and by character offsets into the file's raw
    text; a quote that is not the raw text between its offsets stops the load (the set and the corpus
    no longer agree)."""
    files = sorted((root / "letters").glob("*.txt"))
    if not files:
        raise DafuError(f"{root / 'letters'} 下没有答复函（*.txt）。请检查 DAFU_OTHER_BUREAUS_PATH。")
    raw = {p.stem: p.read_text(encoding="utf-8") for p in files}
    questions, wrong = [], []
    for row in _rows(path):
        gold = []
        for g in row["gold"]:
            text = raw.get(g["doc_id"], "")
            if text[g["start"] : g["end"]] != g["quote"]:
                wrong.append(f"{row['id']} {g['doc_id']}[{g['start']}:{g['end']}]")
                continue
            gold.append(
                Gold(g["doc_id"], g["quote"], g["start"], g["end"], occurrence(text, g["quote"], g["start"]))
            )
        questions.append(
            Question(
                id=row["id"],
                question=row["question"],
                answerable=bool(row["answerable"]),
                gold=tuple(gold),
                facts=_facts(row["facts"]),
                type=row["type"],
            )
        )
    if wrong:
        raise DafuError(
            f"{path.name} 的引文与 {root} 中答复函的原文对不上：{'、'.join(wrong[:5])}。"
            "请按原文重新核对这些问题的 start/end。"
        )
    return Corpus("other", questions, paths=tuple(files), root=root)


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
                    facts=(tuple(dict.fromkeys(a["text"] for a in qa["answers"])),),
                    type="drcd",
                )
            )
    name = f"drcd-p{paragraphs}" if paragraphs else "drcd"
    return Corpus(name, questions, documents)


def stratified(questions: list[Question], n: int) -> list[Question]:
    """``n`` questions with the set's mix of types: each type gets its share (largest remainders, at
    least one each while ``n`` allows), its questions taken at even steps through the set's order. The
    same set and ``n`` always give the same sample, so every model is measured on the same questions."""
    if n >= len(questions):
        return list(questions)
    by_type: dict[str, list[Question]] = {}
    for q in questions:
        by_type.setdefault(q.type, []).append(q)
    shares = {t: n * len(qs) / len(questions) for t, qs in by_type.items()}
    counts = {t: min(len(by_type[t]), max(1, int(share))) for t, share in shares.items()}
    ranked = sorted(by_type, key=lambda t: (-(shares[t] - int(shares[t])), t))
    while sum(counts.values()) > n:
        # fewer questions than types: the smallest shares go first
        t = max((t for t in counts if counts[t] > 0), key=lambda t: (counts[t] - shares[t], -shares[t], t))
        counts[t] -= 1
    for t in ranked * n:
        if sum(counts.values()) >= n:
            break
        if counts[t] < len(by_type[t]):
            counts[t] += 1
    picked = {
        id(qs[int(i * len(qs) / counts[t])])
        for t, qs in by_type.items()
        for i in range(counts[t])
        if counts[t]
    }
    return [q for q in questions if id(q) in picked]
