"""Labelled fields of a letter exported from a web page or an OA system.

Government information-disclosure pages print a block of labelled fields above the letter (索引号,
发布机构, 发文字号, 成文日期, 发布日期, 主题分类, 办理类型, …) and OA exports a few below it (承办单位,
联系单位, 负责人, 联系人 …). The labels are written in many ways: ``[ 索引号 ] …``, ``索 引 号: …``,
``- 文 号:无``, ``发布机构 | … |``, ``发文机关平顺县教育局`` (no separator at all), several on one line,
or a label alone on its line with the value on the next. This module reads them into canonical labels;
what each field means for the letter's metadata is decided in ``index.metadata``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Canonical label -> the ways pages write it. A label is only read at the start of a line or after a
# separator, so 时间 is never found inside 发布时间.
_LABELS: dict[str, tuple[str, ...]] = {
    "索引号": ("索引号",),
    "文号": ("发文字号", "文号", "文件编号"),
    "发布机构": ("发布机构", "发文机关", "发文单位", "发布单位"),
    "来源": ("信息来源", "来源"),
    "成文日期": ("成文日期", "成文时间", "发文日期", "发文时间", "答复时间", "答复日期"),
    "发布日期": ("发布日期", "发布时间", "更新日期", "更新时间", "日期", "时间"),
    "标题": ("信息名称", "标题", "名称"),
    "分类": ("主题分类", "体裁分类", "组配分类", "分类"),
    "提案标题": ("建议提案标题", "提案标题", "建议标题", "案由"),
    "提案编号": ("建议提案编号", "提案编号", "建议编号", "提案号", "建议号", "编号"),
    "提出人": ("代表提案者", "提案者", "提案人", "建议人", "领衔人", "领衔代表", "领衔委员"),
    "届次": ("会议届次", "届次"),
    "承办单位": ("承办单位", "主办单位", "联系单位"),
    "办理类型": ("办理类型", "办复类别", "办理方式", "答复类型", "公开类型", "公开方式"),
    "效力": ("有效性", "效力属性", "效力状态", "时效"),
    "答复内容": ("答复内容", "正文"),
    "联系人": ("联系人及电话", "联系人", "承办人", "经办人"),
    "负责人": ("负责人", "责任领导", "签发人"),
    "联系电话": ("联系电话", "电话"),
    "抄送": ("抄送", "抄报"),
}
# Labels that never take the next line as their value (they introduce the letter itself).
_NO_NEXT_LINE = {"答复内容"}
_EMPTY_VALUES = {"无", "暂无", "空", "-", "—", "/"}

_SEP = r"[ \t\u3000]*"
_VARIANTS = sorted(
    ((variant, label) for label, variants in _LABELS.items() for variant in variants),
    key=lambda item: -len(item[0]),
)
_CANONICAL = {variant: label for variant, label in _VARIANTS}
_LABEL = re.compile(
    r"(?:^|(?<=[\s|｜\]】•·，,；;]))[\[【]?"
    + _SEP
    + "(?P<label>"
    + "|".join(_SEP.join(map(re.escape, variant)) for variant, _ in _VARIANTS)
    + ")"
    + _SEP
    + r"[\]】]?"
)
_BULLET = re.compile(r"^[-•·*]\s*")
_VALUE_STRIP = " \t\u3000|｜:：[]【】"


@dataclass
class PageFields:
    """The labelled fields found, and the lines they were read from."""

    values: dict[str, str] = field(default_factory=dict)
    lines: set[int] = field(default_factory=set)

    def get(self, label: str) -> str:
        return self.values.get(label, "")


def read_fields(lines: list[str], indices: range | list[int]) -> PageFields:
    """The fields on the given lines; the first value of a label wins."""
    found = PageFields()
    wanted = list(indices)
    skip: set[int] = set()
    for i in wanted:
        if i in skip:
            continue
        pairs = _line_fields(lines[i])
        if not pairs:
            continue
        found.lines.add(i)
        for n, (label, value) in enumerate(pairs):
            last = n == len(pairs) - 1
            if last and not value and label not in _NO_NEXT_LINE and i + 1 < len(lines):
                nxt = lines[i + 1]
                if not _line_fields(nxt) and not re.search(r"[：:。]$", nxt):
                    value = nxt.strip()
                    skip.add(i + 1)
                    found.lines.add(i + 1)
            if value in _EMPTY_VALUES:
                value = ""
            if value and label not in found.values:
                found.values[label] = value
            found.values.setdefault(label, "")
    return found


def is_field_line(line: str) -> bool:
    """A line that begins with a page-field label (``发布机构：…``, ``[ 索引号 ] …``)."""
    return bool(_line_fields(line))


def _line_fields(line: str) -> list[tuple[str, str]]:
    """(canonical label, value) of every field on a line that starts with a label."""
    body = _BULLET.sub("", line.strip())
    matches = [m for m in _LABEL.finditer(body) if _label_ends(body, m)]
    if not matches or matches[0].start() != 0:
        return []
    pairs = []
    for n, match in enumerate(matches):
        end = matches[n + 1].start() if n + 1 < len(matches) else len(body)
        value = body[match.end() : end].strip(_VALUE_STRIP)
        pairs.append((_CANONICAL[re.sub(r"\s", "", match.group("label"))], value))
    return pairs


def _label_ends(body: str, match: re.Match[str]) -> bool:
    """A label is followed by a separator, the end of the line, or a value that is not more text of
    the same word (``标题`` in ``标题党`` is no label; ``发文机关平顺县教育局`` is one)."""
    rest = body[match.end() :]
    if not rest or rest[0] in _VALUE_STRIP or match.group(0).endswith(("]", "】", " ")):
        return True
    if re.match(r"[\dA-Za-z]", rest):
        return True  # 索引号000014349/2025-28452
    # A value in words right after the label: only the longer, unambiguous labels are trusted.
    return len(re.sub(r"\s", "", match.group("label"))) >= 4
