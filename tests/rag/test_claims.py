from __future__ import annotations

import pytest

from rag.claims import extract_claims, find_claims, normalise, unsupported_claims

LETTER = (
    "2023年，全市生命健康产业实现总营收1588亿元；全年规上制造业产值531.7亿元，增速11.3%；"
    "拥有生命健康规上制造业企业486家，规上服务业企业147家。"
)


def test_numbers_keep_their_units() -> None:
    assert extract_claims(LETTER) == ["2023年", "1588亿元", "531.7亿元", "11.3%", "486家", "147家"]


def test_units_magnitudes_and_approximations() -> None:
    text = "补助经费达150万元，共凝练3432项需求，吸引嘉宾1800余人参会，在研管线超170个，新增30平方米。"
    assert extract_claims(text) == ["150万元", "3432项", "1800余人", "170个", "30平方米"]


def test_spaced_units_and_fractions() -> None:
    text = "签约项目 9 个，共获投资 6000 万；生物医药产业产值约占全国1/8，审评时限压缩了1/3。"
    assert extract_claims(text) == ["9个", "6000万", "1/8", "1/3"]
    assert unsupported_claims("约占全国1/8", ["产值约占全国1/3"]) == ["1/8"]


def test_dates_are_one_claim() -> None:
    text = "温州市科学技术局2023年6月29日印发，2024年起实施，6月30日前完成，截至2023.12.31。"
    assert extract_claims(text) == ["2023年6月29日", "2024年", "6月30日", "2023.12.31"]


@pytest.mark.parametrize(
    "written",
    [
        "温科提复〔2024〕126号",
        "温科提复[2024]126号",
        "温科提复（2024）126号",
        "温科提复【2024】126号",
        "温科提复(2024)126号",
    ],
)
def test_doc_numbers_in_any_bracket(written: str) -> None:
    claims = find_claims(f"根据{written}文件，现答复如下。")
    assert [(c.text, c.kind, c.key) for c in claims] == [(written, "doc_number", ("温科提复", 2024, 126))]


def test_doc_number_prefix_stops_at_function_words() -> None:
    assert extract_claims("详见浙政办发〔2022〕3号和温政发〔2021〕第15号。") == [
        "浙政办发〔2022〕3号",
        "温政发〔2021〕第15号",
    ]


def test_codes_markers_and_enumerators_are_not_claims() -> None:
    text = "1、维眸生物新药VVN001正式启动III期临床试验[1]，5G基站建设（2）。\n2. 已打造全市首个概念验证中心【3】。"
    assert extract_claims(text) == []


def test_year_range_gives_both_years() -> None:
    assert extract_claims("印发《温州市生命健康产业高质量发展规划（2023—2027年）》") == ["2023", "2027年"]


def test_full_width_digits_are_read() -> None:
    assert [c.key for c in find_claims("总营收１５８８亿元，增速１１．３％")] == [
        (c.key) for c in find_claims("总营收1588亿元，增速11.3%")
    ]
    assert normalise("１１．３％〔【") == "11.3%〔〔"


def test_repeated_claims_are_listed_once() -> None:
    assert extract_claims("确保2024年营收1700亿元，2024年产值580亿元，1700亿元以上。") == [
        "2024年",
        "1700亿元",
        "580亿元",
    ]


def test_supported_claims_pass() -> None:
    answer = "2023年，全市生命健康产业总营收1588亿元，规上制造业产值增速11.3%，规上制造业企业486家。"
    assert unsupported_claims(answer, ["无关段落。", LETTER]) == []


def test_number_must_match_whole_number() -> None:
    assert unsupported_claims("总营收1588亿元", ["总营收15880亿元"]) == ["1588亿元"]
    assert unsupported_claims("总营收1588亿元", ["总营收21588亿元"]) == ["1588亿元"]
    assert unsupported_claims("增速11.3%", ["增速11.35%"]) == ["11.3%"]
    assert unsupported_claims("增速11.3%", ["增速111.3%"]) == ["11.3%"]


def test_number_must_match_unit() -> None:
    assert unsupported_claims("补助经费526万元", ["补助经费达526亿元"]) == ["526万元"]
    assert unsupported_claims("引进注册企业216家", ["引进注册企业216个"]) == ["216家"]
    # A number written without its unit is still the same number.
    assert unsupported_claims("企业数为216", ["引进注册企业216家"]) == []


def test_equivalent_spellings_are_supported() -> None:
    passage = "全市生命健康产业实现总营收1,588亿元，增速11.30%，见温科提复〔2024〕126号。"
    assert unsupported_claims("总营收１５８８亿元，增速11.3％，温科提复[2024]126号", [passage]) == []


def test_doc_number_must_match_year_and_serial() -> None:
    passage = "温科提复〔2024〕126号 关于市政协十二届三次会议395号提案的答复函"
    assert unsupported_claims("温科提复〔2023〕126号", [passage]) == ["温科提复〔2023〕126号"]
    assert unsupported_claims("温科提复〔2024〕12号", [passage]) == ["温科提复〔2024〕12号"]
    assert unsupported_claims("该提案编号为395号，答复文号〔2024〕126号", [passage]) == []
    assert unsupported_claims("温政发〔2024〕126号", [passage]) == ["温政发〔2024〕126号"]


def test_dates_match_by_component() -> None:
    passage = "温州市科学技术局 2023年6月29日"
    assert unsupported_claims("2023年6月29日答复", [passage]) == []
    assert unsupported_claims("2023年6月答复", [passage]) == []
    assert unsupported_claims("2023年答复", [passage]) == []
    assert unsupported_claims("2023年6月28日答复", [passage]) == ["2023年6月28日"]
    assert unsupported_claims("2022年答复", [passage]) == ["2022年"]
    # A bare four-digit year in the passage supports the year.
    assert unsupported_claims("2023年举办创投大会", ["成功举办2023中国（温州）创投大会"]) == []


def test_claims_of_text_without_claims() -> None:
    assert extract_claims("我局高度重视，认真调查研究，现答复如下：") == []
    assert unsupported_claims("", ["1588亿元"]) == []
