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
    meta = _meta(name).model_dump(exclude={"articles", "instructions"})
    assert meta == EXPECTED[name]
    assert _meta(name).articles == ()
    assert _meta(name).instructions == ()


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


# Synthetic letter heads in the shapes real exports take (web-page field blocks, OA tables, excerpts
# without salutation or signature). Names and places are invented.
SHAPES: dict[str, tuple[str, dict[str, object]]] = {
    "bracketed page fields, issuer before the heading": (
        "[ 索引号 ] 11330000AB/2023-00012\n[ 发文字号 ] 青科函〔2023〕17号\n[ 发布机构 ] 市科技局\n"
        "[ 成文日期 ] 2023-05-06\n[ 发布日期 ] 2023-05-08\n\n"
        "青川市科学技术局 关于市七届人大二次会议第0321号建议的答复函\n日期:2023-05-08\n王海代表:\n"
        "《关于加快科技园区建设的建议》(第0321号)收悉,经我局与市规划和自然资源局、市发展改革委共同研究,现答复如下:\n"
        "一、园区建设情况\n园区已建成标准厂房12万平方米。",
        {
            "doc_number": "青科函〔2023〕17号",
            "title": "青川市科学技术局关于市七届人大二次会议第0321号建议的答复函",
            "kind": "人大建议",
            "session": "市七届人大二次会议",
            "proposal_number": "0321",
            "proposer": "王海代表",
            "proposal_title": "关于加快科技园区建设的建议",
            "issuer": "青川市科学技术局",
            "co_handlers": ("市规划和自然资源局", "市发展改革委"),
            "date": "2023-05-06",
            "year": 2023,
        },
    ),
    "pipe table whose 文号 holds the proposal number, signed": (
        "索引号 | ABC/2022-11 | 效力属性 | |\n发布机构 | 市农业农村局 | 文 号 | 第56号提案 |\n"
        "成文日期 | 发布日期 | 2022-08-01 |\n关于对市政协第三届委员会第56号提案\n办理情况的答复意见\n"
        "周红委员、陈亮委员:\n您提出的《关于发展乡村旅游的提案》已收悉,现将有关情况答复如下:\n"
        "一、总体情况\n我市乡村旅游发展较快,去年接待游客120万人次。\n"
        "最后,非常感谢您对农业农村工作的关心。\n东林市农业农村局\n2022年7月28日",
        {
            "doc_number": "",
            "title": "关于对市政协第三届委员会第56号提案办理情况的答复意见",
            "kind": "政协提案",
            "proposal_number": "56",
            "proposer": "周红委员、陈亮委员",
            "proposal_title": "关于发展乡村旅游的提案",
            "issuer": "东林市农业农村局",
            "date": "2022-07-28",
            "year": 2022,
        },
    ),
    "no salutation: the opening thanks the member by name": (
        "- 索 引 号:1234/2024-00077\n- 发布机构:南溪县卫生健康局\n- 成文时间:2024年03月15日\n- 文 号:无\n"
        "2024年度南溪县卫生健康局关于对县政协第九届三次会议第93001号提案的回复(关于加强乡村医生队伍建设的建议)\n"
        "首先感谢赵丽委员对我县卫生健康事业的关心。您提出的“关于加强乡村医生队伍建设的建议”的提案收悉,"
        "经研究,现答复如下:\n一、基本情况\n全县共有乡村医生310名。",
        {
            "doc_number": "",
            "kind": "政协提案",
            "proposal_number": "93001",
            "proposer": "赵丽委员",
            "proposal_title": "关于加强乡村医生队伍建设的建议",
            "issuer": "南溪县卫生健康局",
            "date": "2024-03-15",
            "year": 2024,
        },
    ),
    "fields without separators, a newspaper's date that is not the reply's": (
        "索引号000123/2025-00456 成文日期2025-06-30\n发文机关北山县教育局 发布日期2025-07-01\n"
        "关于孙强委员《关于改善学校供餐的提案》的回复\n时间:2019-04-01 来源:东方日报\n尊敬的孙强委员:\n"
        "您提出的关于改善学校供餐的提案已收悉,现将办理情况答复如下:\n首先感谢委员对教育工作的关注。",
        {
            "title": "关于孙强委员《关于改善学校供餐的提案》的回复",
            "kind": "政协提案",
            "proposal_number": "",
            "proposer": "孙强委员",
            "proposal_title": "关于改善学校供餐的提案",
            "issuer": "北山县教育局",
            "date": "2025-06-30",
            "year": 2025,
        },
    ),
    "no heading, no 收悉, deputies of a delegation": (
        "河口县代表团钱伟等4名代表:\n你们提出的“关于修缮县城老旧供水管网的建议”的建议,经研究答复如下:\n"
        "一、管网改造\n今年改造管网8公里。",
        {
            "doc_number": "",
            "title": "",
            "kind": "人大建议",
            "proposal_number": "",
            "proposer": "河口县代表团钱伟等4名代表",
            "proposal_title": "关于修缮县城老旧供水管网的建议",
            "issuer": "",
            "date": "",
            "year": None,
        },
    ),
    "an excerpt that starts at the first section; the page's time is not the reply's": (
        "对区政协五届二次会议第20240117号提案的答复\n2024-09-12 09:30\n来源:某某区\n"
        "一、关于课后服务\n(一)服务时间。全区学校课后服务时间延长至18:00。",
        {
            "title": "对区政协五届二次会议第20240117号提案的答复",
            "kind": "政协提案",
            "proposal_number": "20240117",
            "proposer": "",
            "proposal_title": "",
            "issuer": "",
            "date": "",
            "year": None,
        },
    ),
    "a party committee, 文号 with 第 and ASCII brackets, a date in numerals": (
        "西岭市教育局文件\n西教函[2021]第8号\n民建西岭市委会:\n"
        "贵单位提出的《关于推进职业教育发展的提案》收悉。现答复如下:\n一、办学情况\n全市有职业学校6所。\n"
        "特此答复。\n西岭市教育局\n二〇二一年七月十二日",
        {
            "doc_number": "西教函〔2021〕第8号",
            "kind": "政协提案",
            "proposer": "民建西岭市委会",
            "proposal_title": "关于推进职业教育发展的提案",
            "issuer": "西岭市教育局",
            "date": "2021-07-12",
            "year": 2021,
        },
    ),
    "an OA table with the value under its label; a heading that spells the number": (
        "南港区住房和城乡建设局对区政协三届一次会议 第二十七号政协委员提案的答复\n发布时间:2023-07-01\n"
        "提案人\n马超\n会议届次\n区政协三届一次会议\n建议提案标题\n关于加强老旧小区加装电梯工作的提案\n"
        "建议提案编号\n27\n承办单位\n区住房和城乡建设局\n答复时间\n办理类型\nB\n答复内容\n马超委员:\n"
        "您提出的关于“加强老旧小区加装电梯工作”的提案已收悉,现答复如下:\n一、工作进展\n已加装电梯46台。",
        {
            "kind": "政协提案",
            "session": "区政协三届一次会议",
            "proposal_number": "27",
            "proposer": "马超委员",
            "proposal_title": "关于加强老旧小区加装电梯工作的提案",
            "issuer": "南港区住房和城乡建设局",
            "year": None,
        },
    ),
    "the heading names the 政协, the salutation says 代表": (
        "关于对东湖区政协二届三次会议《关于增加社区体育设施的提案》答复意见的函\n杨林代表:\n"
        "您提出的关于增加社区体育设施的提案收悉,现答复如下:\n1.社区健身路径已覆盖全区。\n"
        "感谢您提出的建议。\n东湖区教育体育局\n2023年5月9日",
        {"kind": "政协提案", "proposer": "杨林代表", "issuer": "东湖区教育体育局", "year": 2023},
    ),
    "a reprint's breadcrumb before the issuer": (
        "江东临川临川市交通运输局关于市五届人大三次会议第12号建议的答复\n刘洋代表:您提出的关于“优化公交线路”的建议收悉,"
        "现答复如下:一、线路调整情况。今年新开公交线路3条。二、下一步打算。继续优化线网。",
        {
            "issuer": "临川市交通运输局",
            "kind": "人大建议",
            "proposal_number": "12",
            "proposer": "刘洋代表",
            "proposal_title": "优化公交线路",
        },
    ),
    "digits masked by a reprint are not read": (
        "关于区政协二届三次会议第**号提案的答复\n高飞委员:您提出的“关于建设口袋公园的建议”的提案(第**号)已收悉,"
        "现答复如下:****年全区新建口袋公园**个。",
        {"proposal_number": "", "year": None, "date": "", "doc_number": "", "proposer": "高飞委员"},
    ),
    "the page's source is a publicity office, not the issuer": (
        "关于对东湖区政协二届三次会议第5号提案的答复\n更新日期:2025-07-10 信息来源:东湖区政务公开办\n"
        "杨林委员:\n您提出的提案收悉,现答复如下:\n已经办理。",
        {"issuer": "", "year": None, "proposal_number": "5", "kind": "政协提案"},
    ),
    "nothing says which kind of proposal": (
        "关于某事的答复\n李华:\n您的来信收悉,现答复如下:\n已经办理。",
        {"kind": "", "proposer": "李华", "proposal_number": "", "issuer": "", "year": None},
    ),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_letter_heads_in_many_shapes(shape: str) -> None:
    raw, expected = SHAPES[shape]
    meta = extract_meta(clean_text(raw)).model_dump()
    assert {field: meta[field] for field in expected} == expected


def test_a_date_cited_in_the_body_is_not_the_signing_date() -> None:
    raw = "关于某事的答复\n张明委员:\n您的提案收悉,现答复如下:\n2022年8月1日,我局召开了专题会议。\n一、进展\n已完成。"
    meta = extract_meta(clean_text(raw))
    assert meta.date == "" and meta.year is None


def test_a_document_cited_in_the_opening_is_not_the_letters_number() -> None:
    raw = "张明委员:\n您的提案收悉,根据《某某办法》(东政发〔2021〕3号),现答复如下:\n已经办理。"
    meta = extract_meta(clean_text(raw))
    assert meta.doc_number == "" and meta.year is None


def test_a_fragment_without_a_letters_head_takes_no_body_line_as_title() -> None:
    raw = "一、基本情况\n全县共有乡村医生310名。\n二、下一步打算\n继续加强培训。"
    meta = extract_meta(clean_text(raw))
    assert meta.title == "" and meta.kind == "" and meta.year is None
