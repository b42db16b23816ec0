"""Labelled fields of web pages and OA exports, in the many ways pages print them."""

from __future__ import annotations

import pytest

from index.pagefields import is_field_line, read_fields


def _fields(text: str) -> dict[str, str]:
    lines = text.split("\n")
    return {k: v for k, v in read_fields(lines, range(len(lines))).values.items() if v}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[ 索引号 ] 11330000AB/2023-00012\n[ 发文字号 ] 青科函〔2023〕17号\n[ 发布机构 ] 市科技局",
            {"索引号": "11330000AB/2023-00012", "文号": "青科函〔2023〕17号", "发布机构": "市科技局"},
        ),
        (
            "索 引 号: 1234/2022-000336 发布时间: 2022年11月22日 14:44\n来 源: 市农业局 发布机构: 市农业局",
            {
                "索引号": "1234/2022-000336",
                "发布日期": "2022年11月22日 14:44",
                "来源": "市农业局",
                "发布机构": "市农业局",
            },
        ),
        (
            "索引号 | ABC/2022-11 | 效力属性 | |\n发布机构 | 市农业农村局 | 文 号 | 第56号提案 |\n"
            "成文日期 | 发布日期 | 2022-08-01 |",
            {
                "索引号": "ABC/2022-11",
                "发布机构": "市农业农村局",
                "文号": "第56号提案",
                "发布日期": "2022-08-01",
            },
        ),
        (
            "索引号000123/2025-00456 成文日期2025-06-30\n发文机关北山县教育局 发布日期2025-07-01",
            {
                "索引号": "000123/2025-00456",
                "成文日期": "2025-06-30",
                "发布机构": "北山县教育局",
                "发布日期": "2025-07-01",
            },
        ),
        (
            "- 索 引 号:1234/2024-00077\n- 成文时间:2024年03月15日\n- 文 号:无\n- 标 题:关于某事的回复",
            {"索引号": "1234/2024-00077", "成文日期": "2024年03月15日", "标题": "关于某事的回复"},
        ),
        (
            "提案人\n马超\n建议提案编号\n27\n答复时间\n办理类型\nB\n答复内容\n马超委员:",
            {"提出人": "马超", "提案编号": "27", "办理类型": "B"},
        ),
        (
            "联 系 人:张 明 联系电话:12345678\n抄 报:市督查局 市政协提案委",
            {"联系人": "张 明", "联系电话": "12345678", "抄送": "市督查局 市政协提案委"},
        ),
    ],
)
def test_fields_are_read_in_every_shape(text: str, expected: dict[str, str]) -> None:
    assert _fields(text) == expected


def test_a_field_without_value_stays_empty_and_does_not_take_the_next_label() -> None:
    lines = ["文  号   公开方式  主动公开", "成文日期 | 发布日期 | 2022-08-01 |"]
    fields = read_fields(lines, range(2))
    assert fields.get("文号") == "" and fields.get("成文日期") == ""
    assert fields.lines == {0, 1}


@pytest.mark.parametrize(
    "line",
    [
        "您提出的《关于发展乡村旅游的提案》已收悉，现答复如下：",
        "时间紧、任务重，我们加快推进。",
        "标题党现象需要治理。",
        "王海代表：",
        "一、总体情况",
        "2022年7月28日",
    ],
)
def test_letter_lines_are_not_fields(line: str) -> None:
    assert not is_field_line(line)
