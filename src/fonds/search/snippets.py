"""Snippets: the stretch of a document where the query's words and names cluster, with
the offsets of each matched word inside the snippet.

Words are found the way the index finds them (runs of letters and digits, any case);
entity mentions come from the store's offsets, so "Pak Heon-yeong" is highlighted for
a search on "Pak Hon Yong" although no query word occurs in it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

SNIPPET_CHARS = 220  # how long a snippet is, about
LEAD_CHARS = 50  # context kept before the first match
SCAN_CHARS = 200_000  # matches are looked for in this much of a long document
MAX_SPANS = 200  # matches weighed when choosing the window


@dataclass
class Snippet:
    text: str
    highlights: list[tuple[int, int]] = field(default_factory=list)


@lru_cache(maxsize=512)
def word_pattern(sequences: tuple[tuple[str, ...], ...]) -> re.Pattern[str] | None:
    """One pattern for several word sequences (lower-case analysed tokens), longest first.

    It has no look-arounds (they make Python's engine several times slower on long
    texts); :func:`find_spans` checks the word boundaries of each match instead.
    """
    parts = sorted(
        {r"[\W_]+".join(re.escape(t) for t in seq) for seq in sequences if seq},
        key=len,
        reverse=True,
    )
    return re.compile("|".join(parts)) if parts else None


def find_spans(
    text: str, pattern: re.Pattern[str] | None, extra: list[tuple[int, int]] | None = None
) -> list[tuple[int, int]]:
    """Whole-word matches in ``text`` (any case), plus ``extra`` spans; sorted, merged."""
    spans = list(extra or [])
    if pattern is not None:
        scan = text[:SCAN_CHARS]
        low = scan.lower()
        if len(low) != len(scan):  # a few letters change length when lower-cased
            low = scan.casefold() if len(scan.casefold()) == len(scan) else scan
        found = 0
        for m in pattern.finditer(low):
            s, e = m.span()
            if (s == 0 or not low[s - 1].isalnum()) and (e == len(low) or not low[e].isalnum()):
                spans.append((s, e))
                found += 1
                if found >= MAX_SPANS:
                    break
    spans = sorted((s, e) for s, e in spans if 0 <= s < e <= len(text))
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def make_snippet(text: str, spans: list[tuple[int, int]], width: int = SNIPPET_CHARS) -> Snippet:
    """The window of ``text`` holding the most matches (the start when none match).

    Line breaks and tabs become spaces one for one, so offsets carry over unchanged.
    """
    if not text:
        return Snippet("")
    start = _best_start(text, spans, width)
    end = min(len(text), start + width)
    if start > 0:
        space = text.rfind(" ", max(0, start - 20), start)
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.find(" ", end, end + 20)
        end = space if space >= 0 else end
    window = _BREAKS.sub(" ", text[start:end])
    lead = len(window) - len(window.lstrip())
    window = window.strip()
    prefix = "…" if start > 0 else ""
    shift = len(prefix) - start - lead
    highlights = [
        (max(s, start + lead) + shift, min(e, start + lead + len(window)) + shift)
        for s, e in spans
        if s < start + lead + len(window) and e > start + lead
    ]
    return Snippet(prefix + window + ("…" if end < len(text) else ""), highlights)


_BREAKS = re.compile(r"[\n\r\t\f\v\u2028\u2029\x85]")  # each becomes one space


def _best_start(text: str, spans: list[tuple[int, int]], width: int) -> int:
    """Where a window of ``width`` covers the most matches, distinct words first."""
    if not spans:
        return 0
    lead = min(LEAD_CHARS, width // 4)
    ends = [e for _, e in spans]
    keys = {text[a:b].lower() for a, b in spans[:32]}
    best, best_score = 0, -1.0
    for i, (s, _) in enumerate(spans):
        anchor = max(0, s - lead)
        j = bisect_right(ends, anchor + width, lo=i)
        if len(keys) > 1:  # several words or names: prefer the window holding most of them
            score = len({text[a:b].lower() for a, b in spans[i:j]}) + 0.01 * (j - i)
        else:
            score = float(j - i)
        if score > best_score:
            best, best_score = anchor, score
    return best
