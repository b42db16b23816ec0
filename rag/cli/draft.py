"""``dafu draft proposal.txt -o reply.docx``: draft a reply letter to a proposal."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from index.loading import read_text
from rag.cli import app
from rag.draft.docx import write_docx
from rag.errors import InvalidInput
from rag.vocabulary import KINDS

_OUTPUTS = (".md", ".docx")


@click.command()
@click.argument("proposal_file", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="reply.docx or reply.md; default: print Markdown."
)
@click.option("--proposer", help="提案人, when the text does not name one (e.g. 林海峰委员).")
@click.option("--session", help="会议届次, e.g. 市政协十二届四次会议.")
@click.option("--number", help="提案/建议 number, e.g. 87.")
@click.option("--kind", type=click.Choice(KINDS))
@app.top_k_option("Similar letters to list (default: DAFU_TOP_K).")
@click.option("--mode", type=click.Choice(["offline", "llm"]), default="offline", show_default=True,
              envvar="DAFU_DRAFT_MODE")  # fmt: skip
def draft(
    proposal_file: Path,
    output: Path | None,
    proposer: str | None,
    session: str | None,
    number: str | None,
    kind: str | None,
    top_k: int | None,
    mode: str,
) -> None:
    """Draft a reply letter (答复函) to a proposal file (any letter format; "-" reads stdin)."""
    if output is not None and output.suffix.lower() not in _OUTPUTS:
        raise InvalidInput(f"无法写出“{output.name}”：输出文件请以 .docx 或 .md 结尾。")
    if str(proposal_file) == "-":
        text = sys.stdin.read()
    elif not proposal_file.exists():
        raise click.ClickException(f"文件不存在：{proposal_file}。请检查路径。")
    else:
        text = read_text(proposal_file)
    service = app.service()
    with app.console.status("起草答复函…"):
        result = service.draft(
            text, top_k=top_k, mode=mode, proposer=proposer, session=session, number=number, kind=kind
        )
    if output is None:
        click.echo(result.markdown)
        return
    if output.suffix.lower() == ".docx":
        output.write_bytes(write_docx(result))
    else:
        output.write_text(result.markdown, encoding="utf-8")
    app.console.print(
        f"已写出 {output}：{len(result.sections)} 条建议，{len(result.citations)} 处引用，"
        f"{len(result.placeholders)} 处待填"
    )
