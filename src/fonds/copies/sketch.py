"""A body as word shingles, and its MinHash sketch cut into band keys (numpy).

Words are compared folded (case, punctuation at their ends and line breaks do not count)
so that a page's text, its markdown and a reader's copy read the same. A document shorter than
MIN_SHINGLES shingles is not sketched: a few words in common prove nothing.
"""

from __future__ import annotations

import re
import string
import zlib

import numpy as np

SHINGLE_WORDS = 5
NUM_PERM = 32
BANDS = 8  # of 4 rows: two texts 80 % alike share a key 98.5 times in 100, 50 % alike 40
ROWS = NUM_PERM // BANDS
MIN_SHINGLES = 40
# A body is compared on its first this many characters (a whole FRUS volume read as one
# text is 50 MB): two copies of it share their start, and memory stays bounded.
SKETCH_CHARS = 1_000_000
SIGNATURE_ROWS = 65_536  # shingles hashed at once
# A long body is also sketched in windows, so that a short text quoted whole inside it
# shares a key with the window that holds it: windows of this many shingles, this far
# apart, each giving the first WINDOW_BANDS of its bands.
WINDOW_SHINGLES = 150
WINDOW_STRIDE = 50
WINDOW_BANDS = 4
SEED = 1950
_TOKEN = re.compile(r"\S+")
# Loose keys, for a short body quoted whole in a long one: the window that holds it has
# twice its shingles or more (a Jaccard of n/150 for a body of n shingles), which bands of
# 4 rows match 1 time in 16 at a half. Bands of LOOSE_ROWS rows of the same minima match 1
# time in 4 at a half, and 1 in 400 at a twentieth. A body too short for windows gives
# LOOSE_BANDS of them from its whole signature as a quote, each window of a long body
# gives as many as a holder; a quote is looked up among holders and a holder among quotes
# (never like with like), and a pair needs LOOSE_SHARED of them in common to be compared.
# A loose key has the LOOSE bit (above every band key), its band (3 bits), 31 bits of
# hash, and last the HOLDER bit: 36 bits, and sorted keys put a quote's key right before
# the holders' of the same minima.
LOOSE_ROWS = 2
LOOSE_BANDS = 8
LOOSE_SHARED = 2
LOOSE = 1 << 35
HOLDER = 1


# What is cut off a word's ends: punctuation, quotes, dashes, markdown's marks.
_PUNCTUATION = string.punctuation + "“”‘’„«»—–―…•·¶§*"


def _word(token: str) -> str:
    """A token as compared: lower case, punctuation off its ends ("" when nothing is left)."""
    return token.casefold().strip(_PUNCTUATION)


def words(text: str) -> list[str]:
    """The words of a text (split at white space: a C loop, where a word pattern costs
    as much as the rest of the sketch), as ``_word`` folds them (the text case-folded at
    once: the same words, for a third of the time)."""
    cut = _PUNCTUATION
    return [w for w in [t.strip(cut) for t in text.casefold().split()] if w]


# Word hashes: the vocabulary repeats from one document to the next.
_WORD_HASHES: dict[str, int] = {}
WORD_HASH_CACHE = 200_000


def _word_hashes(ws: list[str]) -> np.ndarray:
    cache = _WORD_HASHES
    if len(cache) > WORD_HASH_CACHE:
        cache.clear()
    for w in set(ws).difference(cache):
        cache[w] = zlib.crc32(w.encode())
    return np.fromiter(map(cache.__getitem__, ws), dtype=np.uint64, count=len(ws))


# Odd 64-bit multipliers, one per word of a shingle (fixed: stored keys depend on them).
_MIX = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
     0xFF51AFD7ED558CCD],
    dtype=np.uint64,
)  # fmt: skip


def _shingle_array(ws: list[str]) -> np.ndarray:
    """The 32-bit hash of every run of SHINGLE_WORDS words, in text order."""
    n = len(ws) - SHINGLE_WORDS + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    hashes = _word_hashes(ws)
    mixed = np.zeros(n, dtype=np.uint64)
    for k in range(SHINGLE_WORDS):
        mixed += hashes[k : k + n] * _MIX[k]  # wraps around 2**64, as a hash should
    return mixed >> np.uint64(32)


