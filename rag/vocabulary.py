"""The domain vocabulary of reply letters, in one place: letter kinds, 文号 and reference patterns,
member titles and the not-found sentence.

Only what holds for any body's letters lives here; what varies by corpus (places, issuers, people)
comes from the indexed documents' metadata or from settings.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

# The two kinds of proposal a reply letter answers.
Kind = Literal["政协提案", "人大建议"]
ZHENGXIE: Kind = "政协提案"
RENDA: Kind = "人大建议"
KINDS: tuple[Kind, ...] = get_args(Kind)

# What every refusal says (the answer text adds a full stop).
NOT_FOUND = "已收录的答复函中未找到相关内容"

# A 文号: issuer abbreviation, 〔year〕 in any bracket, serial number (some print 第 before it), 号:
# 渝科局函〔2022〕242号, 鄂建提复字[2023]116号, 本住建议字（2019）第33号.
DOC_NUMBER = re.compile(
    r"[\u4e00-\u9fa5]{1,10}[〔\[［(（【﹝]\s*(\d{4})\s*[〕\]］)）】﹞]\s*(第?)\s*(\d+)\s*号"
)
# A letter named by a number in a question: its 文号 serial or its proposal number ("121号答复函").
LETTER_REF = re.compile(r"(\d{2,4})\s*号")
_SERIAL = re.compile(r"(\d+)号$")
# The title after a member's name in a salutation or proposer field.
_MEMBER_TITLE = re.compile(r"(委员|代表)$")


def normalise_doc_number(value: str) -> str:
    """Write a 文号 with the official brackets: 渝科局函[2022]242号 -> 渝科局函〔2022〕242号; a 第 before
    the serial is kept as printed."""
    match = DOC_NUMBER.search(re.sub(r"\s+", "", value))
    if not match:
        return value.strip()
    prefix = match.group(0)[: match.group(0).index(match.group(1)) - 1]
    return f"{prefix}〔{match.group(1)}〕{match.group(2)}{match.group(3)}号"


def doc_number_serial(doc_number: str) -> str:
    """The serial number of a 文号 ("242" of 渝科局函〔2022〕242号), or ""."""
    match = _SERIAL.search(doc_number)
    return match.group(1) if match else ""


def person_name(proposer: str) -> str:
    """A proposer without the member title: 张勇代表 -> 张勇; a committee stays as it is."""
    return _MEMBER_TITLE.sub("", proposer)


_SEVERAL = re.compile(r"[、，,；;]")
_HOW_MANY = re.compile(r"等\s*\d+\s*[名位人]$")
_DELEGATION = re.compile(r"^\S*?代表团")


def person_names(proposer: str) -> tuple[str, ...]:
    """Each proposer of a proposer field, without titles: 周红委员、陈亮委员 -> (周红, 陈亮);
    某县代表团钱伟等4名代表 -> (钱伟,); a committee stays as it is (民盟市委会,)."""
    names = []
    for part in _SEVERAL.split(proposer.removeprefix("尊敬的")):
        name = _HOW_MANY.sub("", _MEMBER_TITLE.sub("", part.strip()))
        name = _DELEGATION.sub("", name) or name
        if name:
            names.append(name)
    return tuple(names)
