"""The chat model condenses a follow-up (a real HTTP server on loopback with canned replies)."""

from __future__ import annotations

from rag.chat.condense import LLMCondenser
from rag.chat.model import Previous
from rag.llm.client import OpenAICompatibleClient
from tests.factories import FakeLLM, free_port, sample_catalogue

CATALOGUE = sample_catalogue()
L115 = next(doc_id for doc_id, meta in CATALOGUE if meta.doc_number == "温科提复〔2024〕115号")
HISTORY = [
    Previous(
        question="中国基因药谷获批了几个国家级平台？", answer="目前已获批国家级平台3个[1]", letters=(L115,)
    )
]


def condenser(url: str) -> LLMCondenser:
    return LLMCondenser(OpenAICompatibleClient(url, "m", timeout=5), lambda: CATALOGUE)


def test_the_condensed_question_is_the_models_line(fake_llm: FakeLLM) -> None:
    fake_llm.reply("改写后的问题：温科提复〔2024〕115号答复函是谁签发的？")
    assert (
        condenser(fake_llm.url).condense("这封答复函是谁签发的？", HISTORY)
        == "温科提复〔2024〕115号答复函是谁签发的？"
    )
    messages = fake_llm.requests[0][2]["messages"]
    last = messages[-1]["content"]
    # The model sees the previous question, its answer and the 文号 it cited, then the follow-up.
    assert "中国基因药谷获批了几个国家级平台？" in last and "温科提复〔2024〕115号" in last
    assert last.endswith("追问：这封答复函是谁签发的？\n改写：")


def test_an_answer_instead_of_a_question_is_not_used(fake_llm: FakeLLM) -> None:
    fake_llm.reply("这封答复函由温州市科学技术局签发。\n它的日期是2024年6月28日。\n联系人是陈忠研。")
    assert condenser(fake_llm.url).condense("这封答复函是谁签发的？", HISTORY) is None
    fake_llm.reply("")
    assert condenser(fake_llm.url).condense("这封答复函是谁签发的？", HISTORY) is None


def test_an_unreachable_model_leaves_it_to_the_rules() -> None:
    down = f"http://127.0.0.1:{free_port()}/v1"
    assert condenser(down).condense("那基因药谷呢？", HISTORY) is None


def test_no_history_no_call(fake_llm: FakeLLM) -> None:
    assert condenser(fake_llm.url).condense("中国眼谷引进注册企业多少家？", []) is None
    assert fake_llm.requests == []
