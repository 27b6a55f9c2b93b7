"""The authority file: people, places and organizations with variants, offices and sources.

Read from the YAML files in ``fonds/data/authority`` and any user file; see the README
there for the format. Loading validates every entry and names the file of a bad one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from fonds.errors import ConfigError

ENTITY_TYPES = ("person", "place", "organization")
try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader


@dataclass(frozen=True)
class Office:
    title: str
    phrases: tuple[str, ...]
    start: str | None
    end: str | None

    def held_on(self, day: str) -> bool:
        """Whether the office was held on an ISO day (bounds inclusive, partial dates ok)."""
        lo = _pad(self.start, "0001-01-01")
        hi = _pad(self.end, "9999-12-31", upper=True)
        return lo <= day <= hi


@dataclass(frozen=True)
class AuthorityEntry:
    id: str
    type: str
    name: str
    variants: tuple[str, ...] = ()
    cover_names: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()
    surname_alone: bool = False
    offices: tuple[Office, ...] = ()
    data: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def all_names(self) -> list[str]:
        names = [self.name, *self.variants, *self.cover_names, *self.abbreviations]
        seen: set[str] = set()
        return [n for n in names if n and not (n in seen or seen.add(n))]


def _pad(value: str | None, default: str, upper: bool = False) -> str:
    if not value:
        return default
    value = str(value)
    if len(value) == 4:
        return value + ("-12-31" if upper else "-01-01")
    if len(value) == 7:
        return value + ("-31" if upper else "-01")
    return value[:10]


def _as_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _entry(raw: dict[str, Any], where: str) -> AuthorityEntry:
    missing = [k for k in ("id", "type", "name") if not raw.get(k)]
    if missing:
        raise ConfigError(f"{where}: an entry lacks {', '.join(missing)}: {raw!r:.120}")
    if raw["type"] not in ENTITY_TYPES:
        raise ConfigError(f"{where}: entry {raw['id']} has unknown type {raw['type']!r}")
    offices = tuple(
        Office(
            title=str(o.get("title") or ""),
            phrases=tuple(str(p) for p in (o.get("phrases") or []) if p),
            start=_as_str(o.get("from")),
            end=_as_str(o.get("to")),
        )
        for o in raw.get("offices") or []
        if isinstance(o, dict)
    )

    def strings(key: str) -> tuple[str, ...]:
        return tuple(str(v) for v in raw.get(key) or [] if v)

    data = {
        k: _as_str(v) if isinstance(v, date) else v
        for k, v in raw.items()
        if k not in {"variants", "cover_names", "abbreviations", "offices"}
    }
    data["offices"] = [{"title": o.title, "from": o.start, "to": o.end} for o in offices]
    return AuthorityEntry(
        id=str(raw["id"]),
        type=raw["type"],
        name=str(raw["name"]),
        variants=strings("variants"),
        cover_names=strings("cover_names"),
        abbreviations=strings("abbreviations"),
        surname_alone=bool(raw.get("surname_alone")),
        offices=offices,
        data=data,
    )


def load_file(path: Path | str, text: str | None = None) -> list[AuthorityEntry]:
    try:
        doc = yaml.load(text if text is not None else Path(path).read_text("utf-8"), Loader=_Loader)
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"{path}: cannot read this authority file ({err})") from err
    if not isinstance(doc, dict) or not isinstance(doc.get("entities"), list):
        raise ConfigError(f"{path}: an authority file needs an 'entities:' list")
    return [_entry(raw, str(path)) for raw in doc["entities"] if isinstance(raw, dict)]


@cache
def bundled_entries() -> tuple[AuthorityEntry, ...]:
    """Every entry of the authority files shipped with fonds."""
    folder = resources.files("fonds.data.authority")
    out: list[AuthorityEntry] = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith((".yaml", ".yml")):
            out.extend(load_file(item.name, item.read_text("utf-8")))
    ids = [e.id for e in out]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ConfigError(f"authority files: duplicate ids {sorted(dupes)[:5]}")
    return tuple(out)
