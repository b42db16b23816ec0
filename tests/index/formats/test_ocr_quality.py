"""OCR quality on letters of both corpora rendered as scans: character error rate ≤ 3%.

The quick set here is the first page of every letter (the letters' headers, salutations and opening
paragraphs, where metadata is read); ``make bench`` scores every page and reports pages per minute.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.scans import measure_ocr
from tests.factories import LETTERS

OTHER_BUREAUS = Path("/work/shared/corpora/other_bureaus/letters")
MAX_CER = 0.03


def test_cer_on_the_sample_letters() -> None:
    score = measure_ocr(LETTERS, pages_per_letter=1)
    assert score.pages == 5
    assert score.cer <= MAX_CER, f"CER {score.cer:.4f} on {score.chars} characters"


def test_cer_on_the_letters_of_other_bureaus() -> None:
    if not OTHER_BUREAUS.is_dir():
        pytest.skip("the other bureaus' letters are not on this machine")
    score = measure_ocr(OTHER_BUREAUS, pages_per_letter=1)
    assert score.letters == 34
    assert score.cer <= MAX_CER, f"CER {score.cer:.4f} on {score.chars} characters"
