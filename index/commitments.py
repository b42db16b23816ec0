"""What a letter promises: every sentence of its 下一步 parts and every other sentence in which the
body says what it will do (将/拟/计划/力争/确保 …), with the exact span in the canonical text.

A unit is a sentence (ends 。！？); an enumeration label that stands as its own sentence ("一是强化政策
保障。") is joined to the sentence it introduces and names its topic; a sentence that only announces a
list ("将着力做好以下工作：") is no promise of its own. Nothing is read from the header, the closing
thanks or the signature. Extraction is a pure function of the text and its metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from index.chunking import CLOSING, NEXT_STEP, OPENING, SIGNATURE, paragraphs
from index.letter import ORG_NAME
from rag.types import Commitment, LetterMeta
from rag.vocabulary import NEXT_STEP_HEADING, PROMISE, PROMISE_INTRO, PROMISES_FOLLOW

# Bumped whenever extraction changes, so stored ledgers are extracted again.
EXTRACTOR_VERSION = "1"

_SENTENCE = re.compile(r"[^。！？!?]*[。！？!?]+[”’」』）)]*|[^。！？!?]+$")
# A list announced after a colon starts a new unit: "…开展工作：一是…".
_COLON_BEFORE_ENUM = re.compile(
    r"[：:](?=\s*(?:[一二三四五六七八九十]+是|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[、.．](?!\d)|[①-⑩]))"
)
_ENUM_LABEL = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+是|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[、.．](?!\d)|[①-⑩])\s*"
)
_LABEL_MAX = 24
_DETAIL = ("其中", "具体为", "包括")  # a sentence that details the promise before it
_TITLE = re.compile(r"《[^》]*》")  # a document's name (《…提升计划实施方案》) promises nothing
_WORDS = re.compile(r"[\W_]+")
_MIN_WORDS = 6  # "今后，" cut off by the end of an excerpt promises nothing
_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)])")
_HEADING_MAX = 40
_SKIPPED = (OPENING, CLOSING, SIGNATURE)
FIGURE = re.compile(
    r"\d+(?:\.\d+)?\s*(?:万亿|亿|万|千)?\s*"
    r"(?:元|家|个|项|人|名|所|座|次|场|套|台|条|件|种|批|户|吨|平方米|平方公里|公里|亩|%|％|倍|万人次|人次)"
    r"(?:以上|左右|以内)?"
)
_WHEN = re.compile(
    r"(?:到|至|在|于)?\d{4}\s*年(?:底|末|内|前|上半年|下半年|\d{1,2}\s*月(?:底|前)?)?"
    r"|今年(?:底|内)?|明年|年底前|年内|近期|尽快"
)
_UNIT = re.compile(rf"({ORG_NAME})(?:负责|牵头)")


@dataclass(frozen=True)
class Unit:
    start: int
    end: int
    section: str
    label: str  # the enumeration label's words, when the unit starts with one


def extract_commitments(doc_id: str, version: str, text: str, meta: LetterMeta) -> list[Commitment]:
    """Every commitment of a letter, in reading order. ``version`` is the document's committed version
    (it keys the commitment ids)."""
    if meta.articles:
        return []
    out: list[Commitment] = []
    previous = False  # the unit before was a commitment
    for unit in body_units(text, meta):
        quote = text[unit.start : unit.end]
        next_step = _in_next_step(unit.section)
        promise = (
            next_step
            or bool(PROMISE.search(_TITLE.sub("《》", quote)))
            or (previous and quote.startswith(_DETAIL))
        )
        previous = promise
        if (
            not promise
            or PROMISE_INTRO.search(_last_clause(quote))
            or len(_WORDS.sub("", quote)) < _MIN_WORDS
        ):
            continue
        out.append(
            Commitment(
                commitment_id=f"{doc_id}:{version}:{len(out):03d}",
                doc_id=doc_id,
                doc_number=meta.doc_number,
                title=meta.title,
                year=meta.year,
                date=meta.date,
                section=unit.section,
                topic=unit.label or _topic(unit.section) or meta.proposal_title or meta.title,
                quote=quote,
                start=unit.start,
                end=unit.end,
                next_step=next_step,
                figures=tuple(dict.fromkeys(m.group(0) for m in FIGURE.finditer(quote))),
                dates=tuple(dict.fromkeys(m.group(0) for m in _WHEN.finditer(quote))),
                units=tuple(dict.fromkeys(m.group(1) for m in _UNIT.finditer(quote))),
            )
        )
    return out


def _last_clause(quote: str) -> str:
    """The words after the last comma or semicolon (the final punctuation kept)."""
    return re.split(r"[，,；;。]", quote[:-1])[-1] + quote[-1:] if quote else ""


def _in_next_step(section: str) -> bool:
    return section.endswith(NEXT_STEP) or any(NEXT_STEP_HEADING.search(part) for part in section.split(" > "))


def _topic(section: str) -> str:
    last = section.split(" > ")[-1] if section else ""
    if last == NEXT_STEP:
        parts = section.split(" > ")
        last = parts[-2] if len(parts) > 1 else ""
    return re.sub(r"^[一二三四五六七八九十]+、|^[（(][一二三四五六七八九十]+[）)]", "", last).strip()


def body_units(text: str, meta: LetterMeta) -> Iterator[Unit]:
    """Sentence units of the body; after a paragraph that ends announcing the promises to follow
    ("下一步，我们将着力做好以下工作。"), every later section is a 下一步 part."""
    promised = False
    for para_start, para_end, section in paragraphs(text, meta):
        if section in _SKIPPED:
            continue
        if promised and not section.endswith(NEXT_STEP):
            section = f"{section} > {NEXT_STEP}"
        if PROMISES_FOLLOW.search(_last_clause(text[para_start:para_end].rstrip())):
            promised = True
        label = ""
        pending: int | None = None  # start of an enumeration label waiting for its sentence
        for n, (start, end) in enumerate(_sentences(text, para_start, para_end)):
            words = text[start:end]
            if n == 0 and _HEADING.match(words) and end - start <= _HEADING_MAX:
                continue  # a section heading names the promises under it; it promises nothing itself
            enum = _ENUM_LABEL.match(words)
            if enum and end - start <= _LABEL_MAX and not _WHEN.search(words):
                label = words[enum.end() :].rstrip("。！？!?：: ")
                pending = start if pending is None else pending
                continue
            if enum:
                label = _label_of(words[enum.end() :])
            yield Unit(start if pending is None else pending, end, section, label)
            pending = None
        if pending is not None:
            yield Unit(pending, para_end, section, label)


def _label_of(words: str) -> str:
    head = re.split(r"[。，,；;：:]", words, maxsplit=1)[0]
    return head if len(head) <= _LABEL_MAX else ""


def _sentences(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    cuts = [start] + [m.end() for m in _COLON_BEFORE_ENUM.finditer(text, start, end)] + [end]
    for a, b in zip(cuts, cuts[1:], strict=False):
        for match in _SENTENCE.finditer(text, a, b):
            s, e = match.start(), match.end()
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if s < e:
                yield s, e
