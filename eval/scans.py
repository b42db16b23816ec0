"""Letters rendered as scans: text laid out on A4 pages, then degraded like a office scanner would.

Used to measure OCR (character error rate against the source text, pages per minute) without any
file from outside the project: the pages are drawn with a CJK font installed on the machine (Debian's
fonts-noto-cjk), at 200 dpi, in the layout of a 公文 (about 28 characters a line, 22 lines a page),
with a slight rotation, paper tone, sensor noise, a little blur and JPEG compression. A seed per
letter makes every run draw the same pages.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

DPI = 200
A4_MM = (210, 297)
MARGIN_MM = (28, 37, 26, 35)  # left, top, right, bottom: the 公文 page (GB/T 9704)
FONT_PT = 16  # 三号
LINE_SPACING = 1.75

_FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto"))
_FONT_FILES = ("NotoSerifCJK-Regular.ttc", "NotoSansCJK-Regular.ttc")


@dataclass(frozen=True)
class ScanPage:
    """One rendered page: the JPEG a scanner would produce and the text drawn on it (one line per line)."""

    jpeg: bytes
    text: str
    size: tuple[int, int]


def cjk_fonts() -> list[Path]:
    """The CJK font files this machine has, serif first (the closest to the 仿宋 of real letters)."""
    found = [d / f for f in _FONT_FILES for d in _FONT_DIRS if (d / f).exists()]
    if not found:
        from matplotlib import font_manager

        found = [
            Path(e.fname) for e in font_manager.fontManager.ttflist if "CJK" in e.name and "SC" in e.name
        ][:1]
    return found


def _px(mm: float) -> int:
    return round(mm / 25.4 * DPI)


def layout(text: str, width: int, face: object) -> list[str]:
    """Lines as a page shows them: paragraphs indented by two characters, filled to ``width`` pixels."""
    measure = face.getlength  # type: ignore[attr-defined]
    lines: list[str] = []
    for paragraph in text.splitlines():
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        line = "\u3000\u3000"
        for ch in paragraph:
            if measure(line + ch) > width:
                lines.append(line)
                line = ""
            line += ch
        lines.append(line)
    return lines


def render_pages(text: str, *, seed: int = 0, font: Path | None = None, noise: bool = True) -> list[ScanPage]:
    """Render ``text`` as scanned A4 pages (JPEG at 200 dpi)."""
    from PIL import ImageFont

    font_path = font or cjk_fonts()[seed % len(cjk_fonts())]
    face = ImageFont.truetype(str(font_path), size=round(FONT_PT / 72 * DPI), index=2)  # the SC face
    width, height = _px(A4_MM[0]), _px(A4_MM[1])
    left, top, right, bottom = (_px(m) for m in MARGIN_MM)
    em = face.size
    step = round(em * LINE_SPACING)
    per_page = (height - top - bottom) // step
    lines = layout(text, width - left - right, face)
    rng = random.Random(seed)
    pages = []
    for first in range(0, len(lines), per_page):
        chunk = lines[first : first + per_page]
        pages.append(_draw(chunk, face, (width, height), (left, top), step, rng, noise))
    return pages


def _draw(
    lines: Sequence[str],
    face: object,
    size: tuple[int, int],
    origin: tuple[int, int],
    step: int,
    rng: random.Random,
    noise: bool,
) -> ScanPage:
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    x, y = origin
    for n, line in enumerate(lines):
        draw.text((x, y + n * step), line, fill=0, font=face)  # type: ignore[arg-type]
    if noise:
        image = image.rotate(rng.uniform(-0.8, 0.8), resample=Image.Resampling.BICUBIC, fillcolor=255)
        image = image.filter(ImageFilter.GaussianBlur(radius=rng.uniform(0.4, 0.8)))
        paper = rng.uniform(228, 245)
        grain = np.random.default_rng(rng.randrange(2**32)).normal(0, 9, (size[1], size[0]))
        pixels = np.asarray(image, dtype=np.float64) * (paper / 255.0) + grain
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=rng.randint(70, 85) if noise else 95, dpi=(DPI, DPI))
    return ScanPage(
        jpeg=buffer.getvalue(), text="\n".join(line.lstrip("\u3000") for line in lines), size=size
    )


def scan_pdf(pages: Sequence[ScanPage]) -> bytes:
    """An image-only PDF of the pages (no text layer), as a scanner's "scan to PDF" writes it."""
    from PIL import Image

    images = [Image.open(io.BytesIO(p.jpeg)) for p in pages]
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=DPI)
    return buffer.getvalue()


def scan_set(folders: Sequence[Path]) -> Iterator[tuple[str, str]]:
    """(name, text) of every letter (.txt) in the folders, in name order."""
    for folder in folders:
        for path in sorted(folder.glob("*.txt")):
            yield path.name, path.read_text(encoding="utf-8")


def character_error_rate(recognised: str, truth: str) -> tuple[int, int]:
    """(edits, characters): the Levenshtein distance between the two texts with whitespace removed
    (line breaks and the spacing of "答 复 函" are layout, not characters), and the truth's length."""
    hyp = "".join(recognised.split())
    ref = "".join(truth.split())
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i]
        for j, h in enumerate(hyp, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1], len(ref)


@dataclass(frozen=True)
class OcrScore:
    """OCR of one corpus rendered as scans: character error rate and speed."""

    corpus: str
    letters: int
    pages: int
    chars: int
    edits: int
    seconds: float

    @property
    def cer(self) -> float:
        return self.edits / max(1, self.chars)

    @property
    def pages_per_minute(self) -> float:
        return 60 * self.pages / max(self.seconds, 1e-9)


def measure_ocr(folder: Path, *, pages_per_letter: int | None = None, threads: int = 2) -> OcrScore:
    """Render every letter of ``folder`` as scanned pages, OCR them as dafu does, and score the text.

    ``pages_per_letter`` keeps the first pages of each letter only (the test suite's quick set).
    """
    import numpy as np
    from PIL import Image

    from index.formats import ocr

    ocr.engine(threads)  # loading the model is not reading speed
    letters = pages = chars = edits = 0
    seconds = 0.0
    for n, (_name, text) in enumerate(scan_set([folder])):
        letters += 1
        for page in render_pages(text, seed=n)[:pages_per_letter]:
            image = np.asarray(Image.open(io.BytesIO(page.jpeg)).convert("RGB"))
            start = time.perf_counter()
            recognised = "\n".join(ocr.read_pages([ocr.recognise(image, threads)]))
            seconds += time.perf_counter() - start
            e, c = character_error_rate(recognised, page.text)
            pages, chars, edits = pages + 1, chars + c, edits + e
    return OcrScore(folder.name, letters, pages, chars, edits, seconds)
