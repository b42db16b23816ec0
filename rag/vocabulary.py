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
# A letter named by a number in a question: its 文号 serial or its proposal number ("121号答复函",
# "第0197号建议", "第W2023358号提案"); a single digit only with 第 before it.
LETTER_REF = re.compile(r"(?<![\d〔\[（(])(?:第\s*)?([A-Za-z]{0,3}\d{2,10})\s*号(?![线楼院])|第\s*(\d)\s*号")
_SERIAL = re.compile(r"(\d+)号$")
# The title after a member's name in a salutation or proposer field.
_MEMBER_TITLE = re.compile(r"(委员|代表)$")
# Provinces and provincial-level cities and regions of China (national facts, not one corpus's).
PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
    "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
    "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门",
)  # fmt: skip
# The level words that end a place inside a body's name (重庆市科学技术局 -> 重庆).
_PLACE_IN_NAME = re.compile(r"([\u4e00-\u9fa5]{2,6}?)(?:省|自治区|市|区|县|旗|盟|州)")


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


# -- commitments (what a letter promises) -------------------------------------------------------
# A paragraph that opens a letter's promises, and a section heading that holds only promises.
NEXT_STEP_WORDS = r"(?:下一步|下步|今后|接下来|下阶段|下一阶段)"
NEXT_STEP_OPENER = re.compile(rf"^{NEXT_STEP_WORDS}")
NEXT_STEP_HEADING = re.compile(r"下一步|下步|今后|下阶段|下一阶段|工作打算|工作计划|工作思路|努力方向|打算")
# Words by which a body states what it will do. 将 counts where a verb of intent follows it (将继续,
# 我局将积极, 也将同时), not where it marks an object (将其纳入, 已将…列入); 确保 and 计划 count where
# a time or an action follows them (确保2024年…, 计划2022年建设), not as a purpose or a plan's name.
_INTENT = (
    "继续|进一步|持续|加快|加大|加强|积极|会同|着力|不断|全力|认真|努力|抓紧|尽快|结合|根据|按照|逐步|重点"
    "|大力|深入|探索|推动|推进|研究|适时|协调|联合|统筹|主动|及时|同时|严格|切实|稳步|优化|完善|强化|做好"
    "|抓好|落实|开展|组织|建立|健全|启动|实施|出台|制定|争取|坚持|围绕|充分|聚焦|配合|督促|指导|支持"
    "|鼓励|引导|提升|提高|扩大|利用|通过|依照|依托|着手|立足|采取|在|于|对|以|把|与"
)
_TIME = r"\d{4}\s*年|今年|明年|年底|年内|下半年|近期"
PROMISE = re.compile(
    rf"下一步|下步|今后|接下来|下阶段|下一?年度|在实际的?工作中|力争|拟(?!定)|确保(?=[^，,。；;]{{0,8}}(?:{_TIME}))"
    rf"|计划(?=\s*(?:{_TIME}|于|在|到|派|建设|投入|实施|完成|开展|配备|新增|改造|招引|引进))"
    rf"|(?<![已并把])(?:[们局委厅办府市区县院校门位]|也|还|仍|均|都|^|[，,；;：:]\s*)将(?:{_INTENT})"
    r"|^(?:[一二三四五六七八九十]+是|\d{1,2}[、.．])?将(?![^。]*了)"  # an imperative plan: 将AED配置纳入规划
)
# A sentence that only announces the list of promises that follows ("将着力做好以下工作：").
PROMISE_INTRO = re.compile(r"(?:以下|如下)[^，,。；;]{0,10}(?:工作|方面|措施|几点|举措)?[：:。]?$")
# A paragraph whose last clause announces what will be done ("我们将继续做好以下工作：") makes the
# sections after it promises; one that lists what was done ("主要开展了以下工作") does not.
PROMISES_FOLLOW = re.compile(
    r"(?:将|拟|计划|要|按)[^，,。；;了]*?(?:做好|开展|抓好|采取|推进|实施|落实)[^，,。；;了]*(?:以下|如下)"
    r"[^，,。；;了]{0,10}[：:。]?$"
)
# A question about what was promised and whether it was done ("去年答应的三张清单做了吗？").
LEDGER_QUESTION = re.compile(
    r"承诺|答应|许诺|做了吗|做到了吗|落实了吗|完成了吗|实现了吗|达到了吗|有没有做|进展如何|做得怎么样"
    r"|后来[^，。？?]{0,8}(?:怎么说|说了什么|如何|怎样)|要达到多少"
)
# Words of such a question that say nothing of its subject.
LEDGER_QUESTION_WORDS = re.compile(
    r"承诺|答应|许诺|做了吗|做到了吗|落实了吗|完成了吗|实现了吗|达到了吗|有没有做|进展如何|做得怎么样"
    r"|^[\u4e00-\u9fff]{1,10}?(?:局|委|厅|办|院|政府)(?=去年|今年|前年|答应|承诺|说|\d)"  # who: 某某局去年答应…
    r"|后来的?|答复函?|回复|中说|说|要达到多少|多少|怎么说|说了什么|去年|今年|前年|\d{4}\s*年|我们|你们|的|了|吗"
)


def letter_refs(text: str) -> frozenset[str]:
    """The numbers by which a text names letters ("121号", "第0197号", "第2号")."""
    return frozenset(m.group(1) or m.group(2) for m in LETTER_REF.finditer(text))


def proposal_key(number: str) -> str:
    """A proposal or serial number compared as written without leading zeros or case: 0197 = 197."""
    return number.strip().upper().lstrip("0") or "0"


def issuer_places(issuer: str) -> list[str]:
    """The places in a body's name: 郑州市惠济区教育局 -> [郑州, 惠济]; 天津市城市管理委员会 -> [天津]."""
    out = []
    rest = issuer
    while match := _PLACE_IN_NAME.match(rest):
        out.append(match.group(1))
        rest = rest[match.end() :]
    return out
