"""A place a question names, against the places its answer's passages and letters name."""

from __future__ import annotations

from rag.ask.extractive import ExtractiveAnswerer, ExtractiveWeights
from rag.ask.places import LetterPlaces, Named
from rag.ask.question import QuestionParser
from rag.types import Document, Hit, LetterMeta
from tests.factories import make_hit

# Invented bodies: one whose issuer names its city, one whose text never names where it is from.
_WITH_PLACE = "临江市城市管理局\n关于加快供热管网改造的答复\n王强代表：\n临江市今年完成供热管网改造86公里。\n"
_NO_PLACE = "关于加强供暖监管的答复\n赵敏代表：\n我委今年完成供热管网改造112公里，超额完成年度目标。\n"
_DOCS = {
    "lj": Document(
        doc_id="lj", source="lj.txt", content_hash="lj", text=_WITH_PLACE,
        meta=LetterMeta(issuer="临江市城市管理局", title="关于加快供热管网改造的答复"),
    ),
    "np": Document(
        doc_id="np", source="np.txt", content_hash="np", text=_NO_PLACE,
        meta=LetterMeta(title="关于加强供暖监管的答复"),
    ),
}  # fmt: skip
_LETTERS = [(doc_id, doc.meta) for doc_id, doc in _DOCS.items()]


def _hit(doc_id: str, line: int) -> Hit:
    doc = _DOCS[doc_id]
    text = doc.text.split("\n")[line]
    return make_hit(text, doc_id=doc_id, start=doc.text.find(text), chunk_id=f"{doc_id}:v1:{line}")


def _answerer(places: bool = True) -> tuple[ExtractiveAnswerer, QuestionParser, list[int]]:
    parser = QuestionParser(lambda: list(_LETTERS))
    reads: list[int] = []

    def document(doc_id: str) -> Document:
        reads.append(1)
        return _DOCS[doc_id]

    answerer = ExtractiveAnswerer(
        ExtractiveWeights(),
        idf=lambda token: 1.0,
        issuer_of=lambda doc_id: _DOCS[doc_id].meta.issuer,
        places_of=LetterPlaces(document, parser.known_places) if places else None,
    )
    return answerer, parser, reads


def test_a_letter_that_names_no_place_does_not_contradict_the_place_asked() -> None:
    answerer, parser, _ = _answerer()
    question = parser.parse("天津今年完成了多少公里供热管网改造？")
    answer = answerer.answer(question, [_hit("np", 2)])
    assert answer.found
    assert "112公里" in answer.citations[0].quote
    # Without the letters' places, the missing place still counts against the answer.
    plain, _, _ = _answerer(places=False)
    assert plain.answer(question, [_hit("np", 2)]).support < answer.support


def test_a_letter_that_names_another_place_contradicts_it() -> None:
    answerer, parser, _ = _answerer()
    # 临江 is the letter's own place (its issuer): asked about it, the passage answers.
    own = answerer.answer(parser.parse("临江市今年完成了多少公里供热管网改造？"), [_hit("lj", 3)])
    assert own.found
    # Asked about another known place (a province), the same passage counts as contradicting the
    # question: its support is scaled down (a contradicted question needs threshold_mismatch).
    other = answerer.answer(parser.parse("浙江今年完成了多少公里供热管网改造？"), [_hit("lj", 3)])
    w = ExtractiveWeights()
    assert other.support <= own.support * w.missing_place * w.threshold / w.threshold_mismatch + 1e-3


def test_a_passage_that_names_another_place_contradicts_it_whatever_the_letter_says() -> None:
    named = Named("临江市 天津", frozenset({"临江", "天津"}))
    assert not named.contradicts("天津")  # the letter names it
    assert named.contradicts("浙江")
    assert not Named("我市", frozenset()).contradicts("浙江")  # no place named: no evidence
    assert not Named("惠济区", frozenset({"惠济区"})).contradicts("惠济")  # one place, two spellings


def test_a_letters_places_are_read_once_per_version() -> None:
    answerer, parser, reads = _answerer()
    question = parser.parse("天津今年完成了多少公里供热管网改造？")
    for _ in range(3):
        answerer.answer(question, [_hit("np", 2)])
    assert len(reads) == 1
