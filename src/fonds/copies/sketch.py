"""A body as word shingles, and its MinHash sketch cut into band keys.

Words are compared folded (case, accents, punctuation and line breaks do not count) so
that a page's text, its markdown and its OCR read the same. A document shorter than
MIN_SHINGLES shingles is not sketched: a few words in common prove nothing.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable

SHINGLE_WORDS = 5
NUM_PERM = 64
BANDS = 16  # of NUM_PERM // BANDS rows: documents whose shingles are ~50 % alike share one
ROWS = NUM_PERM // BANDS
MIN_SHINGLES = 40
SEED = 1950
_WORD = re.compile(r"[^\W_]+")


def _fold(word: str) -> str:
    folded = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The words of a text, folded: lower case, without accents or punctuation."""
    return [_fold(w) for w in _WORD.findall(text)]


def _shingle(ws: list[str], i: int) -> int:
    return zlib.crc32(" ".join(ws[i : i + SHINGLE_WORDS]).encode())


def shingles(text: str) -> set[int]:
    """The hashes of every run of SHINGLE_WORDS words."""
    ws = words(text)
    return {_shingle(ws, i) for i in range(max(0, len(ws) - SHINGLE_WORDS + 1))}


def word_spans(text: str, shared: set[int]) -> list[tuple[int, int]]:
    """The stretches of ``text`` (character offsets) covered by shingles in ``shared``,
    runs that touch merged, the longest first."""
    found = list(_WORD.finditer(text))
    ws = [_fold(m.group()) for m in found]
    runs: list[list[int]] = []
    for i in range(max(0, len(ws) - SHINGLE_WORDS + 1)):
        if _shingle(ws, i) not in shared:
            continue
        start, end = found[i].start(), found[i + SHINGLE_WORDS - 1].end()
        if runs and start <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], end)
        else:
            runs.append([start, end])
    return sorted(((a, b) for a, b in runs), key=lambda r: (r[0] - r[1], r[0]))


def _identity(value: int) -> int:
    return value


def band_keys(hashes: Iterable[int]) -> list[int]:
    """The sketch's BANDS keys (empty for a text with too few shingles): two texts share
    a key when one band of their MinHash signatures is equal."""
    values = list(hashes)
    if len(values) < MIN_SHINGLES:
        return []
    from datasketch import MinHash  # numpy and scipy: only where a body is sketched

    sketch = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=_identity)
    sketch.update_batch(values)
    signature = sketch.hashvalues
    keys = []
    for band in range(BANDS):
        rows = signature[band * ROWS : (band + 1) * ROWS].tobytes()
        keys.append((band << 32) | zlib.crc32(rows))
    return keys


def containment(a: set[int], b: set[int]) -> float:
    """How much of ``a`` is in ``b`` (0 to 1)."""
    return len(a & b) / len(a) if a else 0.0
