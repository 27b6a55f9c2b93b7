"""Speaker turns in records of conversation, and the roles of listed participants.

A turn starts at a paragraph opening with a speaker's label ("Stalin. ...", a joint
"Zhou Enlai and Kim Il Sung. ...") and runs over the unlabelled paragraphs that follow,
to the next label. Narration ("Zhou Enlai and Kim Il Sung thank Cde. Stalin.") has no
label: its words before the first full stop do not all name people.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fonds.model import EntityRef, Turn

LABEL = re.compile(r"(?P<label>[A-Z][^.!?:\n\[\]]{0,80}?)\.[ \t]+(?=\S)")
SPLIT = re.compile(r"\s*(?:,\s*and\s+|,\s*|\s+and\s+|\s*&\s*)")
ROLE_LINE = re.compile(
    r"(?P<role>(?:from|on) (?:our|the [\w\s,-]+?) sides?|present|participants|participating|"
    r"attending|interpreters?|translators?|recorded by|record(?:ed)? by|also present)\s*:?\s",
    re.I,
)
Resolver = Callable[[str, int], EntityRef | None]


def paragraph_starts(text: str) -> list[int]:
    starts = [0] if text and not text[0].isspace() else []
    starts += [m.end() for m in re.finditer(r"\n\s*\n", text)]
    return [s for s in starts if s < len(text)]


def find_turns(text: str, resolve: Resolver) -> list[Turn]:
    """Turns of a conversation record; ``resolve(name, offset)`` names a person or None."""
    labelled: list[tuple[int, list[EntityRef]]] = []
    for start in paragraph_starts(text):
        m = LABEL.match(text, start)
        if not m:
            continue
        parts = [p for p in SPLIT.split(m.group("label").strip()) if p]
        if not parts or len(parts) > 5:
            continue
        speakers = []
        for part in parts:
            ref = resolve(part, start)
            if ref is None:
                speakers = []
                break
            speakers.append(ref)
        if speakers:
            labelled.append((start, speakers))
    if len(labelled) < 2:
        return []  # one label-like line is not a conversation
    turns = []
    for i, (start, speakers) in enumerate(labelled):
        end = labelled[i + 1][0] if i + 1 < len(labelled) else len(text)
        while end > start and text[end - 1].isspace():
            end -= 1
        turns.append(Turn(speakers, start, end))
    return turns


def participant_roles(text: str) -> list[tuple[int, int, str]]:
    """Spans of participant-list paragraphs with the role they give: (start, end, role)."""
    out = []
    for start in paragraph_starts(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        m = ROLE_LINE.match(text, start, end)
        if m:
            role = m.group("role").casefold()
            if role.startswith(("interpreter", "translator")):
                role = "interpreter"
            elif role.startswith("record"):
                role = "recorder"
            elif "our" in role.split():
                role = "participant (our side)"
            elif role.startswith(("from", "on")):
                role = "participant (" + role.split(" ", 1)[1] + ")"
            else:
                role = "participant"
            out.append((start, end, role))
    return out
