"""Structure-aware chunking of Chinese official documents.

Chunks follow the letter's parts (``index.letter``: header, body, closing, signature) and the body's
sections (一、 / （一） / 下一步), are packed from whole sentences
(ends: 。！？；) and never cross a section. A table row is one unit, whatever punctuation its cells
hold: it is never cut. Each chunk knows its section path and its offsets in the canonical text, so a
citation can point at the sentence that matters, and whether OCR recognised any of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from index.letter import split_letter
from rag.types import Chunk, LetterMeta, Span, overlaps

_SENTENCE = re.compile(r"[^。！？；!?;]*[。！？；!?;]+[”’」』）)]*|[^。！？；!?;]+$")
_H1 = re.compile(r"^[一二三四五六七八九十]+、")
_H2 = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")
_ENUM = re.compile(
    r"^(?:[一二三四五六七八九十]+是|[一二三四五六七八九十]+方面|另一方面|一方面|\d{1,2}[、.．](?!\d))"
)
_NEXT_STEP = re.compile(r"^(?:下一步|下步|今后|接下来)")
_HEADING_MAX = 40

OPENING = "来文"
BODY = "正文"
NEXT_STEP = "下一步"
CLOSING = "结语"
SIGNATURE = "落款"


@dataclass
class _Sentence:
    start: int
    end: int
    section: str
    para_start: bool
    enum_start: bool


class Chunker:
    """``split(doc_id, text, meta) -> list[Chunk]``; ``size`` is the target maximum in characters."""

    def __init__(self, size: int = 200) -> None:
        if size < 40:
            raise ValueError("chunk size must be at least 40 characters")
        self.size = size

    def split(
        self,
        doc_id: str,
        text: str,
        meta: LetterMeta,
        *,
        version: str = "",
        rows: tuple[Span, ...] = (),
        ocr: tuple[Span, ...] = (),
    ) -> list[Chunk]:
        """``rows``: spans of table rows (each kept whole); ``ocr``: spans recognised by OCR."""
        chunks: list[Chunk] = []
        current: list[_Sentence] = []

        def flush() -> None:
            if not current:
                return
            start, end = current[0].start, current[-1].end
            ordinal = len(chunks)
            chunks.append(
                Chunk(
                    chunk_id=f"{doc_id}:{version}:{ordinal:04d}" if version else f"{doc_id}:{ordinal:04d}",
                    doc_id=doc_id,
                    text=text[start:end],
                    start=start,
                    end=end,
                    section=current[0].section,
                    ordinal=ordinal,
                    ocr=overlaps(ocr, start, end),
                )
            )
            current.clear()

        for sentence in _sentences(text, meta, set(rows)):
            length = sum(s.end - s.start for s in current)
            if current and (
                sentence.section != current[-1].section
                or length + (sentence.end - sentence.start) > self.size
                or (sentence.para_start and length >= self.size * 0.5)
                or (sentence.enum_start and length >= self.size * 0.4)
            ):
                flush()
            current.append(sentence)
        flush()
        return chunks


def _sentences(text: str, meta: LetterMeta, rows: set[Span]) -> Iterator[_Sentence]:
    for para_start, para_end, section in paragraphs(text, meta):
        if (para_start, para_end) in rows:
            yield _Sentence(para_start, para_end, section, True, False)
            continue
        first = True
        for match in _SENTENCE.finditer(text, para_start, para_end):
            start, end = match.start(), match.end()
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start == end:
                continue
            yield _Sentence(start, end, section, first, bool(_ENUM.match(text, start, end)))
            first = False


def paragraphs(text: str, meta: LetterMeta) -> Iterator[tuple[int, int, str]]:
    """(start, end, section path) of every paragraph (line) of the canonical text."""
    lines = text.split("\n")
    articles = list(meta.articles)
    parts = None if articles else split_letter(lines)
    if parts is not None and not (parts.is_letter or meta.doc_number):
        parts = None
    h1 = h2 = ""
    next_step = False
    pos = 0
    for i, line in enumerate(lines):
        start, end = pos, pos + len(line)
        pos = end + 1
        if not line:
            continue
        if articles:
            article = next((a for a in articles if a.start <= start < a.end), None)
            yield start, end, f"{article.title}（{article.author}）" if article else BODY
            continue
        if parts is not None:
            # The header (page fields, 文号, heading, salutation, opening) is one section, never mixed
            # with the body; so are the closing thanks and the signature block.
            if i < parts.body_start:
                yield start, end, OPENING
                continue
            if i >= parts.signature_start:
                yield start, end, SIGNATURE
                continue
            if i >= parts.closing_start:
                yield start, end, CLOSING
                continue
        if _H1.match(line):
            h1, h2, next_step = _heading(line), "", False
        elif _H2.match(line):
            h2, next_step = _heading(line), False
        elif _NEXT_STEP.match(line):
            next_step = True
        path = [p for p in (h1, h2) if p] or [BODY]
        if next_step and NEXT_STEP not in path[-1]:
            path.append(NEXT_STEP)
        yield start, end, " > ".join(path)


def _heading(line: str) -> str:
    """A heading line as a section name: the line itself, or its first sentence when it runs on."""
    head = re.split(r"[。；]", line, maxsplit=1)[0]
    return head if len(head) <= _HEADING_MAX else head[:_HEADING_MAX] + "…"


def embedding_text(chunk: Chunk, meta: LetterMeta) -> str:
    """What the embedding model sees: the chunk with its letter's topic and section as context."""
    topic = meta.proposal_title or meta.title
    context = " ".join(p for p in (topic, chunk.section) if p and p not in (OPENING, BODY))
    return f"{context}\n{chunk.text}" if context else chunk.text
