"""`dafu llm ...`: run the bundled local model as an OpenAI-compatible server, check an endpoint."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from rag.errors import DafuError
from rag.llm.client import OpenAICompatibleClient
from rag.llm.server import (
    MODEL_SIZE,
    assemble_model,
    base_url,
    default_model_path,
    is_verified,
    require_llama_cpp_server,
    serve_command,
)
from rag.settings import get_settings


@click.group()
def llm() -> None:
    """本机大模型（LLM 回答模式）。"""


@llm.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="DAFU_LLM_HOST", help="监听地址")
@click.option("--port", default=8090, show_default=True, type=int, envvar="DAFU_LLM_PORT", help="监听端口")
@click.option(
    "--threads", default=2, show_default=True, type=int, envvar="DAFU_LLM_THREADS", help="推理线程数"
)
@click.option(
    "--ctx", default=4096, show_default=True, type=int, envvar="DAFU_LLM_CTX", help="上下文长度（token）"
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="GGUF 模型文件；默认用随包的 Qwen2.5-Coder-0.5B（首次运行时拼接到 <DAFU_DATA_DIR>/models）。",
)
def serve(host: str, port: int, threads: int, ctx: int, model_path: Path | None) -> None:
    """启动本机 OpenAI 兼容的大模型服务（llama.cpp），供 DAFU_LLM_BASE_URL 使用。"""
    settings = get_settings()
    try:
        require_llama_cpp_server()
        if model_path is None:
            model_path = _assemble(default_model_path(settings))
        elif not model_path.is_file():
            raise click.ClickException(f"模型文件不存在：{model_path}")
    except DafuError as exc:
        raise click.ClickException(str(exc)) from exc
    command = serve_command(model_path, host, port, n_threads=threads, n_ctx=ctx)
    click.echo(f"模型：{model_path}")
    click.echo("在运行 dafu 的终端中设置：")
    click.echo(f"  export DAFU_LLM_BASE_URL={base_url(host, port)}")
    click.echo(f"  export DAFU_LLM_MODEL={settings.llm_model}")
    sys.stdout.flush()
    # Nothing may reach a model hub, whatever llama.cpp or its dependencies would try.
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    os.execve(command[0], command, env)


@llm.command()
def check() -> None:
    """检查 DAFU_LLM_BASE_URL 指向的大模型服务是否可用。"""
    try:
        client = OpenAICompatibleClient.from_settings(get_settings())
    except DafuError as exc:
        raise click.ClickException(str(exc)) from exc
    if not client.healthy():
        raise click.ClickException(
            f"大模型服务 {client.base_url} 不可用。请检查 DAFU_LLM_BASE_URL，或运行 `dafu llm serve`。"
        )
    click.echo(f"大模型服务可用：{client.base_url}（模型 {client.model}）")


def _assemble(target: Path) -> Path:
    if is_verified(target):
        return target
    from tqdm import tqdm

    with tqdm(total=MODEL_SIZE, unit="B", unit_scale=True, desc="拼接并校验模型", file=sys.stderr) as bar:
        return assemble_model(target, progress=bar.update)
