"""Plain text (.txt/.md) in whatever encoding a bureau's tools wrote: UTF-8, UTF-16 with or without a
BOM, GB18030/GBK.

Any byte sequence decodes as UTF-16 or GB18030 into *something*, so a decoding is accepted only when
it reads like text: almost all of its characters are printable ASCII, whitespace, or characters of the
GB2312 repertoire (the 6,763 common Chinese characters, Chinese punctuation and full-width forms).
Mojibake fails that test by a wide margin (measured: real letters score 0.99+, UTF-8 or ASCII bytes
read as UTF-16 score below 0.5), so text is never indexed garbled.
"""

from __future__ import annotations

import codecs
import logging
import unicodedata

from rag.errors import UnreadableFile

log = logging.getLogger(__name__)

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SAMPLE = 20000
# Share of "expected" characters a decoding needs (real letters: ≥ 0.99; mojibake: < 0.5).
_READABLE = 0.9


def decode_text(data: bytes, *, name: str = "") -> str:
    """Decode plain text: BOM, then strict UTF-8, then the most readable of UTF-16 LE/BE and GB18030.

    A decoding that is not readable text (control characters, unassigned code points, or characters
    outside the common repertoire) is rejected rather than returned garbled.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _strict(data[len(bom) :], encoding)
            if text is not None and _plausible(text) and readability(text) >= _READABLE:
                return text
            # Bytes that start like a BOM but are not that encoding (a UTF-8 or GB18030 file behind
            # FF FE, an editor's leftover): read what follows the BOM as any other file.
            log.info("%s starts with a %s BOM but is not %s", name, encoding, encoding)
            return _detect(data[len(bom) :], name, bom=encoding)
    return _detect(data, name)


def _detect(data: bytes, name: str, bom: str = "") -> str:
    text = _strict(data, "utf-8")
    if text is not None and _plausible(text) and (not bom or readability(text) >= _READABLE):
        return text
    candidates = ["gb18030"]
    if len(data) % 2 == 0:
        candidates += ["utf-16-le", "utf-16-be"]
    scored = []
    for encoding in candidates:
        decoded = _strict(data, encoding)
        if decoded is not None and _plausible(decoded):
            scored.append((readability(decoded), encoding, decoded))
    if scored:
        score, encoding, decoded = max(scored)
        if score >= _READABLE:
            log.debug("decoded %s as %s (readability %.3f)", name, encoding, score)
            return decoded
    if bom:
        raise UnreadableFile(
            f"文件 {name} 以 {bom} 的字节顺序标记开头，但内容不是 {bom} 编码的文字（按此解码会是乱码）。"
            "请另存为 UTF-8 编码的文本后重试。"
        )
    raise UnreadableFile(
        f"无法识别文件 {name} 的编码（已尝试 UTF-8、UTF-16、GB18030），或内容不是文字。"
        "请另存为 UTF-8 编码的文本后重试。"
    )


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _plausible(text: str) -> bool:
    """True when a decoded text has (almost) no control or unassigned characters."""
    if not text.strip():
        return False
    sample = text[:_SAMPLE]
    bad = 0
    for ch in sample:
        cat = unicodedata.category(ch)
        if (cat == "Cc" and ch not in "\n\r\t\f") or cat in ("Cn", "Co", "Cs"):
            bad += 1
    return bad <= max(2, len(sample) // 1000)


def readability(text: str) -> float:
    """Share of characters that are ASCII, whitespace, or in the GB2312 repertoire (first 20,000)."""
    sample = [ch for ch in text[:_SAMPLE] if not ch.isspace()]
    if not sample:
        return 0.0
    good = 0
    for ch in sample:
        if ch < "\x7f" or ch in "\u3000\ufeff":
            good += 1
            continue
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            continue
        good += 1
    return good / len(sample)
