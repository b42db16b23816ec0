"""Who is in a reply letter: its proposer, the kind of proposal (by who made it) and the issuer."""

from __future__ import annotations

import re

from index.letter import ORG_LINE, ORG_NAME, LetterParts, salutation_name
from rag.vocabulary import RENDA, ZHENGXIE

# "首先感谢某某委员…", "再次感谢某某代表…": a named member thanked by name.
_THANKED = re.compile(r"感谢\s*([\u4e00-\u9fa5·、]{2,24}?(?:等\d+名)?(?:委员|代表))")
# "关于某某委员《…》的答复": a heading that names the member.
_HEADING_NAME = re.compile(r"关于([\u4e00-\u9fa5·、]{2,24}?(?:委员|代表))[《“]")
_NOT_A_PERSON = re.compile(r"[您你们各位全体广大]")
_HEADING_ISSUER = re.compile(rf"^(?:\d{{4}}年度?)?(?P<org>{ORG_NAME})\s*(?:关于|对)")
_ANSWERING_BODY = re.compile(r"[\u4e00-\u9fa5]{2,30}(?:局|厅|委员会|委|人民政府|政府)")
# A reprint's breadcrumb before the name: "某省某市" + "某市某区卫生健康局" -> the second.
_PLACE_MARK = "省市区县州盟旗"


def proposer(parts: LetterParts) -> str:
    """The addressee of the salutation (as printed, without 尊敬的), else a 提案人 field, else the
    member the opening thanks by name, else the member the heading names."""
    if parts.salutation is not None:
        return salutation_name(parts.lines[parts.salutation])
    value = re.sub(r"\s+", "", parts.fields.get("提出人"))
    if value:
        return value
    first = parts.opening if parts.opening is not None else parts.body_start
    for line in parts.lines[first : first + 3]:
        for thanked in _THANKED.finditer(line):
            if not _NOT_A_PERSON.search(thanked.group(1)):
                return thanked.group(1)
    named = _HEADING_NAME.search(parts.heading_text())
    return named.group(1) if named and not _NOT_A_PERSON.search(named.group(1)) else ""


def kind(parts: LetterParts, proposer: str) -> str:
    """政协提案 or 人大建议, from what the letter says, strongest first: the body named in the heading
    or page fields (政协 / 人大), the proposer's title (委员 / 代表), the session named in the opening,
    the words for the proposal (提案 / 议案, 代表建议, a numbered 建议), a proposer that is a body (a
    party committee proposes only to 政协). Nothing said, nothing guessed."""
    fields = " ".join(parts.fields.get(k) for k in ("标题", "分类", "届次", "提案标题"))
    heading = parts.heading_text() + " " + fields
    opening = parts.opening_text()
    person = re.sub(r"(?:等\d+名)", "", proposer)
    checks = (
        _body(heading),
        ZHENGXIE if re.search(r"委员$", person) else RENDA if re.search(r"代表$", person) else "",
        _body(" ".join(re.findall(r"(?:政协|人大|人民代表大会)[^，。,；;\n]{0,16}会议", opening))),
        _wording(heading + " " + opening),
        ZHENGXIE
        if re.search(r"委员会$|委会$|支部$", person) or re.search(r"贵(?:单位|团体|党派|会)", opening)
        else "",
    )
    return next((k for k in checks if k), "")


def _body(text: str) -> str:
    zhengxie = "政协" in text
    renda = bool(re.search(r"人大|人民代表大会", text))
    if zhengxie != renda:
        return ZHENGXIE if zhengxie else RENDA
    return ""


def _wording(text: str) -> str:
    zhengxie = bool(re.search(r"提案", text))
    renda = bool(re.search(r"议案|代表建议|人大代表|[\d零〇一二三四五六七八九十百]号建议", text))
    if zhengxie != renda:
        return ZHENGXIE if zhengxie else RENDA
    return ""


def issuer(parts: LetterParts) -> str:
    """The body that signs: the signature, the name the heading starts with, a letterhead line, then
    the page's 发布机构 / 发文机关, a 承办单位 / 联系单位 line, a 来源 that names a body."""
    lines = parts.lines
    for i in range(parts.signature_start, len(lines)):
        match = ORG_LINE.match(lines[i])
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if match and not nxt.endswith("印发"):
            return _without_breadcrumb(match.group("org"))
    match = _HEADING_ISSUER.match(parts.heading_text())
    if match and not match.group("org").startswith(("关于", "对")):
        return _without_breadcrumb(match.group("org"))
    first = next((i for i in (parts.salutation, parts.opening) if i is not None), parts.body_start)
    for i in parts.header_lines():
        match = ORG_LINE.match(lines[i]) if i < first else None
        if match:
            return _without_breadcrumb(match.group("org"))
    for fields, label in (
        (parts.fields, "发布机构"),
        (parts.tail_fields, "承办单位"),
        (parts.fields, "承办单位"),
    ):
        value = re.sub(r"\s+", "", fields.get(label))
        if value and not re.search(r"\d", value):
            return value
    # A page's 来源 may be the bureau or whoever put the page online (a newspaper, a publicity office):
    # only the name of a body that answers proposals is taken.
    value = re.sub(r"\s+", "", parts.fields.get("来源"))
    return value if _ANSWERING_BODY.fullmatch(value) else ""


def _without_breadcrumb(name: str) -> str:
    for i in range(2, len(name) - 2):
        for k in (2, 3, 4):
            if i >= k and name[i - k : i] == name[i : i + k] and name[i + k : i + k + 1] in _PLACE_MARK:
                return name[i:]
    return name
