"""Chinese tokenisation for the lexical index and for answer selection (jieba, search mode)."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba

jieba.setLogLevel(logging.WARNING)

# Bumped whenever tokenisation changes, so persisted lexical indexes are rebuilt.
TOKENIZER_VERSION = "5"
_KEEP = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbfA-Za-z0-9]")
# Words that carry no topic in questions or letters; they only add noise to BM25 and overlap scores.
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "是",
        "在",
        "对",
        "为",
        "把",
        "被",
        "将",
        "从",
        "以",
        "等",
        "于",
        "之",
        "其",
        "这",
        "那",
        "有",
        "也",
        "都",
        "而",
        "就",
        "并",
        "还",
        "又",
        "啊",
        "吗",
        "呢",
        "吧",
        "什么",
        "多少",
        "哪些",
        "哪个",
        "哪",
        "几",
        "几个",
        "怎么",
        "怎样",
        "如何",
        "是否",
        "有没有",
        "请问",
        "一下",
        "我们",
        "我市",
        "我局",
        "你们",
        "您",
        "情况",
        "方面",
        "相关",
        "有关",
        "进行",
        "开展",
        "工作",
        "一个",
        "多少家",
        "多少个",
        "是多少",
        "有多少",
        "答复函",
        "答复",
        "复函",
        "里",
        "中",
        "说",
        "讲",
        "要",
        "分别",
        "具体",
        "哪里",
        "啥",
        "呀",
        "提到",
        "提出",
        "主要",
        "目前",
        "现在",
        "已经",
        "怎么样",
        "做",
        "做了",
        "能",
        "可以",
        "对应",
        "哪一",
        "一份",
        "哪份",
        "哪封",
        "哪一份",
        "哪一封",
        "封",
        "份",
        "两封",
        "哪天",
        "哪位",
        "谁",
        "叫",
        "名字",
        "时候",
        "一样",
        "一致",
        "不同",
        "说法",
        "各",
        "给",
        "各给",
        "后来",
        "打算",
        "怎么做",
        "那边",
        "那篇",
        "篇",
        "上",
        "后",
        "得到",
        "承诺",
        "介绍",
        "概括",
        "写",
        "写的",
        "发了",
        "准备",
        "拿到",
        "钱",
        "数",
        "种",
        "哪种",
        "针对",
        "些",
        "呢",
        "吗",
        "过",
        "讲了",
        "说的",
        "给的",
        "提了",
        "点了",
        "都有",
        "有哪些",
        "哪几个",
        "哪几",
        "几家",
    ]  # fmt: skip
)


# Words of reply letters in general (any body's), which jieba's dictionary splits.
_LETTER_WORDS = (
    "答复函", "文号", "会办", "政协提案", "人大建议", "提案人", "建议人", "主办单位", "会办单位", "承办单位",
    "协办单位", "办理情况", "答复如下", "联系人", "联系电话", "抄送", "下一步",
)  # fmt: skip


@lru_cache(maxsize=1)
def _init() -> None:
    for word in _LETTER_WORDS:
        jieba.add_word(word, freq=2000)
    jieba.initialize()


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens, lower-cased, punctuation and stopwords removed."""
    return list(_tokens(text))


@lru_cache(maxsize=4096)
def words(text: str) -> tuple[str, ...]:
    """The words of ``text`` as jieba's precise mode cuts it, punctuation included: their lengths add
    up to the text's, so positions can be mapped back (where a word starts and ends)."""
    _init()
    return tuple(jieba.cut(text))


@lru_cache(maxsize=16384)
def _tokens(text: str) -> tuple[str, ...]:
    # The same sentences of the indexed letters are tokenized on every question (candidate windows,
    # passages); segmentation is most of an answer's time, so results are kept (bounded, per process).
    _init()
    return tuple(
        t
        for t in (w.strip().lower() for w in jieba.cut_for_search(text))
        if t and _KEEP.search(t) and t not in STOPWORDS
    )
