"""JSON Lines export: one record a line, the schema of CONTRACT.md."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any


def write_jsonl(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    n = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False))
        out.write("\n")
        n += 1
    return n
