"""LLM answer mode against a real HTTP server on loopback that returns canned OpenAI-format replies."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from rag.errors import LLMUnavailable
from rag.llm import NOT_FOUND, LLMAnswerer, OpenAICompatibleClient, narrow_quote, sentence_spans
from rag.settings import Settings
from rag.types import Hit
from tests.factories import free_port

LETTER = Path(__file__).resolve().parents[2] / "data" / "letters" / "001_49815bdeb399fae2.txt"
TEXT = LETTER.read_text(encoding="utf-8")


def letter_hit(first: str, last: str, score: float) -> Hit:
    """A hit over the letter's text from ``first`` up to and including ``last``."""
    start = TEXT.index(first)
    end = TEXT.index(last, start) + len(last)
    return Hit(
        chunk_id=f"001:{start}",
        doc_id="001_49815bdeb399fae2",
        doc_number="温科提复〔2024〕126号",
        title="关于市政协十二届三次会议395号提案的答复函",
        section="答复",
        text=TEXT[start:end],
        start=start,
        end=end,
        score=score,
    )


EYE_VALLEY = letter_hit("中国眼谷以打造", "重点项目。", 0.61)
REVENUE = letter_hit("2023年，全市生命健康产业", "对眼健康发展加大了支持力度。", 0.83)
RESEARCH = letter_hit("三是聚焦", "764万元。", 0.52)
HITS = [EYE_VALLEY, REVENUE, RESEARCH]


@dataclass
class FakeLLM:
    """Replies queued by a test, served in order; every request is recorded."""

    url: str = ""
    replies: list[tuple[int, Any, float]] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)

    def reply(self, content: str) -> None:
        message = {"role": "assistant", "content": content}
        self.replies.append(
            (200, {"object": "chat.completion", "choices": [{"index": 0, "message": message}]}, 0)
        )

    def respond(self, status: int, body: Any, delay: float = 0) -> None:
        self.replies.append((status, body, delay))


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    state = FakeLLM()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append((self.path, dict(self.headers), body))
            status, payload, delay = (
                state.replies.pop(0) if state.replies else (500, {"error": "no reply"}, 0)
            )
            time.sleep(delay)
            self._send(status, payload)

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/v1/models":
                self._send(
                    200, {"object": "list", "data": [{"id": "qwen2.5-0.5b-instruct", "object": "model"}]}
                )
            else:
                self._send(404, {"error": "not found"})

        def _send(self, status: int, payload: Any) -> None:
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up (timeout test)
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield state
    server.shutdown()
    server.server_close()


def client(fake: FakeLLM, **kwargs: Any) -> OpenAICompatibleClient:
    return OpenAICompatibleClient(fake.url, "qwen2.5-0.5b-instruct", **kwargs)


# --- client -------------------------------------------------------------------------------------------------


def test_chat_posts_openai_request_and_returns_content(fake_llm: FakeLLM) -> None:
    fake_llm.reply("2023年全市生命健康产业总营收1588亿元[1]。")
    messages = [{"role": "user", "content": "你好"}]
    assert (
        client(fake_llm, api_key="secret").chat(messages, max_tokens=64)
        == "2023年全市生命健康产业总营收1588亿元[1]。"
    )
    path, headers, body = fake_llm.requests[0]
    assert path == "/v1/chat/completions"
    assert headers["Authorization"] == "Bearer secret"
    assert body == {
        "model": "qwen2.5-0.5b-instruct",
        "messages": messages,
        "max_tokens": 64,
        "temperature": 0,
    }


def test_healthy(fake_llm: FakeLLM) -> None:
    assert client(fake_llm).healthy() is True
    assert OpenAICompatibleClient(f"http://127.0.0.1:{free_port()}/v1", "m").healthy() is False


def test_connection_refused_says_what_to_do() -> None:
    with pytest.raises(LLMUnavailable) as error:
        OpenAICompatibleClient(f"http://127.0.0.1:{free_port()}/v1", "m").chat(
            [{"role": "user", "content": "?"}]
        )
    assert "无法连接大模型服务" in str(error.value)
    assert "DAFU_LLM_BASE_URL" in str(error.value)
    assert "dafu llm serve" in str(error.value)


