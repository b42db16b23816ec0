"""One file of flat arrays and a JSON header, written atomically and memory-mapped when read.

Layout: ``MAGIC``, the header's length (8 bytes, little-endian), the header (UTF-8 JSON: whatever the
caller gives, plus each array's dtype, length and offset, and the file's size), then the arrays, each
at an offset that is a multiple of 64. A file that is shorter or longer than its header says, or whose
header or arrays do not parse, is refused (``ValueError``): the caller does without it.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

MAGIC = b"DAFUCKPT1\n"
_ALIGN = 64


def write(path: Path, header: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
    """Write into a temp file beside ``path``, flush it to disk, and rename it over ``path``."""
    layout: dict[str, list[Any]] = {}
    offset = 0
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        layout[name] = [array.dtype.str, int(array.shape[0]), offset]
        offset += _padded(array.nbytes)
    full = {**header, "arrays": layout}
    # The header's size depends on the offsets it states: settle it with the data placed after it.
    body = 0
    while True:
        encoded = json.dumps({**full, "data": body, "size": body + offset}, ensure_ascii=False).encode()
        need = _padded(len(MAGIC) + 8 + len(encoded))
        if need <= body:
            break
        body = need
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + struct.pack("<Q", len(encoded)) + encoded)
            out.write(b"\0" * (body - out.tell()))
            for name, array in arrays.items():
                data = np.ascontiguousarray(array).tobytes()
                assert out.tell() == body + layout[name][2]
                out.write(data)
                out.write(b"\0" * (_padded(len(data)) - len(data)))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def read_header(path: Path) -> dict[str, Any]:
    """The header of the file at ``path`` (``FileNotFoundError``, or ``ValueError`` when broken)."""
    with path.open("rb") as f:
        header, _ = _header(f.read(len(MAGIC) + 8), f, os.fstat(f.fileno()).st_size)
    return header


def read(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header and the arrays (read-only views of a memory map of the file)."""
    with path.open("rb") as f:
        size = os.fstat(f.fileno()).st_size
        header, _ = _header(f.read(len(MAGIC) + 8), f, size)
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    arrays: dict[str, np.ndarray] = {}
    base = int(header["data"])
    for name, (dtype, length, offset) in header["arrays"].items():
        kind = np.dtype(dtype)
        if base + offset + kind.itemsize * length > size:
            raise ValueError(f"{path.name}: array {name} runs past the end of the file")
        arrays[name] = np.frombuffer(mapped, kind, count=length, offset=base + offset)
    return header, arrays


def _header(head: bytes, f: Any, size: int) -> tuple[dict[str, Any], int]:
    if len(head) < len(MAGIC) + 8 or not head.startswith(MAGIC):
        raise ValueError("not a checkpoint file")
    (length,) = struct.unpack("<Q", head[len(MAGIC) :])
    if len(MAGIC) + 8 + length > size:
        raise ValueError("checkpoint header cut short")
    header = json.loads(f.read(length).decode("utf-8"))
    if not isinstance(header, dict) or header.get("size") != size:
        raise ValueError(f"checkpoint file is {size} bytes, its header says {header.get('size')}")
    return header, length


def _padded(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN
