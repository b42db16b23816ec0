"""Shared builders for tests: hits and questions, real .docx/.pdf files, server processes, a fake
OpenAI-compatible server, an embedder that counts its calls, the index state a failed write must keep."""

from __future__ import annotations

import io
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from rag.ask.question import Question, QuestionParser
from rag.settings import PROJECT_ROOT
from rag.types import Document, Hit, LetterMeta

if TYPE_CHECKING:
    from rag.service import DafuService

LETTERS = PROJECT_ROOT / "data" / "letters"
# Real reply letters of other bodies with ground-truth metadata; outside the project, may be absent.
OTHER_BUREAUS = PROJECT_ROOT.parent / "shared" / "corpora" / "other_bureaus"
# The sample letter that states the 2023 revenue of the life-health industry (1588亿元).
LETTER_001 = "001_49815bdeb399fae2"
REVENUE_DOC_NUMBER = "温科提复〔2024〕126号"


def make_hit(text: str, *, doc_id: str = "doc", start: int = 0, score: float = 1.0, **fields: object) -> Hit:
    values: dict[str, object] = {
        "chunk_id": f"{doc_id}:{start}",
        "doc_id": doc_id,
        "doc_number": "",
        "title": "",
        "section": "正文",
        "text": text,
        "start": start,
        "end": start + len(text),
        "score": score,
    }
    values.update(fields)
    return Hit.model_validate(values)


def make_question(text: str, letters: Sequence[tuple[str, LetterMeta]] = ()) -> Question:
    """A parsed question; ``letters`` are the indexed letters it may name."""
    return QuestionParser(lambda: list(letters)).parse(text)


# Two letters of invented bodies, in shapes the sample letters do not use (another 文号 shape, a body
# line above the 文号, a 人大建议 with a counted figure): answerers are tested on them, not on the samples.
SYNTHETIC_LETTERS = {
    "fgw56": """川发改函〔2024〕56号

关于市政协十三届二次会议第56号提案的答复

李明委员：
    您提出的《关于加快新能源汽车充电设施建设的提案》收悉。现答复如下：
    一、充电设施建设情况
    截至2023年底，全市累计建成公共充电桩4200个，其中快充桩1800个。
    二、下一步工作
    我委将会同市住建局，在2024年新建公共充电桩1000个。
    感谢您对发展改革工作的关心和支持。

江川市发展和改革委员会
2024年5月20日
（联系人：王芳，电话：0871-1234567）
""",
    "jyj118": """临海市教育局
临教建〔2023〕8号

关于市十七届人大三次会议第118号建议的答复

张华代表：
    您提出的《关于防治校园欺凌的建议》收悉，现答复如下：
    一、建立预防机制。全市216所中小学均已设立心理辅导室。
    二、加强家校合作。2023年共开展家长培训530场。
    感谢您对教育工作的关心。

临海市教育局
2023年6月30日
""",
}


# Letters of an invented bureau over two years: a promise that names its object (“启航计划”), a later
# letter that reports on it by name beside a passage on a neighbouring subject, and one that only speaks
# of the neighbouring subject (tests/rag/ledger/test_followthrough.py).
def _followup_letter(number: str, date: str, body: str) -> str:
    year = date[:4]
    return f"""川科函〔{year}〕{number}号

关于市政协十三届二次会议第{number}号提案的答复

李明委员：
    您提出的《关于加强技能人才培养的提案》收悉。现答复如下：
{body}
    感谢您对科技工作的关心和支持。

江川市科学技术局
{date}
"""


FOLLOWUP_LETTERS = {
    "promise2023": _followup_letter(
        "12",
        "2023年6月30日",
        """    一、人才培养情况
    2022年全市新增技能人才3000人。
    二、下一步工作
    下一步，我局将搭建“启航计划”人才实训平台，年内建成公共实训基地5个。""",
    ),
    "named2024": _followup_letter(
        "9",
        "2024年6月28日",
        """    一、人才实训情况
    全市支持高校深化人才培养改革，加强职业技能培训。
    “启航计划”人才实训平台于2023年底建成，全市共建成公共实训基地6个。""",
    ),
    "neighbour2024": _followup_letter(
        "10",
        "2024年7月2日",
        """    一、人才实训情况
    全市支持高校深化人才培养改革，加强职业技能培训。""",
    ),
}


def followup_letters(*doc_ids: str) -> list[Document]:
    """The named letters of ``FOLLOWUP_LETTERS``, read as ingestion reads them."""
    return [make_letter(doc_id, FOLLOWUP_LETTERS[doc_id]) for doc_id in doc_ids]


