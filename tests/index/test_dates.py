"""Dates and numerals as letters print them."""

from __future__ import annotations

import pytest

from index.dates import chinese_number, iso, parse_date


@pytest.mark.parametrize(
    ("written", "date"),
    [
        ("2022-07-12", (2022, 7, 12)),
        ("2022年7月12日", (2022, 7, 12)),
        ("2023年09月04日", (2023, 9, 4)),
        ("2022 年 7 月 12 日", (2022, 7, 12)),
        ("2022/7/12", (2022, 7, 12)),
        ("2022.07.12", (2022, 7, 12)),
        ("20211123", (2021, 11, 23)),
        ("二〇二二年七月十二日", (2022, 7, 12)),
        ("二○二一年十二月三十一日", (2021, 12, 31)),
        ("2022-11-11 10:33", (2022, 11, 11)),
    ],
)
def test_dates_in_any_written_form(written: str, date: tuple[int, int, int]) -> None:
    assert parse_date(written) == date


@pytest.mark.parametrize(
    "text",
    [
        "2023年6月30日印发",
        "日期:2022-07-12",
        "12345678",
        "2022-13-01",
        "****年**月**日",
        "截至2022年6月底",
        "",
    ],
)
def test_what_is_not_a_date_alone(text: str) -> None:
    assert parse_date(text) is None


def test_iso() -> None:
    assert iso((2021, 8, 3)) == "2021-08-03"


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("一百三十三", 133), ("二十七", 27), ("十二", 12), ("一百零五", 105), ("二〇二二", 2022), ("九", 9)],
)
def test_chinese_numerals(numeral: str, value: int) -> None:
    assert chinese_number(numeral) == value


def test_not_a_numeral() -> None:
    assert chinese_number("第一") is None and chinese_number("") is None