def shingles(text: str) -> set[int]:
    """The hashes of every run of SHINGLE_WORDS words (of the first SKETCH_CHARS)."""
    return set(_shingle_array(words(text[:SKETCH_CHARS])).tolist())


def word_spans(text: str, shared: set[int]) -> list[tuple[int, int]]:
    """The stretches of ``text`` (character offsets) covered by shingles in ``shared``,
    runs that touch merged, the longest first."""
    tokens = [(m, _word(m.group())) for m in _TOKEN.finditer(text[:SKETCH_CHARS])]
    found = [m for m, w in tokens if w]
    hashes = _shingle_array([w for _, w in tokens if w]).tolist()
    runs: list[list[int]] = []
    for i, h in enumerate(hashes):
        if h not in shared:
            continue
        start, end = found[i].start(), found[i + SHINGLE_WORDS - 1].end()
        if runs and start <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], end)
        else:
            runs.append([start, end])
    return sorted(((a, b) for a, b in runs), key=lambda r: (r[0] - r[1], r[0]))


# MinHash with NUM_PERM multiply-add hash functions on 64-bit words (odd multipliers:
# each one a permutation of the 64-bit values), fixed by SEED so that stored keys stay
# valid: one array operation per document, no modulo.
_RANDOM = np.random.RandomState(SEED)
_MULTIPLIERS = _RANDOM.randint(1, 2**63, size=NUM_PERM, dtype=np.uint64) | np.uint64(1)
_ADDENDS = _RANDOM.randint(0, 2**63, size=NUM_PERM, dtype=np.uint64)


def _permuted(hashes: np.ndarray, columns: int = NUM_PERM) -> np.ndarray:
    """Every shingle hash under the first ``columns`` hash functions (rows × columns)."""
    with np.errstate(over="ignore"):
        return hashes[:, None] * _MULTIPLIERS[:columns] + _ADDENDS[:columns]


def signature(hashes: np.ndarray) -> np.ndarray:
    """The MinHash signature (NUM_PERM values) of an array of shingle hashes."""
    out = np.full(NUM_PERM, np.iinfo(np.uint64).max, dtype=np.uint64)
    for start in range(0, len(hashes), SIGNATURE_ROWS):
        np.minimum(out, _permuted(hashes[start : start + SIGNATURE_ROWS]).min(axis=0), out=out)
    return out


def _keys(values: np.ndarray, bands: int) -> list[int]:
    """A signature's first ``bands`` band keys: the band's number, and a hash of its rows."""
    return [
        (band << 32) | zlib.crc32(values[band * ROWS : (band + 1) * ROWS].tobytes())
        for band in range(bands)
    ]


# Odd multipliers of a loose band's two minima (fixed: stored keys depend on them).
_LOOSE_MIX = np.array([0xA0761D6478BD642F, 0xE7037ED1A0B428DB], dtype=np.uint64)


def _loose_keys(signatures: np.ndarray, holder: bool) -> list[int]:
    """The LOOSE_BANDS loose keys of each signature (rows of at least LOOSE_BANDS *
    LOOSE_ROWS columns), as a quote's or as a holder's: a band's 31-bit hash mixes its two
    minima, for every band of every row at once."""
    rows = np.atleast_2d(signatures)[:, : LOOSE_BANDS * LOOSE_ROWS]
    pairs = rows.reshape(len(rows), LOOSE_BANDS, LOOSE_ROWS)
    mixed = (pairs * _LOOSE_MIX).sum(axis=2, dtype=np.uint64) >> np.uint64(33) << np.uint64(1)
    tag = LOOSE | (HOLDER if holder else 0)
    bands = np.arange(LOOSE_BANDS, dtype=np.uint64) << np.uint64(32)
    return ((mixed | bands) | np.uint64(tag)).ravel().tolist()


def is_loose(key: int) -> bool:
    return bool(key & LOOSE)


def looked_up_as(key: int) -> int:
    """What a stored key finds its matches by: a band key itself, a quote's loose key
    the holders' of the same minima, and a holder's the quotes'."""
    return key ^ HOLDER if key & LOOSE else key