def make_letter(doc_id: str, text: str) -> Document:
    """A document read from ``text`` the way ingestion reads it (cleaning, metadata)."""
    from index.cleaning import clean_text
    from index.metadata import extract_meta

    text = clean_text(text)
    return Document(
        doc_id=doc_id, source=f"{doc_id}.txt", content_hash=doc_id, text=text, meta=extract_meta(text)
    )


def synthetic_letters() -> dict[str, Document]:
    return {doc_id: make_letter(doc_id, text) for doc_id, text in SYNTHETIC_LETTERS.items()}


def sample_catalogue() -> list[tuple[str, LetterMeta]]:
    """(doc_id, metadata) of the sample letters with a 文号, read as ingestion reads them."""
    from index.cleaning import clean_text
    from index.metadata import extract_meta

    out = []
    for path in sorted(LETTERS.glob("*.txt")):
        meta = extract_meta(clean_text(path.read_text(encoding="utf-8")))
        if meta.doc_number:
            out.append((path.stem, meta))
    return out


def serve_env(data_dir: Path) -> dict[str, str]:
    """Environment of a ``dafu serve`` process under test: its own data dir, offline, no LLM."""
    env = {
        **os.environ,
        "DAFU_DATA_DIR": str(data_dir),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    env.pop("DAFU_LLM_BASE_URL", None)
    return env


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (for servers the tests start)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    command: list[str],
    health_url: str,
    log_path: Path,
    *,
    env: dict[str, str],
    timeout: float = 180.0,
    **popen: Any,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server process, wait until ``health_url`` answers 200, stop it on exit.

    Fails the test with the tail of the server's log when it exits or stays unhealthy."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, **popen)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(health_url, timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-3000:]
                pytest.fail(f"{command[0]} did not start (exit code {process.poll()}):\n{tail}")
            time.sleep(0.3)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def docx_bytes(paragraphs: Sequence[str]) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_bytes(lines: Sequence[str], *, font_path: str | None = None) -> bytes:
    """A one-page PDF with a real text layer, written by matplotlib's PDF backend."""
    import matplotlib

    matplotlib.use("pdf")
    import matplotlib.pyplot as plt
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=font_path) if font_path else None
    figure = plt.figure(figsize=(8.27, 11.69))
    for n, line in enumerate(lines):
        figure.text(0.05, 0.95 - 0.04 * n, line, fontproperties=font, fontsize=9)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="pdf")
    plt.close(figure)
    return buffer.getvalue()


def cjk_font() -> str | None:
    """A font file with Chinese glyphs if the machine has one (Noto CJK on the CI image)."""
    from matplotlib import font_manager

    for entry in font_manager.fontManager.ttflist:
        if "CJK" in entry.name and ("SC" in entry.name or "Sans" in entry.name):
            return str(entry.fname)
    return None


# -- files of every format a bureau keeps (docs/formats.md), made here from a letter's text ---------


def letter_docx(text: str, *, table: Sequence[Sequence[str]] = (), after: str = "") -> bytes:
    """A .docx of a letter, one paragraph per line; ``table`` is inserted after the line starting ``after``."""
    import docx

    document = docx.Document()
    for line in text.splitlines():
        if not line.strip():
            continue
        document.add_paragraph(line)
        if table and after and line.startswith(after):
            grid = document.add_table(rows=len(table), cols=max(len(r) for r in table))
            for r, row in enumerate(table):
                for c, cell in enumerate(row):
                    grid.rows[r].cells[c].text = cell
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def converted(data: bytes, suffix: str, target: str, tmp_path: Path) -> bytes:
    """``data`` (a file of type ``suffix``) converted by LibreOffice to ``target`` (e.g. "doc")."""
    import shutil

    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.fail("LibreOffice (soffice) is not installed: `make install-test` installs it")
    source = tmp_path / f"source{suffix}"
    source.write_bytes(data)
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return (tmp_path / f"source.{target.split(':')[0]}").read_bytes()


