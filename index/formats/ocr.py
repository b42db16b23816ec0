"""Text from page images: RapidOCR (PP-OCRv6 small, ONNX) with the models shipped inside its wheel.

Chosen by measurement on letters rendered as scans (docs/formats.md): more accurate and several
times faster on two cores than Debian's Tesseract with ``chi_sim``. The engine is loaded once per
process on first use, from the model files inside the installed package, with their paths given
explicitly so that the package never tries to download anything.

Recognised lines are put back into paragraphs from their geometry (``layout.py``). Punctuation is kept
as recognised, ASCII or full-width, like every other text dafu reads (cleaning keeps it as printed and
every reader accepts both): making it full-width raised the error rate on letters that print ASCII
punctuation from 1.2 % to 5.3 % (docs/formats.md).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from index.formats.layout import Line, paragraphs, rows, stack

log = logging.getLogger(__name__)

_MODELS = {
    "Det.model_path": "PP-OCRv6_det_small.onnx",
    "Rec.model_path": "PP-OCRv6_rec_small.onnx",
    "Cls.model_path": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}
_MIN_SCORE = 0.5  # recognised lines below this confidence are noise (stamps, specks)

_lock = threading.Lock()
_engines: dict[int, Any] = {}


class OcrUnavailable(RuntimeError):
    """The OCR package or its bundled models are not installed."""


def model_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise OcrUnavailable("rapidocr is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def engine(threads: int = 2) -> Any:
    """The process's OCR engine (loaded once, ~0.2 s)."""
    with _lock:
        if threads not in _engines:
            folder = model_dir()
            params: dict[str, Any] = {"Global.log_level": "error"}
            for key, file in _MODELS.items():
                path = folder / file
                if not path.exists():
                    raise OcrUnavailable(f"bundled OCR model missing: {path}")
                params[key] = str(path)
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = threads
            params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
            from rapidocr import RapidOCR

            logging.getLogger("RapidOCR").setLevel(logging.ERROR)
            _engines[threads] = RapidOCR(params=params)
        return _engines[threads]


def read_pages(pages: list[list[Line]]) -> list[str]:
    """The paragraphs of consecutive recognised pages (a paragraph may run on over a page break)."""
    return paragraphs(stack(pages))


def recognise(image: Any, threads: int = 2) -> list[Line]:
    """Lines of text on an image (an RGB numpy array), top to bottom."""
    ocr = engine(threads)
    with _lock:  # one ONNX session per process, used by one page at a time
        result = ocr(image)
    if result.boxes is None or result.txts is None:
        return []
    lines = []
    for box, text, score in zip(result.boxes, result.txts, result.scores or (), strict=False):
        if score < _MIN_SCORE or not text.strip():
            continue
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        lines.append(Line(text.strip(), min(xs), min(ys), max(xs), max(ys)))
    return rows(lines)
