"""Metadata accuracy per field: what dafu read from each letter against a manifest of ground truth.

The manifest (``manifest.jsonl`` of the other-bureaus corpus) fills a field only where the letter's text
states it; an empty field means the right output is empty too. For each field we count the filled values
read right and the empty ones dafu filled anyway (invented). Both sides go through ``normalise`` first.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.types import LetterMeta

FIELDS = ("doc_number", "proposal_number", "proposer", "kind", "year", "title", "issuer")


@dataclass(frozen=True)
class ManifestRow:
    file: str  # the letter's file name, e.g. 02_chongqing_kjj_jy0197.txt
    values: dict[str, str]  # field -> value as the manifest writes it ("" = the text does not say)


@dataclass(frozen=True)
class FieldScore:
    field: str
    filled: int  # manifest rows with a value
    correct: int  # of those, read right
    empty: int  # manifest rows without a value
    invented: int  # of those, filled anyway
    misses: tuple[tuple[str, str, str], ...]  # (file, expected, read) for filled values read wrong
    inventions: tuple[tuple[str, str], ...]  # (file, read) for empty values filled anyway
    # files whose filled value the text does not spell out verbatim (an issuer the manifest took from the
    # web site, 临沂市工业和信息化局 for 市工信局): reading them right takes more than copying
    unstated: tuple[str, ...] = ()

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.filled if self.filled else None

    def to_json(self) -> dict[str, Any]:
        return {
            "filled": self.filled, "correct": self.correct, "accuracy": self.accuracy, "empty": self.empty,
            "invented": self.invented, "misses": [list(m) for m in self.misses],
            "inventions": [list(i) for i in self.inventions], "unstated": list(self.unstated),
        }  # fmt: skip


def load_manifest(path: Path) -> list[ManifestRow]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            values = {f: "" if raw.get(f) is None else str(raw[f]) for f in FIELDS}
            rows.append(ManifestRow(Path(raw["file"]).name, values))
    return rows


_QUOTES = re.compile(r"[《》〈〉“”‘’\"'「」『』]")
_OPEN = re.compile(r"[〔［\[【(（{｛]")
_CLOSE = re.compile(r"[〕］\]】)）}｝]")
_PARTS = re.compile(r"[、,，;；]|和|及")
_TITLE_WRAP = re.compile(r"^关于|(?:的)?(?:建议|提案|议案)$")
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def normalise(field: str, value: str) -> str:
    """The comparable form of a field's value, the same for the manifest and for dafu's reading.

    Everywhere: Unicode NFKC (full-width letters, digits and punctuation become ASCII) and no
    whitespace. Then per field:

    - ``doc_number``: every bracket pair becomes 〔〕 (渝科局函[2022]242号 = 渝科局函〔2022〕242号).
    - ``proposal_number``: without 第…号, upper case, a number in Chinese numerals as digits, leading
      zeros dropped (0197 = 197 = 第一百九十七号; W2023358 stays as is).
    - ``proposer``: without 尊敬的, each of several proposers (split at 、，和及) without a trailing 委员 or
      代表 (not 委员会, 代表团); the names keep their order (尚小豆委员、田海军委员 = 尚小豆、田海军).
    - ``title``: without quotation marks and book-title marks, and without the wrapper 关于…的建议/提案/
      议案 (关于“加强统筹建设新能源充电桩”的建议 = 加强统筹建设新能源充电桩).
    - ``kind``, ``year``, ``issuer``: as they are.

    Nothing else is forgiven: a shorter issuer (市工信局 for 临沂市工业和信息化局), a proposer without
    his co-proposers or a heading for a proposal title stays wrong.
    """
    text = "".join(unicodedata.normalize("NFKC", value).split())
    if field == "doc_number":
        return _CLOSE.sub("〕", _OPEN.sub("〔", text))
    if field == "proposal_number":
        text = text.removeprefix("第").removesuffix("号").upper()
        if text and all(c in _CN_DIGITS or c in _CN_UNITS for c in text):
            text = str(_chinese_number(text))
        return (text.lstrip("0") or "0") if text.isdigit() else text
    if field == "proposer":
        parts = [p for p in _PARTS.split(text.removeprefix("尊敬的")) if p]
        return "、".join(re.sub(r"(?:委员|代表)$", "", p) for p in parts)
    if field == "title":
        return _TITLE_WRAP.sub("", _QUOTES.sub("", text))
    return text


def _chinese_number(text: str) -> int:
    """一百三十三 -> 133, 二〇一九 -> 2019 (digits only: read positionally)."""
    if not any(c in _CN_UNITS for c in text):
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    total, digit = 0, 0
    for c in text:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        else:
            total += (digit or 1) * _CN_UNITS[c]
            digit = 0
    return total + digit


def read_values(field: str, meta: LetterMeta) -> list[str]:
    """What dafu read for a field: one value, or for ``title`` the proposal's title and the heading (the
    manifest's title is the proposal's title as printed, or the heading when the text gives no other)."""
    if field == "title":
        return [v for v in (meta.proposal_title, meta.title) if v]
    value = getattr(meta, field)
    return [str(value)] if value not in (None, "") else []


# Fields whose manifest value is a string copied from the letter (kind and year are not).
VERBATIM = ("doc_number", "proposal_number", "proposer", "title", "issuer")


def score_metadata(
    rows: Sequence[ManifestRow], metas: Mapping[str, LetterMeta], texts: Mapping[str, str] | None = None
) -> dict[str, FieldScore]:
    """field -> score, over the manifest rows whose file was read (``metas``: file name -> metadata;
    ``texts``: file name -> text, to tell which filled values the text spells out)."""
    out = {}
    for field in FIELDS:
        filled = correct = empty = 0
        misses: list[tuple[str, str, str]] = []
        inventions: list[tuple[str, str]] = []
        unstated: list[str] = []
        for row in rows:
            if row.file not in metas:
                continue
            read = read_values(field, metas[row.file])
            expected = row.values[field]
            if not expected:
                empty += 1
                if read:
                    inventions.append((row.file, " / ".join(read)))
                continue
            filled += 1
            if (
                texts is not None
                and field in VERBATIM
                and _bare(expected) not in _bare(texts.get(row.file, ""))
            ):
                unstated.append(row.file)
            if normalise(field, expected) in {normalise(field, v) for v in read}:
                correct += 1
            else:
                misses.append((row.file, expected, " / ".join(read)))
        out[field] = FieldScore(
            field, filled, correct, empty, len(inventions), tuple(misses), tuple(inventions), tuple(unstated)
        )
    return out


def _bare(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def overall(scores: Mapping[str, FieldScore]) -> tuple[float | None, int]:
    """(share of all filled manifest values read right, all invented values)."""
    filled = sum(s.filled for s in scores.values())
    correct = sum(s.correct for s in scores.values())
    return (correct / filled if filled else None), sum(s.invented for s in scores.values())
