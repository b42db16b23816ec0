"""The package map of docs/design.md, checked on the source: who may import whom, and no circles.

Every import counts, including those deferred into functions or guarded by TYPE_CHECKING: a deferred
import hides a circle, it does not remove it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from rag.settings import PROJECT_ROOT

PACKAGES = ("rag", "index", "api", "ui", "eval")
KERNEL = {
    "rag",
    "rag.types",
    "rag.errors",
    "rag.settings",
    "rag.vocabulary",
    "rag.text",
    "rag.claims",
    "rag.sqlite",
}


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


MODULES = _modules()


def _imports(name: str) -> set[str]:
    """Project modules that ``name`` imports anywhere in its source."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for target in targets:
            if target in MODULES and target != name:
                found.add(target)
    return found


GRAPH = {name: _imports(name) for name in MODULES}


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_there_is_no_import_circle() -> None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(GRAPH[node]):
            if _inside(node, nxt) and nxt != node:
                continue  # a module importing its own package's __init__ is not a circle of modules
            if state.get(nxt) == 1:
                circles.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)
    assert circles == []


def test_the_kernel_imports_only_the_kernel() -> None:
    for name in KERNEL:
        assert GRAPH[name] <= KERNEL, name


def test_index_depends_only_on_the_kernel_of_rag() -> None:
    for name, imports in GRAPH.items():
        if _inside(name, "index"):
            outside = {m for m in imports if not _inside(m, "index")}
            assert outside <= KERNEL, (name, outside - KERNEL)


def test_only_the_cli_reaches_up_to_api_ui_and_eval() -> None:
    for name, imports in GRAPH.items():
        if _inside(name, "rag") and not _inside(name, "rag.cli"):
            upward = {m for m in imports if any(_inside(m, p) for p in ("api", "ui", "eval"))}
            assert upward == set(), (name, upward)


def test_answering_drafting_and_models_stay_apart() -> None:
    for name, imports in GRAPH.items():
        if _inside(name, "rag.ask"):
            assert not {m for m in imports if _inside(m, "rag.draft") or _inside(m, "rag.cli")}, name
        if _inside(name, "rag.llm"):
            assert not {m for m in imports if _inside(m, "rag.ask") or _inside(m, "rag.draft")}, name
    # The draft model is a leaf of the draft package: the rest imports it, never the other way.
    assert {m for m in GRAPH["rag.draft.model"] if _inside(m, "rag.draft")} <= {
        "rag.draft",
        "rag.draft.proposal",
    }


def test_conversations_sit_above_answering() -> None:
    """rag.chat resolves follow-ups with the question parser and the chat model; answering, retrieval
    and models know nothing of conversations."""
    allowed = ("rag.chat", "rag.ask", "rag.llm")
    for name, imports in GRAPH.items():
        if _inside(name, "rag.chat"):
            outside = {m for m in imports if not any(_inside(m, p) for p in allowed)}
            assert outside <= KERNEL, (name, outside - KERNEL)
        if any(_inside(name, p) for p in ("rag.ask", "rag.llm", "rag.draft", "index")):
            assert not {m for m in imports if _inside(m, "rag.chat")}, name
    # The conversation types are the leaf of the package.
    assert {m for m in GRAPH["rag.chat.model"] if _inside(m, "rag.chat")} <= {"rag.chat"}


def test_clients_use_the_service_not_its_parts() -> None:
    """api, ui and eval reach answering, retrieval and conversations only through rag.service; of
    rag.chat they may use the result types (rag.chat.model)."""
    for name, imports in GRAPH.items():
        if any(_inside(name, p) for p in ("api", "ui", "eval")):
            parts = {m for m in imports if _inside(m, "rag.ask")}
            assert parts == set(), (name, parts)
            chat = {m for m in imports if _inside(m, "rag.chat") and m not in ("rag.chat", "rag.chat.model")}
            assert chat == set(), (name, chat)


def test_a_question_is_parsed_for_letters_in_one_place() -> None:
    """The patterns that name a letter in a question (文号, "121号") are applied by the question parser
    only; ``index.metadata`` reads the 文号 of the letters themselves, and ``index.proposals`` masks it
    where a proposal number is read."""
    users = set()
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "rag.vocabulary"
                and {a.name for a in node.names} & {"DOC_NUMBER", "LETTER_REF", "letter_refs"}
            ):
                users.add(name)
    assert users == {"rag.ask.question", "index.metadata", "index.proposals"}


def test_the_ledger_sits_on_the_index() -> None:
    """rag.ledger reads commitments from the index and the letters; it knows nothing of answering,
    drafting, conversations or models, and they reach it only through its public modules."""
    for name, imports in GRAPH.items():
        if _inside(name, "rag.ledger"):
            outside = {m for m in imports if not (_inside(m, "rag.ledger") or _inside(m, "index"))}
            assert outside <= KERNEL, (name, outside - KERNEL)
    assert {m for m in GRAPH["rag.ledger.model"] if _inside(m, "rag.ledger")} <= {"rag.ledger"}


def test_access_is_a_leaf_beside_the_kernel() -> None:
    """rag.access (accounts, labels, the audit trail) needs only the kernel; clients use its types
    (rag.access.model) and reach the rest through the service; the index knows only which documents
    a read may see (index.visibility), not why."""
    for name, imports in GRAPH.items():
        if _inside(name, "rag.access"):
            outside = {m for m in imports if not _inside(m, "rag.access")}
            assert outside <= KERNEL, (name, outside - KERNEL)
        if any(_inside(name, p) for p in ("api", "ui", "eval")):
            parts = {
                m for m in imports if _inside(m, "rag.access") and m not in ("rag.access", "rag.access.model")
            }
            assert parts == set(), (name, parts)
        if _inside(name, "index") or _inside(name, "rag.ask") or _inside(name, "rag.draft"):
            assert not {m for m in imports if _inside(m, "rag.access")}, name
    assert GRAPH["index.visibility"] == set()
