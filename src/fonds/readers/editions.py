"""Online editions of published document collections (``data/editions.yaml``).

A TEI volume's header names its edition by the type of its ``<idno>`` (``<idno
type="frus">frus1949v07p2</idno>``); the edition gives who publishes it online and the
address of each document's page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import quote

import yaml


@dataclass(frozen=True)
class Edition:
    """One volume of a known online edition."""

    name: str
    url_template: str
    volume: str

    def document_url(self, document_id: str) -> str:
        return self.url_template.format(
            volume=quote(self.volume, safe=""), document=quote(document_id, safe="")
        )


@lru_cache(maxsize=1)
def _editions() -> dict[str, dict[str, Any]]:
    text = resources.files("fonds.data").joinpath("editions.yaml").read_text("utf-8")
    return yaml.safe_load(text) or {}


def edition_for(idno_type: str, volume_id: str) -> Edition | None:
    """The edition an ``<idno type=...>`` names, for the volume it identifies."""
    known = _editions().get(idno_type.strip().lower())
    volume = volume_id.strip()
    if not known or not volume:
        return None
    return Edition(str(known["name"]), str(known["document_url"]), volume)
