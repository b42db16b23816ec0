"""The domain vocabulary: 文号 shapes and proposer names."""

from __future__ import annotations

import pytest

from rag.vocabulary import doc_number_serial, normalise_doc_number, person_name, person_names


@pytest.mark.parametrize(
    ("written", "official"),
    [
        ("青科函[2022]242号", "青科函〔2022〕242号"),
        ("东建提复字（2023）116号", "东建提复字〔2023〕116号"),
        ("东住建议字〔2019〕第33号", "东住建议字〔2019〕第33号"),
        ("东教发(2021〕40号", "东教发〔2021〕40号"),
        ("东教函 ﹝2020﹞ 5 号", "东教函〔2020〕5号"),
    ],
)
def test_doc_numbers_of_any_issuer(written: str, official: str) -> None:
    assert normalise_doc_number(written) == official


def test_serial_of_a_doc_number() -> None:
    assert doc_number_serial("东住建议字〔2019〕第33号") == "33"


@pytest.mark.parametrize(
    ("proposer", "names"),
    [
        ("张勇代表", ("张勇",)),
        ("周红委员、陈亮委员", ("周红", "陈亮")),
        ("苏明、李亮代表", ("苏明", "李亮")),
        ("某县代表团钱伟等4名代表", ("钱伟",)),
        ("民盟市委会", ("民盟市委会",)),
        ("民进某市委员会", ("民进某市委员会",)),
        ("", ()),
    ],
)
def test_person_names(proposer: str, names: tuple[str, ...]) -> None:
    assert person_names(proposer) == names


def test_person_name_keeps_a_committee() -> None:
    assert person_name("张勇代表") == "张勇" and person_name("民盟市委会") == "民盟市委会"
