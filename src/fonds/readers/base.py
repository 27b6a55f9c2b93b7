"""The reader protocol: each reader bids for a file and turns it into drafts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from fonds.model import Draft, SourceFile


class Reader(Protocol):
    """A reader for one source format.

    ``match`` looks at the file name and the start of its decoded text and returns a
    bid: 0 means "not mine", higher wins. ``read`` yields one draft per document in
    the file (a TEI volume holds hundreds). A file the reader cannot understand
    raises ``fonds.errors.ReadError``. A reader with ``streams`` true reads a large
    file (``SourceFile.streamed``) from disk itself; others are given its whole text.
    """

    name: str
    streams: bool

    def match(self, path: str, head: str) -> int: ...

    def read(self, source: SourceFile) -> Iterator[Draft]: ...
