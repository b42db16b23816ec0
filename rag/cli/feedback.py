"""`dafu feedback list|export`: the 👍/👎 users gave, and the same as eval questions."""

from __future__ import annotations

import json
from pathlib import Path

import click

from rag.chat.export import eval_row
from rag.chat.model import Feedback
from rag.chat.store import ConversationStore
from rag.cli import app
from rag.settings import get_settings


def _feedback(rating: str) -> list[Feedback]:
    # Reads the store only: no model or index is loaded for this.
    rows = ConversationStore(get_settings().chat_path).feedback()
    wanted = {"up": (1,), "down": (-1,), "all": (1, -1)}[rating]
    return [f for f in rows if f.rating in wanted]


_RATING = click.option("--rating", type=click.Choice(["all", "up", "down"]), default="all", show_default=True)


@click.group()
def feedback() -> None:
    """Feedback on answers (👍/👎 with comments)."""


@feedback.command("list")
@_RATING
def list_feedback(rating: str) -> None:
    """Every rated answer: rating, question, comment."""
    rows = _feedback(rating)
    if not rows:
        app.console.print("还没有评价。")
    for f in rows:
        mark = "👍" if f.rating > 0 else "👎"
        app.console.print(
            f"{mark} {f.question}"
            + (f"  [dim]（理解为：{f.resolved}）[/dim]" if f.resolved != f.question else "")
        )
        if f.comment:
            app.console.print(f"   说明：{f.comment}")


@feedback.command("export")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="JSONL file to write (default: standard output).")  # fmt: skip
@_RATING
def export(out: Path | None, rating: str) -> None:
    """Rated answers as eval questions (the format of eval/data/letters_qa.jsonl); 👎 rows are marked
    needs_review until their gold and facts are corrected."""
    lines = [json.dumps(eval_row(f), ensure_ascii=False) for f in _feedback(rating)]
    text = "".join(line + "\n" for line in lines)
    if out is None:
        click.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    app.console.print(f"已导出 {len(lines)} 条到 {out}")
