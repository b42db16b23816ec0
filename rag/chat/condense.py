"""With a chat model configured, the model condenses a follow-up and the previous turns into one
standalone question; the condensed question is shown to the user and is what gets answered.

A reply that is not one plausible question (empty, several lines of prose, an answer instead of a
question, far longer than the question) is not used: the rules take over.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

from rag.chat.model import Previous
from rag.errors import LLMUnavailable
from rag.llm.client import ChatClient
from rag.types import LetterMeta

log = logging.getLogger(__name__)

_SYSTEM = (
    "你把对话里的追问改写成一个不看上文也能理解的完整问题：补上追问省略的主语、年份、所问的内容，"
    "指代答复函时写出它的文号。不要回答问题，只输出改写后的一个问题；追问本身已经完整时原样输出。"
)
# Worked examples in the format of the real request; invented bodies, not any corpus.
_SHOTS = [
    ("问：甲市去年新建了多少个公园？\n答：全市新建公园12个（甲建复〔2023〕5号）", "那乙市呢？", "乙市去年新建了多少个公园？"),
    ("问：全市开通了多少条公交线路？\n答：全市已开通公交线路286条（甲交复〔2023〕8号）", "这封答复函的联系人是谁？",
     "甲交复〔2023〕8号答复函的联系人是谁？"),
    ("问：2023年全市中小学校有多少所？\n答：全市共有中小学校510所（甲教复〔2024〕3号）", "2022年的呢？",
     "2022年全市中小学校有多少所？"),
]  # fmt: skip
_PREFIX = re.compile(r"^(?:改写后的问题|改写|完整问题|问题)\s*[:：]\s*")
_MAX_GROWTH = 80  # characters a condensed question may add to the follow-up


class LLMCondenser:
    """``condense(text, history) -> str | None``; ``letters`` names the letters of earlier answers."""

    def __init__(
        self, client: ChatClient, letters: Callable[[], Sequence[tuple[str, LetterMeta]]], *, turns: int = 3
    ) -> None:
        self.client = client
        self.letters = letters
        self.turns = turns

    def condense(self, text: str, history: Sequence[Previous]) -> str | None:
        if not history:
            return None
        messages: list[dict[str, str]] = [{"role": "system", "content": _SYSTEM}]
        for context, follow_up, condensed in _SHOTS:
            messages += [
                {"role": "user", "content": _request(context, follow_up)},
                {"role": "assistant", "content": condensed},
            ]
        messages.append({"role": "user", "content": _request(self._context(history), text)})
        try:
            reply = self.client.chat(messages, max_tokens=120)
        except LLMUnavailable as exc:
            log.warning("condensing with the LLM failed, using the rules: %s", exc)
            return None
        return _question(reply, text)

    def _context(self, history: Sequence[Previous]) -> str:
        numbers = {doc_id: meta.doc_number for doc_id, meta in self.letters()}
        lines = []
        for turn in history[-self.turns :]:
            answer = " ".join(turn.answer.split())[:160]
            cited = "、".join(numbers[d] for d in turn.letters if d in numbers)
            lines.append(f"问：{turn.question}\n答：{answer}" + (f"（{cited}）" if cited else ""))
        return "\n".join(lines)


def _request(context: str, follow_up: str) -> str:
    return f"对话：\n{context}\n追问：{follow_up.strip()}\n改写："


def _question(reply: str, text: str) -> str | None:
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    if not lines:
        return None
    condensed = _PREFIX.sub("", lines[0]).strip(" “”\"'「」")
    if len(condensed) < 2 or len(condensed) > len(text) + _MAX_GROWTH or len(lines) > 2:
        return None
    return condensed