def ofd_bytes(
    text: str, *, title: str = "", custom: dict[str, str] | None = None, per_page: int = 22
) -> bytes:
    """A minimal valid OFD package (GB/T 33190-2016) of the text, laid out like a 公文 page: A4,
    16 pt (5.6 mm) characters, 28 to a line, paragraphs indented two characters, one TextObject a
    line with per-glyph advances (DeltaX), and DocInfo metadata in OFD.xml."""
    import uuid
    import zipfile
    from xml.sax.saxutils import escape

    size, left, top, width = 5.6, 28.0, 37.0, 156.0
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'

    def advance(ch: str) -> float:
        return size / 2 if ch.isascii() else size

    lines: list[tuple[float, str]] = []  # (indent mm, text)
    for paragraph in (p.strip() for p in text.splitlines()):
        if not paragraph:
            continue
        indent, line, used = 2 * size, "", 2 * size
        for ch in paragraph:
            if used + advance(ch) > width:
                lines.append((indent, line))
                indent, line, used = 0.0, "", 0.0
            line += ch
            used += advance(ch)
        lines.append((indent, line))
    pages = [lines[i : i + per_page] for i in range(0, len(lines), per_page)]
    ids = iter(range(10, 10**6))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as ofd:
        customs = "".join(
            f'<ofd:CustomData Name="{escape(k)}">{escape(v)}</ofd:CustomData>'
            for k, v in (custom or {}).items()
        )
        ofd.writestr(
            "OFD.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {ns} Version="1.0" DocType="OFD"><ofd:DocBody>'
            f"<ofd:DocInfo><ofd:DocID>{uuid.uuid4().hex}</ofd:DocID><ofd:Title>{escape(title)}</ofd:Title>"
            "<ofd:Author>dafu tests</ofd:Author><ofd:CreationDate>2024-05-20</ofd:CreationDate>"
            f"<ofd:CustomDatas>{customs}</ofd:CustomDatas></ofd:DocInfo>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
        page_refs = "".join(
            f'<ofd:Page ID="{n + 1}" BaseLoc="Pages/Page_{n}/Content.xml"/>' for n in range(len(pages))
        )
        ofd.writestr(
            "Doc_0/Document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {ns}><ofd:CommonData>'
            f"<ofd:MaxUnitID>{10 + 2 * len(lines) + 1}</ofd:MaxUnitID><ofd:PageArea>"
            "<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>"
            "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
            f"<ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>",
        )
        ofd.writestr(
            "Doc_0/PublicRes.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res {ns} BaseLoc="Res"><ofd:Fonts>'
            '<ofd:Font ID="2" FontName="仿宋" FamilyName="仿宋"/></ofd:Fonts></ofd:Res>',
        )
        for n, page in enumerate(pages):
            objects = []
            for row, (indent, line) in enumerate(page):
                x, y = left + indent, top + row * size * 1.75
                deltas = " ".join(f"{advance(ch):g}" for ch in line[:-1])
                objects.append(
                    f'<ofd:TextObject ID="{next(ids)}" Boundary="{x:g} {y:g} {width - indent:g} {size * 1.2:g}" '
                    f'Font="2" Size="{size:g}"><ofd:FillColor Value="0 0 0"/>'
                    f'<ofd:TextCode X="0" Y="{size:g}" DeltaX="{deltas}">{escape(line)}</ofd:TextCode>'
                    "</ofd:TextObject>"
                )
            ofd.writestr(
                f"Doc_0/Pages/Page_{n}/Content.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {ns}><ofd:Content>'
                f'<ofd:Layer ID="{next(ids)}">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>',
            )
    return out.getvalue()


class CountingEmbedder:
    """Wraps a real embedder and counts the passages it is asked to embed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls = 0
        self.texts = 0

    def get_text_embedding_batch(self, texts: list[str], **kwargs: Any) -> list[list[float]]:
        self.calls += 1
        self.texts += len(texts)
        return self.inner.get_text_embedding_batch(texts, **kwargs)  # type: ignore[no-any-return]

    def get_query_embedding(self, query: str) -> list[float]:
        return self.inner.get_query_embedding(query)  # type: ignore[no-any-return]


def index_state(service: DafuService) -> dict[str, object]:
    """Everything a failed write must leave unchanged."""
    raw = service.store.chunks.get(include=[])
    return {
        "versions": service.store.versions(),
        "raw_chunks": sorted(raw["ids"]),
        "lexical_chunks": len(service.lexical),
        "lexical_fingerprint": service.lexical.fingerprint,
        "store_fingerprint": service.store.fingerprint(),
        "ledger": [c.commitment_id for c in service.ledger.commitments.commitments()]
        if service.ledger
        else [],
    }


LETTER_001_TEXT = (LETTERS / f"{LETTER_001}.txt").read_text(encoding="utf-8")  # the revenue letter


def letter_hit(first: str, last: str, score: float) -> Hit:
    """A hit over the letter's text from ``first`` up to and including ``last``."""
    start = LETTER_001_TEXT.index(first)
    end = LETTER_001_TEXT.index(last, start) + len(last)
    return Hit(
        chunk_id=f"001:{start}",
        doc_id="001_49815bdeb399fae2",
        doc_number="温科提复〔2024〕126号",
        title="关于市政协十二届三次会议395号提案的答复函",
        section="答复",
        text=LETTER_001_TEXT[start:end],
        start=start,
        end=end,
        score=score,
    )


EYE_VALLEY = letter_hit("中国眼谷以打造", "重点项目。", 0.61)
REVENUE = letter_hit("2023年，全市生命健康产业", "对眼健康发展加大了支持力度。", 0.83)
RESEARCH = letter_hit("三是聚焦", "764万元。", 0.52)
LETTER_001_HITS = [EYE_VALLEY, REVENUE, RESEARCH]


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

    def stream(self, pieces: Sequence[str], *, delay: float = 0, cut: bool = False, pause: float = 0) -> None:
        """A ``stream: true`` reply: one chunk per piece in OpenAI's format (``pause`` seconds apart), then
        ``data: [DONE]`` (``cut``: the connection drops before it)."""
        self.replies.append((200, Streamed(tuple(pieces), cut, pause), delay))


@dataclass(frozen=True)
class Streamed:
    pieces: tuple[str, ...]
    cut: bool = False
    pause: float = 0

    def events(self) -> Iterator[bytes]:
        yield b'data: {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"role": "assistant"}}]}\n\n'
        for piece in self.pieces:
            chunk = {
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {"content": piece}}],
            }
            yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()
        if not self.cut:
            done = {
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            }
            yield f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode()


