"""Freed memory given back to the system.

CPython frees a big document's pieces (the text while it is joined, a part's results)
into the C library's heap, and glibc keeps what lies below live objects for reuse: the
process stays as big as its busiest moment. ``malloc_trim`` returns those free pages.
Elsewhere (another C library) this does nothing.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


def release_free_memory() -> None:
    """Give the heap's free pages back to the system, where the C library can."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