def test_timeout(fake_llm: FakeLLM) -> None:
    fake_llm.respond(200, {"choices": []}, delay=1.0)
    with pytest.raises(LLMUnavailable, match="0.2 秒内没有响应.*DAFU_LLM_TIMEOUT"):
        client(fake_llm, timeout=0.2).chat([{"role": "user", "content": "?"}])


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (500, {"error": "model crashed"}, "HTTP 500：.*model crashed.*DAFU_LLM_BASE_URL"),
        (401, {"error": "bad key"}, "HTTP 401.*DAFU_LLM_API_KEY"),
        (404, {"error": "no such model"}, "HTTP 404.*/v1.*DAFU_LLM_MODEL（当前为 qwen2.5-0.5b-instruct）"),
        (200, "<html>proxy login</html>", "不是 OpenAI chat completions 格式.*dafu llm serve"),
        (200, {"choices": []}, "不是 OpenAI chat completions 格式"),
    ],
)
def test_bad_responses_raise_llm_unavailable(
    fake_llm: FakeLLM, status: int, body: Any, expected: str
) -> None:
    fake_llm.respond(status, body)
    with pytest.raises(LLMUnavailable, match=expected):
        client(fake_llm).chat([{"role": "user", "content": "?"}])


def test_client_from_settings_needs_a_base_url() -> None:
    with pytest.raises(LLMUnavailable, match="未配置大模型服务.*DAFU_LLM_BASE_URL.*dafu llm serve"):
        OpenAICompatibleClient.from_settings(Settings(llm_base_url=None))
    made = OpenAICompatibleClient.from_settings(
        Settings(llm_base_url="http://127.0.0.1:8090/v1/", llm_timeout=7)
    )
    assert (made.base_url, made.timeout) == ("http://127.0.0.1:8090/v1", 7)


# --- answerer -----------------------------------------------------------------------------------------------


def ask(
    fake: FakeLLM,
    reply: str,
    question: str = "2023年温州市生命健康产业总营收是多少？",
    hits: list[Hit] = HITS,
):
    fake.reply(reply)
    return LLMAnswerer(client(fake)).answer(question, hits)


def assert_exact(answer_citations: Any) -> None:
    for citation in answer_citations:
        assert TEXT[citation.start : citation.end] == citation.quote


def test_prompt_numbers_passages_with_doc_number(fake_llm: FakeLLM) -> None:
    ask(fake_llm, "总营收1588亿元[2]。")
    messages = fake_llm.requests[0][2]["messages"]
    assert messages[0]["role"] == "system" and NOT_FOUND in messages[0]["content"]
    last = messages[-1]["content"]
    assert last.startswith(
        "[1] 温科提复〔2024〕126号《关于市政协十二届三次会议395号提案的答复函》 章节：答复\n中国眼谷"
    )
    assert "\n\n[2] 温科提复〔2024〕126号" in last and "\n\n[3] " in last
    assert last.endswith("问题：2023年温州市生命健康产业总营收是多少？\n回答：")


def test_answer_cites_and_narrows_quote(fake_llm: FakeLLM) -> None:
    answer = ask(fake_llm, "2023年，全市生命健康产业实现总营收1588亿元[2]。")
    assert answer.found is True
    assert answer.mode == "llm"
    assert answer.answer == "2023年，全市生命健康产业实现总营收1588亿元[1]。"
    (citation,) = answer.citations
    assert (citation.doc_id, citation.doc_number, citation.section) == (
        REVENUE.doc_id,
        REVENUE.doc_number,
        "答复",
    )
    assert citation.quote == "2023年，全市生命健康产业实现总营收1588亿元；"
    assert citation.start == REVENUE.start and citation.score == REVENUE.score
    assert_exact(answer.citations)
    assert answer.hits == tuple(HITS)
    assert answer.unsupported == ()
    assert answer.support == REVENUE.score


def test_markers_are_renumbered_by_first_use(fake_llm: FakeLLM) -> None:
    reply = "2023年全市生命健康产业总营收1588亿元【2】。中国眼谷引进注册企业216家［1］，补助经费达526万元[资料3]。"
    answer = ask(fake_llm, reply)
    assert (
        answer.answer
        == "2023年全市生命健康产业总营收1588亿元[1]。中国眼谷引进注册企业216家[2]，补助经费达526万元[3]。"
    )
    assert [c.start for c in answer.citations] == [
        REVENUE.start,
        TEXT.index("目前已获批国家级平台6个"),
        TEXT.index("截至2023年"),
    ]
    assert (
        answer.citations[1].quote
        == "目前已获批国家级平台6个，引进注册企业216家，其中56家是世界500强或上市及头部企业。"
    )
    assert_exact(answer.citations)


def test_one_statement_citing_two_passages(fake_llm: FakeLLM) -> None:
    answer = ask(fake_llm, "全市生命健康产业总营收1588亿元，其中中国眼谷引进注册企业216家[2][1]。")
    assert answer.answer == "全市生命健康产业总营收1588亿元，其中中国眼谷引进注册企业216家[1][2]。"
    assert [c.start for c in answer.citations][0] == REVENUE.start
    assert_exact(answer.citations)


