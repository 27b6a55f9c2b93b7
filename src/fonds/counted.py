"""A count with its noun: "1 document", "2 documents", "3 people"."""

from __future__ import annotations

# Nouns whose plural is not the singular plus "s".
IRREGULAR = {"person": "people", "body": "bodies", "entity": "entities", "copy": "copies"}


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun in the number it takes (digits only: scripts read these lines)."""
    if n == 1:
        return f"1 {noun}"
    return f"{n} {plural or IRREGULAR.get(noun) or noun + 's'}"