def _enough(hashes: np.ndarray) -> bool:
    """Whether a text (or a window of it) has shingles enough to be compared."""
    return len(np.unique(hashes)) >= MIN_SHINGLES


def _previous(hashes: np.ndarray) -> np.ndarray:
    """For each shingle, where the same hash last came before it (-1: nowhere), so that
    the distinct shingles of any stretch [a, b) are those whose previous is before a."""
    order = np.argsort(hashes, kind="stable")
    ordered = hashes[order]
    repeats = np.flatnonzero(ordered[1:] == ordered[:-1])
    previous = np.full(len(hashes), -1, dtype=np.int64)
    previous[order[repeats + 1]] = order[repeats]
    return previous


def band_keys(hashes: np.ndarray, bands: int = BANDS) -> list[int]:
    """The sketch's first ``bands`` keys (none for a text with too few shingles): two
    texts share a key when one band of their MinHash signatures is equal."""
    return _keys(signature(hashes), bands) if _enough(hashes) else []


# A window's minima are those of the blocks it is made of: its hash functions are applied
# once to every shingle, not once per window that holds it.
_BLOCK = WINDOW_STRIDE // 2
_WINDOW_COLUMNS = WINDOW_BANDS * ROWS


def window_starts(count: int) -> list[int]:
    """Where the windows of a body of ``count`` shingles start (none for a short one)."""
    if count < 2 * WINDOW_SHINGLES:
        return []
    last = count - WINDOW_SHINGLES
    return [*range(0, last, WINDOW_STRIDE), last]


def sketch_keys(text: str) -> list[int]:
    """A body's band keys (of its first SKETCH_CHARS), for finding its copies: those of
    the whole body, and for a long one those of its windows; with the loose keys of a short
    body (as a quote) or of a long one's windows (as a holder); sorted, each once.

    The windows' keys are those ``band_keys(window, WINDOW_BANDS)`` gives; they are made
    from the minima of blocks of WINDOW_STRIDE / 2 shingles (a window is three blocks)."""
    return _sketched(_shingle_array(words(text[:SKETCH_CHARS])))


def keys_and_shingles(text: str) -> tuple[list[int], np.ndarray]:
    """``sketch_keys`` and ``shingles`` of a body at once: its keys, and its shingles'
    hashes, sorted and each once (32-bit)."""
    hashes = _shingle_array(words(text[:SKETCH_CHARS]))
    return _sketched(hashes), np.unique(hashes).astype(np.uint32)


def _sketched(hashes: np.ndarray) -> list[int]:
    if len(hashes) < MIN_SHINGLES:
        return []
    previous = _previous(hashes)
    if np.count_nonzero(previous < 0) < MIN_SHINGLES:
        return []
    whole = np.full(NUM_PERM, np.iinfo(np.uint64).max, dtype=np.uint64)
    blocks = []
    chunk = max(SIGNATURE_ROWS // _BLOCK, 1) * _BLOCK  # rows hashed at once, whole blocks
    for start in range(0, len(hashes), chunk):
        matrix = _permuted(hashes[start : start + chunk])
        np.minimum(whole, matrix.min(axis=0), out=whole)
        blocks.append(
            np.minimum.reduceat(matrix[:, :_WINDOW_COLUMNS], range(0, len(matrix), _BLOCK))
        )
    keys = set(_keys(whole, BANDS))
    starts = window_starts(len(hashes))
    if not starts:  # too short for windows: it may be quoted whole in a longer body
        keys.update(_loose_keys(whole, holder=False))
    else:
        block_minima = np.concatenate(blocks)
        held = []
        for start in starts:
            if np.count_nonzero(previous[start : start + WINDOW_SHINGLES] < start) < MIN_SHINGLES:
                continue
            window = hashes[start : start + WINDOW_SHINGLES]
            if start % _BLOCK == 0:
                first = start // _BLOCK
                values = block_minima[first : first + WINDOW_SHINGLES // _BLOCK].min(axis=0)
            else:  # the last window, where the body ends
                values = _permuted(window, _WINDOW_COLUMNS).min(axis=0)
            keys.update(_keys(values, WINDOW_BANDS))
            held.append(values)
        if held:
            keys.update(_loose_keys(np.stack(held), holder=True))
    return sorted(keys)
