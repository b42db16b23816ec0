"""Files reach the UI only through Gradio's own upload route, and never as a server path.

- ``read_upload`` is the one way a UI handler reads a file: the path must be a regular file that
  Gradio's upload route wrote for this server (inside its upload folder and in its record of uploads),
  within the size limit. Any other path (``/etc/passwd``, the data dir, a symlink out) is refused, so a
  direct call to the event API with a crafted file payload reads nothing.
- ``HideUploadPaths`` keeps the upload folder's absolute path inside the server: the upload route's
  answer and every event stream carry paths relative to it, and the paths the page sends back (event
  payloads, ``file=`` links) are resolved under it again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from rag.errors import FileTooLarge, InvalidInput
from rag.service import too_large

NOT_UPLOADED = "只能使用通过上传框上传的文件。请在上传框中重新选择文件后重试。"

Uploaded = Callable[[], Collection[str]]  # the paths Gradio's upload route wrote


def read_upload(path: object, root: Path, uploaded: Uploaded, limit: int) -> tuple[str, bytes]:
    """(file name, bytes) of a file uploaded through the UI; ``InvalidInput`` for any other path."""
    if not isinstance(path, str) or not path:
        raise InvalidInput(NOT_UPLOADED)
    given = Path(path)
    try:
        resolved = given.resolve(strict=True)
    except (OSError, RuntimeError):
        raise InvalidInput(NOT_UPLOADED) from None
    known = set(uploaded())
    if (
        not resolved.is_relative_to(root.resolve())
        or given.is_symlink()
        or not resolved.is_file()
        or (str(given) not in known and str(resolved) not in known)
    ):
        raise InvalidInput(NOT_UPLOADED)
    if resolved.stat().st_size > limit:
        raise FileTooLarge(too_large(limit))
    with resolved.open("rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(too_large(limit))
    return given.name, data


class HideUploadPaths:
    """ASGI middleware for the Gradio app mounted at ``prefix`` (see the module docstring)."""

    def __init__(self, app: Any, prefix: str, root: Path) -> None:
        self.app = app
        self.api = f"{prefix.rstrip('/')}/gradio_api/"
        self.root = str(root.resolve()).rstrip("/") + "/"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.api):
            await self.app(scope, receive, send)
            return
        rest = path[len(self.api) :]
        if rest.startswith("file="):
            scope = self._absolute_file_route(scope, rest[len("file=") :])
        elif scope["method"] == "POST" and _is_json(scope):
            receive = await self._absolute_payload(receive)
        await self.app(scope, receive, self._relative_answers(send))

    def _absolute_file_route(self, scope: dict[str, Any], rel: str) -> dict[str, Any]:
        if rel.startswith("/") or ".." in rel.split("/"):
            return scope  # absolute or escaping: left to Gradio's own checks, which refuse it
        path = f"{self.api}file={self.root}{rel}"
        return {**scope, "path": path, "raw_path": path.encode()}

    async def _absolute_payload(self, receive: Any) -> Any:
        """Read the (size-bounded) JSON body, resolve relative file paths under the upload folder."""
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return _replay([message], receive)
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            payload = json.loads(body)
        except ValueError:
            return _replay([{"type": "http.request", "body": body, "more_body": False}], receive)
        payload = _map_paths(payload, self._absolute)
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return _replay([{"type": "http.request", "body": data, "more_body": False}], receive)

    def _absolute(self, path: str) -> str:
        if path.startswith("/") or "://" in path or ".." in path.split("/"):
            return path
        return self.root + path

    def _relative_answers(self, send: Any) -> Any:
        root = self.root.encode()
        escaped = json.dumps(self.root)[1:-1].encode()
        pending: dict[str, Any] = {}

        async def relative(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                pending["start"] = message
                return
            if message["type"] == "http.response.body":
                body = message.get("body", b"").replace(root, b"").replace(escaped, b"")
                message = {**message, "body": body}
                start = pending.pop("start", None)
                if start is not None:
                    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                    if not message.get("more_body", False):
                        headers.append((b"content-length", str(len(body)).encode()))
                    await send({**start, "headers": headers})
            await send(message)

        return relative


def _is_json(scope: dict[str, Any]) -> bool:
    for key, value in scope.get("headers", []):
        if key.lower() == b"content-type":
            return b"json" in value.lower()
    return False


def _replay(messages: list[dict[str, Any]], then: Any) -> Any:
    """A ``receive`` that gives ``messages`` first, then whatever ``then`` receives (a disconnect)."""
    queue = list(messages)

    async def receive() -> dict[str, Any]:
        if queue:
            return queue.pop(0)
        return await then()

    return receive


def _map_paths(value: Any, fix: Callable[[str], str]) -> Any:
    """Every ``{"path": ...}`` file object inside a JSON value, with ``fix`` applied to its path."""
    if isinstance(value, list):
        return [_map_paths(v, fix) for v in value]
    if isinstance(value, dict):
        out = {k: _map_paths(v, fix) for k, v in value.items()}
        if isinstance(out.get("path"), str) and ("meta" in out or "orig_name" in out):
            out["path"] = fix(out["path"])
        return out
    return value


def upload_root() -> Path:
    """The folder Gradio's upload route writes to (``GRADIO_TEMP_DIR``, else the system temp dir)."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder()).resolve()
