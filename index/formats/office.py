""".doc and .wps through LibreOffice headless, one conversion per file.

Each conversion starts its own ``soffice`` with a fresh profile in a temporary folder (so two
conversions never share a lock, and a user's LibreOffice is never touched), in its own process group,
bounded by the file's time budget; the whole group is killed when the conversion ends or times out,
so no converter is ever left running. The .docx LibreOffice writes is then read like any .docx.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from index.formats.docx import read_docx
from index.formats.model import Budget, Extracted
from rag.errors import FileTooComplex, UnreadableFile, UnsupportedFile

log = logging.getLogger(__name__)

MAX_CONVERSION_SECONDS = 120.0


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_docx(data: bytes, suffix: str, budget: Budget) -> bytes:
    """The .docx LibreOffice makes of ``data`` (a Word 97-2003 or WPS file)."""
    program = soffice()
    if program is None:
        raise UnsupportedFile(
            f"读取 {budget.name} 需要 LibreOffice，但本机未安装。"
            "请运行 make install（或 apt-get install libreoffice-writer-nogui）后重试，或另存为 .docx 上传。"
        )
    timeout = min(MAX_CONVERSION_SECONDS, budget.remaining())
    if timeout <= 0:
        budget.check_time()
    with tempfile.TemporaryDirectory(prefix="dafu-soffice-") as tmp:
        work = Path(tmp)
        source = work / f"in{suffix}"
        source.write_bytes(data)
        command = [
            program,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        env = {**os.environ, "HOME": str(work), "SAL_USE_VCLPLUGIN": "svp"}
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=work,
            start_new_session=True,
        )
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise FileTooComplex(
                f"文件 {budget.name} 转换超过 {timeout:.0f} 秒，已停止。请用 Word 或 WPS 另存为 .docx 后重试。"
            ) from exc
        finally:
            _kill_group(process)
        result = work / "out" / "in.docx"
        if process.returncode != 0 or not result.exists():
            log.warning("soffice failed on %s: %s", budget.name, output.decode(errors="replace")[-500:])
            raise UnreadableFile(
                f"文件 {budget.name} 无法转换（可能已损坏）。请用 Word 或 WPS 打开并另存为 .docx 后重试。"
            )
        return result.read_bytes()


def read_office(data: bytes, suffix: str, budget: Budget) -> Extracted:
    docx = convert_to_docx(data, suffix, budget)
    try:
        extracted = read_docx(docx, budget)
    except UnreadableFile as exc:
        raise UnreadableFile(f"文件 {budget.name} 中没有可读的文字（{exc}）") from exc
    return Extracted(extracted.blocks, kind="doc")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """soffice forks (oosplash → soffice.bin): end the whole group, whatever state it is in."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