def test_dangling_markers_are_removed(fake_llm: FakeLLM) -> None:
    answer = ask(fake_llm, "我市已印发生命健康产业发展规划[7]。总营收1588亿元[2][0]。")
    assert answer.answer == "我市已印发生命健康产业发展规划。总营收1588亿元[1]。"
    assert [c.start for c in answer.citations] == [REVENUE.start]


def test_doc_numbers_in_brackets_are_not_markers(fake_llm: FakeLLM) -> None:
    answer = ask(fake_llm, "该答复函文号为温科提复【2024】126号[2]。")
    assert answer.answer == "该答复函文号为温科提复【2024】126号[1]。"
    assert answer.unsupported == ()  # the 文号 is in the cited passage's header


def test_unsupported_numbers_are_flagged(fake_llm: FakeLLM) -> None:
    answer = ask(fake_llm, "2023年全市生命健康产业总营收1688亿元，增速11.3%[2]。")
    assert answer.found is True
    assert answer.unsupported == ("1688亿元",)


def test_number_is_not_supported_by_a_longer_number(fake_llm: FakeLLM) -> None:
    answer = ask(fake_llm, "全市生命健康产业总营收158亿元[2]。")
    assert answer.unsupported == ("158亿元",)


def test_wrong_passage_is_reattributed_when_another_holds_the_claims(fake_llm: FakeLLM) -> None:
    answer = ask(fake_llm, "中国眼谷引进注册企业216家[3]。", question="中国眼谷引进了多少家注册企业？")
    assert answer.answer == "中国眼谷引进注册企业216家[1]。"
    assert answer.citations[0].quote.startswith("目前已获批国家级平台6个")
    assert answer.unsupported == ()


@pytest.mark.parametrize("reply", [NOT_FOUND, f"{NOT_FOUND}。", f"{NOT_FOUND}[2]。", f"  {NOT_FOUND}\n"])
def test_refusal(fake_llm: FakeLLM, reply: str) -> None:
    answer = ask(fake_llm, reply, question="温州的地铁S2线什么时候开通？")
    assert (answer.found, answer.answer, answer.citations) == (False, NOT_FOUND, ())
    assert answer.hits == tuple(HITS)
    assert answer.mode == "llm"


@pytest.mark.parametrize("reply", ["全市生命健康产业总营收1588亿元。", "全市生命健康产业总营收1588亿元[9]。"])
def test_uncited_answer_holding_a_passage_claim_is_attributed(fake_llm: FakeLLM, reply: str) -> None:
    answer = ask(fake_llm, reply)
    assert answer.answer == "全市生命健康产业总营收1588亿元[1]。"
    assert answer.citations[0].quote == "2023年，全市生命健康产业实现总营收1588亿元；"


@pytest.mark.parametrize(
    "reply", ["温州的地铁S2线将于2026年开通。", "温州的地铁S2线已经开通。", "见说明[9]。"]
)
def test_uncited_ungrounded_answer_is_not_found(fake_llm: FakeLLM, reply: str) -> None:
    answer = ask(fake_llm, reply, question="温州的地铁S2线什么时候开通？")
    assert (answer.found, answer.answer, answer.citations) == (False, NOT_FOUND, ())


def test_no_hits_does_not_call_the_model(fake_llm: FakeLLM) -> None:
    answer = LLMAnswerer(client(fake_llm)).answer("2023年总营收是多少？", [])
    assert (answer.found, answer.answer, answer.hits) == (False, NOT_FOUND, ())
    assert fake_llm.requests == []


def test_unreachable_model_raises(fake_llm: FakeLLM) -> None:
    fake_llm.respond(503, {"error": "loading model"})
    with pytest.raises(LLMUnavailable, match="HTTP 503"):
        LLMAnswerer(client(fake_llm)).answer("2023年总营收是多少？", HITS)


# --- quotes -------------------------------------------------------------------------------------------------


def test_sentence_spans_are_exact_and_trimmed() -> None:
    text = " 第一句。第二句；\n第三句！最后"
    assert [text[a:b] for a, b in sentence_spans(text)] == ["第一句。", "第二句；", "第三句！", "最后"]


def test_narrow_quote_falls_back_to_whole_text() -> None:
    assert narrow_quote(REVENUE.text, "温州的地铁") == (0, len(REVENUE.text))
    assert narrow_quote("只有一句话", "只有") == (0, 5)


def test_narrow_quote_keeps_adjacent_supporting_sentences() -> None:
    a, b = narrow_quote(REVENUE.text, "总营收1588亿元，规上制造业产值531.7亿元")
    assert (
        REVENUE.text[a:b]
        == "2023年，全市生命健康产业实现总营收1588亿元；全年规上制造业产值531.7亿元，增速11.3%；"
    )