@contextmanager
def fake_llm_server() -> Iterator[FakeLLM]:
    """A real HTTP server on loopback that answers chat completions with the replies a test queues."""
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
            if isinstance(payload, Streamed):
                self.send_response(status)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for data in payload.events():
                    self.wfile.write(data)
                    self.wfile.flush()
                    time.sleep(payload.pause)
                return
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


LOCAL = "http://127.0.0.1"  # the API answers loopback names only (DAFU_ALLOWED_HOSTS)


def api_client(service: DafuService, *, ui: bool = False) -> Any:
    """A TestClient over the real app and ``service``, addressed as a local browser or program would."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    return TestClient(create_app(service.settings, service=service, ui=ui), base_url=LOCAL)


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port in this process; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


# A letter only the 内部 group may see, in tests of access labels. Its facts appear in no sample letter:
# any of ``INTERNAL_TRACES`` in an answer to someone outside the group is a leak.
INTERNAL_NAME = "neibu_guanwang.txt"
INTERNAL_ID = "neibu_guanwang"
INTERNAL_LETTER = """关于加强城区地下管网改造的提案的答复
建复〔2024〕815号
尊敬的林慧委员：
您提出的《关于加强城区地下管网改造的提案》（第0815号）收悉，现答复如下：
一、关于地下管网普查
我局已完成城区地下管网普查，共查明老旧燃气管道约186公里，其中需要优先改造的有43公里。
二、关于改造资金
2024年市财政安排地下管网改造专项资金2.75亿元，计划三年内完成全部老旧燃气管道改造。
三、下一步工作
我们将建立管网运行监测平台，对高风险管段实行24小时在线监测。
感谢您对城市建设工作的关心和支持！
住房和城乡建设局
2024年6月18日
"""
INTERNAL_QUESTIONS = (
    "老旧燃气管道改造专项资金是多少？",
    "城区地下管网普查查明了多少公里老旧燃气管道？",
    "建复〔2024〕815号是谁提的？",
    "林慧委员的提案怎么答复的？",
)
INTERNAL_TRACES = (
    INTERNAL_ID, "建复〔2024〕815号", "地下管网", "燃气管道", "186公里", "2.75亿元", "林慧", "管网运行监测",
)  # fmt: skip


def traces_in(text: str, traces: Sequence[str] = INTERNAL_TRACES) -> list[str]:
    """The traces of a hidden letter found in ``text`` (a response body)."""
    return [t for t in traces if t in text]


# A later letter, also labelled 内部, that reports on a public letter's promise (争创省激光智能装备技术创新中心)
# and states a figure a public letter states otherwise (引进注册企业216家): the ledger would use it as
# evidence and as a changed figure for anyone allowed to see it.
REPORT_NAME = "neibu_chuangxin_pingtai.txt"
REPORT_ID = "neibu_chuangxin_pingtai"
REPORT_LETTER = """关于推进科技创新平台建设的建议的答复
科建复〔2026〕7号
尊敬的周岚代表：
您提出的《关于推进科技创新平台建设的建议》（第0007号）收悉，现答复如下：
一、关于创新平台建设
省激光智能装备技术创新中心已成功创建，并于2025年正式投入运行。
二、关于中国眼谷
中国眼谷目前已获批国家级平台6个，引进注册企业248家。
感谢您对科技工作的关心和支持！
科学技术局
2026年3月2日
"""
REPORT_TRACES = (REPORT_ID, "科建复〔2026〕7号", "周岚", "正式投入运行", "248家", "成功创建")
