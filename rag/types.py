"""Small frozen result types that cross module boundaries.

Offsets (``start``/``end``) always refer to the document's canonical text: ``text[start:end]``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    """Base of every result type: immutable once built."""

    model_config = ConfigDict(frozen=True)


class Article(Frozen):
    """One article of a document that is not a reply letter (e.g. a newspaper page)."""

    title: str
    author: str = ""
    start: int
    end: int


class LetterMeta(Frozen):
    """Metadata read from a letter's text. A field not present in the text stays empty."""

    doc_number: str = ""  # 文号, e.g. 渝科局函〔2022〕242号
    title: str = ""  # e.g. 关于市政协十二届二次会议第159号提案的答复函
    kind: str = ""  # 政协提案 | 人大建议 | "" (not a reply letter)
    session: str = ""  # e.g. 市政协十二届二次会议
    proposal_number: str = ""  # e.g. 159
    proposer: str = ""  # as the salutation writes it: 某某委员, 民盟市委会, 某某代表
    proposal_title: str = ""  # the 《…》 title of the proposal
    co_handlers: tuple[str, ...] = ()  # 会办单位
    issuer: str = ""  # the body that signs the letter
    date: str = ""  # ISO date, e.g. 2023-06-29
    year: int | None = None
    contact: str = ""  # contact person
    phone: str = ""
    articles: tuple[Article, ...] = ()
    # Sentences shaped like instructions to an AI system (index.instructions): quoted as data, never
    # as an answer.
    instructions: tuple[tuple[int, int], ...] = ()


Span = tuple[int, int]


class Document(Frozen):
    doc_id: str
    source: str  # file name it was read from
    content_hash: str
    text: str  # canonical text
    meta: LetterMeta
    ocr_spans: tuple[Span, ...] = ()  # parts of the text recognised by OCR from scanned pages
    notes: tuple[str, ...] = ()  # what reading could not do (a scanned page with no text found)
    label: str = ""  # access label (rag.access): filled by the service, not stored with the text

    def from_ocr(self, start: int, end: int) -> bool:
        """True when ``text[start:end]`` overlaps a part recognised by OCR."""
        return overlaps(self.ocr_spans, start, end)


def overlaps(spans: tuple[Span, ...], start: int, end: int) -> bool:
    return any(a < end and start < b for a, b in spans)


class DocumentInfo(Frozen):
    """A document's metadata without its text (listings)."""

    doc_id: str
    source: str
    content_hash: str
    chars: int
    chunks: int
    meta: LetterMeta
    label: str = ""  # access label (rag.access): filled by the service


class Chunk(Frozen):
    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int
    section: str  # heading path joined by " > "
    ordinal: int  # position of the chunk within its document
    ocr: bool = False  # the passage (or part of it) was recognised by OCR


class Hit(Frozen):
    chunk_id: str
    doc_id: str
    doc_number: str
    title: str
    section: str
    text: str
    start: int
    end: int
    score: float
    year: int | None = None
    kind: str = ""
    proposer: str = ""
    sources: tuple[str, ...] = Field(default=(), description="retrievers that found it")
    ocr: bool = Field(default=False, description="the passage was (partly) recognised by OCR from a scan")


class Citation(Frozen):
    doc_id: str
    doc_number: str
    title: str
    section: str
    quote: str
    start: int
    end: int
    score: float
    ocr: bool = Field(default=False, description="quoted from text recognised by OCR: check it on the scan")

    @classmethod
    def of(cls, hit: Hit, a: int, b: int, score: float) -> Citation:
        """The slice ``hit.text[a:b]`` cited with document offsets (hit.text is text[hit.start:hit.end])."""
        return cls(
            doc_id=hit.doc_id,
            doc_number=hit.doc_number,
            title=hit.title,
            section=hit.section,
            quote=hit.text[a:b],
            start=hit.start + a,
            end=hit.start + b,
            score=score,
            ocr=hit.ocr,
        )

    @classmethod
    def in_document(cls, doc: Document, start: int, end: int, section: str, score: float = 1.0) -> Citation:
        """The slice ``doc.text[start:end]`` cited (flagged when it overlaps text recognised by OCR)."""
        return cls(
            doc_id=doc.doc_id,
            doc_number=doc.meta.doc_number,
            title=doc.meta.title,
            section=section,
            quote=doc.text[start:end],
            start=start,
            end=end,
            score=score,
            ocr=doc.from_ocr(start, end),
        )


class Answer(Frozen):
    answer: str
    found: bool
    citations: tuple[Citation, ...] = ()
    hits: tuple[Hit, ...] = ()
    mode: str = "extractive"
    support: float = 0.0  # the score the refusal decision was made on
    unsupported: tuple[str, ...] = ()  # LLM mode: numbers/dates/文号 not found in cited passages
    # LLM mode: sentences of the model's reply that their cited quotes do not support, replaced by the
    # quote or left out (or the model's refusal, when only the offline decision may refuse)
    rewritten: tuple[str, ...] = ()


class Filters(Frozen):
    """Metadata filters for retrieval. Empty fields do not filter; an unknown one is an error (a typo
    would otherwise silently widen the search)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int | None = None
    kind: str | None = None
    doc_number: str | None = None
    proposer: str | None = None
    doc_id: str | None = None

    def is_empty(self) -> bool:
        return not any(v for v in self.model_dump().values())


class Commitment(Frozen):
    """A promise a letter makes (a sentence or two of its 下一步 parts, or another 将/拟/力争 …
    sentence), with what was read from it. ``text[start:end]`` of the letter is ``quote``."""

    commitment_id: str  # doc_id:version:ordinal
    doc_id: str
    doc_number: str
    title: str
    year: int | None = None
    date: str = ""
    section: str
    topic: str  # the enumeration label or section heading it sits under, else the proposal's title
    quote: str
    start: int
    end: int
    next_step: bool = Field(default=False, description="from a 下一步 part (else a promise word elsewhere)")
    figures: tuple[str, ...] = ()  # target figures as printed: 1700亿元以上, 50家
    dates: tuple[str, ...] = ()  # when: 2024年, 今年, 年底前
    units: tuple[str, ...] = ()  # responsible bodies when stated: 市卫健委
