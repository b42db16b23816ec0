"""Metadata read from the five sample documents; a field not in the text stays empty."""

from __future__ import annotations

import pytest

from index.cleaning import clean_text
from index.loading import read_text
from index.metadata import extract_meta, normalise_doc_number
from rag.settings import PROJECT_ROOT
from rag.types import LetterMeta

LETTERS = PROJECT_ROOT / "data" / "letters"


def _raw(name: str) -> str:
    return read_text(next(LETTERS.glob(f"{name}_*.txt")))


def _meta(name: str) -> LetterMeta:
    return extract_meta(clean_text(_raw(name)))


EXPECTED = {
    "000": {
        "doc_number": "温科提复〔2023〕121号",
        "title": "关于市政协十二届二次会议第159号提案的答复函",
        "kind": "政协提案",
        "session": "市政协十二届二次会议",
        "proposal_number": "159",
        "proposer": "蔡跃飘委员",
        "proposal_title": "关于加快生物医药产业发展提案",
        "co_handlers": ("市委组织部", "市投促局"),
        "issuer": "温州市科学技术局",
        "date": "2023-06-29",
        "year": 2023,
        "contact": "黄蓓蕾",
        "phone": "88962032，15805772770",
    },
    "001": {
        "doc_number": "温科提复〔2024〕126号",
        "title": "关于市政协十二届三次会议395号提案的答复函",
        "kind": "政协提案",
        "session": "市政协十二届三次会议",
        "proposal_number": "395",
        "proposer": "民盟市委会",
        "proposal_title": "关于推进中国眼谷、基因药谷建设 助力温州生物医药创新发展的提案",
        "co_handlers": ("龙湾区政府", "瓯海区政府", "市教育局"),
        # The letter ends with the thanks: no issuer line, date or contact in the text.
        "issuer": "",
        "date": "",
        "year": 2024,  # from the 文号
        "contact": "",
        "phone": "",
    },
    "002": {
        "doc_number": "温科提复〔2022〕139号",
        "title": "关于市政协十二届一次会议第484号提案的答复函",
        "kind": "政协提案",
        "session": "市政协十二届一次会议",
        "proposal_number": "484",
        "proposer": "九三学社市委会",
        "proposal_title": "关于创新政策供给，打造区域创新共同体，助推温州创新型城市建设的提案",
        "co_handlers": ("市发改委", "市经信局"),
        "issuer": "温州市科学技术局",
        "date": "",  # signed by the bureau, but no date in the text
        "year": 2022,
        "contact": "",
        "phone": "",
    },
    "003": {
        "doc_number": "温科提复〔2024〕115号",
        "title": "关于市十四届人大四次会议313号建议的答复函",
        "kind": "人大建议",
        "session": "市十四届人大四次会议",
        "proposal_number": "313",
        "proposer": "张勇代表",
        "proposal_title": "关于加快推进医疗器械产业发展的建议",
        "co_handlers": ("市经信局", "市卫健委", "市市场监管局", "温州医科大学"),
        "issuer": "温州市科学技术局",
        "date": "2024-06-28",
        "year": 2024,
        "contact": "陈忠研",
        "phone": "88962028",
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_letter_metadata(name: str) -> None:
    meta = _meta(name).model_dump(exclude={"articles"})
    assert meta == EXPECTED[name]
    assert _meta(name).articles == ()


@pytest.mark.parametrize("name", ["001", "002"])
def test_letters_without_a_signing_date_really_have_none(name: str) -> None:
    """Guards the expectation above: the raw text has no 年月日 date after the opening."""
    import re

    raw = _raw(name)
    dates = re.findall(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日", raw)
    assert dates == []


@pytest.mark.parametrize("name", ["000", "003"])
def test_signing_date_is_in_the_raw_text(name: str) -> None:
    date = _meta(name).date
    year, month, day = (int(p) for p in date.split("-"))
    assert f"{year}年{month}月{day}日" in _raw(name)


def test_newspaper_page_has_articles_and_no_letter_fields() -> None:
    meta = _meta("004")
    assert meta.doc_number == ""
    assert meta.kind == meta.proposer == meta.session == meta.date == meta.contact == meta.issuer == ""
    assert meta.year is None
    assert [(a.author.split(" ")[0], a.author.split(" ")[1][:2]) for a in meta.articles] == [
        ("王秦", "江苏"),
        ("毛劲松", "天津"),
        ("陈秋立", "福建"),
        ("张世荣", "甘肃"),
        ("孔曙光", "厦门"),
    ]
    assert [a.title for a in meta.articles] == [
        "推动生物医药产业再上台阶",
        "让更多科技成果守护百姓健康",
        "用原创性硬核成果铸就“健康坚盾”",
        "促进中医药产学研融合发展",
        "培育发展未来产业 加快建设高素质创新名城",
    ]


def test_articles_span_the_page_in_order() -> None:
    text = clean_text(_raw("004"))
    articles = _meta("004").articles
    for article, following in zip(articles, articles[1:], strict=False):
        assert article.start < article.end < following.start
    for article in articles:
        span = text[article.start : article.end]
        assert article.title in span
        assert article.author in span
    assert articles[-1].end == len(text)


@pytest.mark.parametrize(
    ("written", "official"),
    [
        ("温科提复[2023]121号", "温科提复〔2023〕121号"),
        ("温科提复（2024）126号", "温科提复〔2024〕126号"),
        ("温科提复【2022】 139 号", "温科提复〔2022〕139号"),
        ("温科提复〔2024〕115号", "温科提复〔2024〕115号"),
    ],
)
def test_doc_numbers_are_normalised(written: str, official: str) -> None:
    assert normalise_doc_number(written) == official


def test_nothing_is_invented_for_a_bare_letter() -> None:
    meta = extract_meta("关于某事的答复函\n某某委员：\n您的提案收悉，现答复如下：\n已经办理。")
    assert meta.proposer == "某某委员"
    assert meta.doc_number == meta.date == meta.contact == meta.phone == meta.issuer == ""
    assert meta.year is None
    assert meta.co_handlers == ()
