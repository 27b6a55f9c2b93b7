"""A real archive for the web tests: the sample corpus plus hostile documents.

Built once per test session (the web test modules share it) in a temporary folder.
No tests here; the helpers are imported by tests/test_web*.py and tests/browser/.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from fonds.entities.stage import EntityStage
from fonds.pipeline import ingest, ingest_file
from tests.conftest import STORE_KIND, copy_archive_to, open_archive

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"

HOSTILE_TEXT = """\
<script>alert(1)</script> Telegram from Shtykov to Vyshinsky <img src=x onerror=alert(1)>

Date: 19 January 1950

Kim Il Sung said <script>alert("x")</script> and <a href="javascript:alert(1)">click</a> \
about "Ongjin" & {braces} 100% of $5 #tag_x ^~\\ more.

Stalin. <b onmouseover=alert(3)>bold</b> what? <iframe src="javascript:alert(4)"></iframe>

Kim Il Sung. Yes. javascript:alert(2) <svg onload=alert(5)>
"""
RTL_TEXT = (
    "برقية من شتيكوف إلى فيشينسكي\n\n"
    + "مرحبا بالعالم، هذا نص عربي عن كوريا. שלום עולם, זה טקסט בעברית. " * 5
    + "\n\n"
    + "金日成与斯大林在莫斯科会谈。朝鲜战争停战谈判。김일성 동지가 말했다. " * 5
    + "\n"
)
# Places the hostile document is made to name, with coordinates, so that the map always
# has something to draw whatever the authority file holds.
PLACES = {
    "place-test-atoll": ("Test Atoll", 10.0, -150.0),
    "place-test-station": ("Test Station", -30.0, -20.0),
}


@dataclass
class Archive:
    db: Path
    hostile: str
    rtl: str
    big: str
    big_last_words: str
    conversation: str = "abfb32bb0fa83851"  # seed 004, Stalin with Kim Il Sung, 1952
    repaired: str = "ef28679b310f1ae1"  # seed 002, OCR repairs "II" → "Il"
    luncheon: str = "ecef1b9c8431f36a"  # seed 001, Shtykov to Vyshinsky


_BUILT: dict[str, Archive] = {}


def build_archive(folder: Path) -> Archive:
    """Ingest the sample corpus and the hostile files into ``folder/web.db``."""
    files = folder / "hostile"
    files.mkdir()
    (files / "hostile.txt").write_text(HOSTILE_TEXT, encoding="utf-8")
    (files / "rtl-cjk.txt").write_text(RTL_TEXT, encoding="utf-8")
    rng = random.Random(5)
    words = ["army", "<b>bold</b>", "Seoul", "supply", "&amp;", "division", "rail", "plan"]
    para = " ".join(rng.choice(words) for _ in range(170_000))[:1_000_000].rsplit(" ", 1)[0]
    para += " finalword-zebra"
    (files / "big.txt").write_text("A one-paragraph memorandum\n\n" + para + "\n", encoding="utf-8")
    db = folder / "web.db"
    store = open_archive(db)
    stage = EntityStage.for_store(store, ner="none")
    summary = ingest(store, [CORPUS, files / "hostile.txt", files / "rtl-cjk.txt"], stage.annotate)
    assert summary.count("failed") == 0, summary.outcomes
    # The 1 MB paragraph goes in without entities: it tests the reader, not the resolver.
    assert ingest_file(store, files / "big.txt").status == "added"
    hostile_id = next(iter(store.document_ids_for_path(str(files / "hostile.txt"))))
    with store.conn:
        for entity_id, (name, lat, lon) in PLACES.items():
            store.conn.execute(
                "INSERT INTO entities(id, type, name, origin, data_json) VALUES (?,?,?,?,?)",
                (entity_id, "place", name, "test", json.dumps({"lat": lat, "lon": lon})),
            )
            store.conn.execute(
                "INSERT INTO mentions VALUES (?,?,?,?,?,?,?,?)",
                (hostile_id, entity_id, "text", 0, 4, "Kim ", "test", 1.0),
            )
    ids = {
        Path(p).name: next(iter(store.document_ids_for_path(p)))
        for p in (str(files / n) for n in ("hostile.txt", "rtl-cjk.txt", "big.txt"))
    }
    store.close()
    return Archive(db, ids["hostile.txt"], ids["rtl-cjk.txt"], ids["big.txt"], "finalword-zebra")


def shared_archive(factory: pytest.TempPathFactory) -> Archive:
    if "archive" not in _BUILT:
        _BUILT["archive"] = build_archive(factory.mktemp("web"))
    return _BUILT["archive"]


class Markup(HTMLParser):
    """Every start tag of a page with its attributes, for checking what a page may run."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def unsafe(self) -> list[str]:
        """Anything in the page that would run script other than our own static files."""
        found = []
        for tag, attrs in self.tags:
            if tag in ("script",) and not (attrs.get("src") or "").startswith("/static/"):
                found.append(f"<{tag} {attrs}>")
            if tag in ("iframe", "object", "embed", "img", "base"):
                found.append(f"<{tag}>")
            for name, value in attrs.items():
                if name.startswith("on"):
                    found.append(f"{tag} {name}={value}")
                if (
                    name in ("href", "src", "action", "formaction")
                    and value
                    and value.strip().lower().startswith(("javascript:", "data:", "vbscript:"))
                ):
                    found.append(f"{tag} {name}={value}")
            if tag == "style" or "style" in attrs:
                found.append(f"inline style on <{tag}>")
        return found


def copy_archive(archive: Archive, db: Path) -> Path:
    """A copy of the archive (and its search index) at ``db``, for tests that write."""
    if STORE_KIND == "postgresql":  # its index is rebuilt at its first search
        copy_archive_to(archive.db, db)
        return db
    source = open_archive(archive.db, readonly=True)
    source.conn.execute("VACUUM INTO ?", (str(db),))
    source.close()
    index = Path(str(archive.db) + ".index")
    if index.is_dir():
        shutil.copytree(index, Path(str(db) + ".index"))
    return db
