"""The ``dafu`` command line: the root group and every command group, registered in one place."""

from __future__ import annotations

from eval.cli import eval_cmd
from rag.cli.app import cli
from rag.cli.ask import ask, search
from rag.cli.commitments import commitments
from rag.cli.draft import draft
from rag.cli.feedback import feedback
from rag.cli.letters import docs, ingest, rm, show
from rag.cli.llm import llm
from rag.cli.serve import serve
from rag.cli.users import audit, label, users

for command in (
    ingest,
    docs,
    show,
    rm,
    label,
    search,
    ask,
    serve,
    draft,
    llm,
    feedback,
    commitments,
    eval_cmd,
    users,
    audit,
):
    cli.add_command(command)


def main() -> None:
    cli()


__all__ = ["cli", "main"]
