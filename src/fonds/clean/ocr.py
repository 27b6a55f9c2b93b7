"""Certain OCR repairs, length-preserving so that offsets stay valid, each recorded.

"Kim II Sung" → "Kim Il Sung": after a Korean surname, a token read as "II" (or "I1",
"1l", "ll") is the given-name syllable "Il". Nothing is changed where the reading is
uncertain ("World War II" stays).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from fonds.model import Repair


@cache
def korean_surnames() -> frozenset[str]:
    text = resources.files("fonds.data.names").joinpath("korean_surnames.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


@cache
def _il_pattern() -> re.Pattern[str]:
    surnames = "|".join(sorted((re.escape(s) for s in korean_surnames()), key=len, reverse=True))
    return re.compile(
        rf"\b(?:{surnames})[ ](?P<bad>II|I1|1I|1l|l1|ll|lI)(?=[ \-’'s]|[.,;:)\]]|$)",
        re.M,
    )


# What every slip has, without the surname before it: a cheap test that most texts fail
# (the full pattern tries a hundred surnames at every word).
_SLIP = re.compile(r"[ ](?:II|I1|1I|1l|l1|ll|lI)(?=[ \-’'s]|[.,;:)\]]|$)", re.M)


def repair_ocr(text: str, field: str) -> tuple[str, list[Repair]]:
    """Repair certain OCR slips in ``text``; return the new text and what was changed."""
    repairs: list[Repair] = []
    if not text or _SLIP.search(text) is None:
        return text, repairs
    matches = list(_il_pattern().finditer(text))
    if not matches:
        return text, repairs
    chars = list(text)
    for m in matches:
        start, end = m.span("bad")
        bad = m.group("bad")
        replacement = "Il"
        chars[start:end] = list(replacement)
        repairs.append(Repair(field, start, end, bad, replacement, "ocr-korean-il"))
    return "".join(chars), repairs
