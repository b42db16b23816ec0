"""Synthetic reply letters for the scale benchmark (``make bench-scale``).

Each letter has the shape of a real 答复函 — a 文号, a title naming the session and the proposal number, a
salutation to a member, deputy or party committee, an opening that names the proposal, numbered
sections, a 下一步 section of promises, thanks, a signature and a date — and its sentences are the real
sentences of the letters given as sources (the sample letters and the other bodies' letters),
recombined, with every number changed. Issuers, proposers and dates are drawn at random from character
pools, so no two corpora of different seeds look alike. Deterministic for a seed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

_SENTENCE = re.compile(r"[^。！？；\n]{12,160}[。！？；]")
_PROMISE = re.compile(r"下一步|将|拟|计划|力争|确保|推动|持续")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_NUMERALS = "一二三四五六七八九十"
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞建国志宏海波文斌辉林晓峰宇浩然欣怡佳琪思远嘉俊子涵雨晨梓轩一鸣"
_PLACES = "江河湖山海川原州阳宁安平昌丰德兴华泰清源城岭"
_BODIES = [
    "科学技术局",
    "发展和改革委员会",
    "经济和信息化局",
    "教育局",
    "卫生健康委员会",
    "农业农村局",
    "商务局",
]
_HEADINGS = ["基本情况", "工作进展", "主要做法", "存在问题", "相关举措", "推进情况", "取得成效"]
_PARTIES = ["民盟", "民进", "民建", "九三学社", "农工党", "致公党", "台盟"]


@dataclass(frozen=True)
class Pool:
    """Sentences of the source letters: statements for the body, promises for 下一步."""

    statements: tuple[str, ...]
    promises: tuple[str, ...]


def pool_of(folders: Iterable[Path]) -> Pool:
    statements: dict[str, None] = {}
    promises: dict[str, None] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.txt")):
            for sentence in _SENTENCE.findall(path.read_text(encoding="utf-8")):
                sentence = sentence.strip(" \u3000\t:：")
                if len(sentence) < 12:
                    continue
                (promises if _PROMISE.search(sentence) else statements)[sentence] = None
    if not statements or not promises:
        raise ValueError("the source letters hold too few sentences to recombine")
    return Pool(tuple(statements), tuple(promises))


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def _vary(sentence: str, rng: random.Random) -> str:
    """The sentence with every number replaced by another of the same shape."""

    def other(m: re.Match[str]) -> str:
        whole, _, frac = m.group().partition(".")
        if len(whole) == 4 and whole.startswith("20"):  # a year stays a plausible year
            new = str(rng.randint(2015, 2026))
        else:
            new = str(rng.randint(10 ** (len(whole) - 1) if len(whole) > 1 else 0, 10 ** len(whole) - 1))
        return f"{new}.{rng.randint(0, 10 ** len(frac) - 1):0{len(frac)}d}" if frac else new

    return _NUMBER.sub(other, sentence)


def _numeral(n: int) -> str:
    return _NUMERALS[n - 1] if n <= 10 else f"十{_NUMERALS[n - 11]}"


def letter(n: int, pool: Pool, rng: random.Random, chars: int = 1300) -> str:
    """One letter of about ``chars`` characters."""
    place = "".join(rng.sample(_PLACES, 2))
    body = rng.choice(_BODIES)
    short = place[0] + body[0] + rng.choice(("函", "复", "提复", "建复"))
    year = rng.randint(2016, 2026)
    number = rng.randint(1, 999)
    kind = rng.choice(("政协提案", "人大建议"))
    session = f"{place}市{'政协' if kind == '政协提案' else '人大'}{_numeral(rng.randint(8, 15))}届{_numeral(rng.randint(1, 5))}次会议"
    proposal = rng.randint(1, 800)
    word = "提案" if kind == "政协提案" else "建议"
    if kind == "政协提案":
        proposer = rng.choice([f"{_name(rng)}委员", f"{rng.choice(_PARTIES)}{place}市委会"])
    else:
        proposer = rng.choice([f"{_name(rng)}代表", f"{_name(rng)}等{rng.randint(2, 12)}名代表"])
    topic = rng.choice(pool.statements)[: rng.randint(8, 16)].rstrip("，、；：")
    lines = [
        f"{short}〔{year}〕{number}号",
        "",
        f"关于{session}第{proposal}号{word}的答复函",
        "",
        f"{proposer}：",
        f"您提出的《关于{topic}的{word}》（第{proposal}号）收悉。经认真研究，现答复如下：",
    ]
    size = sum(len(line) for line in lines)
    sections = rng.randint(2, 4)
    per_section = max(1, (chars - size) // (sections + 1))
    for s in range(1, sections + 1):
        lines.append(f"{_numeral(s)}、{rng.choice(_HEADINGS)}")
        lines.append(_paragraph(pool.statements, per_section, rng))
    lines.append(f"{_numeral(sections + 1)}、下一步工作")
    lines.append(_paragraph(pool.promises, per_section, rng))
    lines += [
        "感谢您对我们工作的关心和支持，欢迎继续提出宝贵意见和建议。",
        "",
        f"{place}市{body}",
        f"{year}年{rng.randint(4, 9)}月{rng.randint(1, 28)}日",
    ]
    return "\n".join(lines) + "\n"


def _paragraph(sentences: tuple[str, ...], chars: int, rng: random.Random) -> str:
    out: list[str] = []
    while sum(len(s) for s in out) < chars:
        out.append(_vary(rng.choice(sentences), rng))
    return "".join(out)


def letters(count: int, pool: Pool, seed: int = 0, chars: int = 1300) -> Iterator[tuple[str, str]]:
    """``count`` (file name, text) pairs; the same for the same arguments."""
    rng = random.Random(seed)
    for n in range(count):
        yield f"synth_{seed}_{n:06d}.txt", letter(n, pool, rng, chars)


def write(folder: Path, count: int, pool: Pool, seed: int = 0, chars: int = 1300) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, text in letters(count, pool, seed, chars):
        path = folder / name
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out
