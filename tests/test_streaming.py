"""Large files are hashed in chunks and TEI volumes parsed straight from the file."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fonds.pipeline import ingest
from fonds.readers import choose_reader, load_source
from fonds.store.sqlite import Store

from .conftest import FRUS_TEI


def test_a_streamed_tei_volume_reads_like_a_loaded_one() -> None:
    whole = load_source(FRUS_TEI)
    streamed = load_source(FRUS_TEI, stream_over=10_000)
    assert not whole.streamed and streamed.streamed
    assert streamed.sha256 == whole.sha256 == hashlib.sha256(FRUS_TEI.read_bytes()).hexdigest()
    assert len(streamed.text) < len(whole.text)
    a = [(d.part, d.value("title"), d.body) for d in choose_reader(whole).read(whole)]
    b = [(d.part, d.value("title"), d.body) for d in choose_reader(streamed).read(streamed)]
    assert a == b and len(a) == 41


def test_a_large_plain_text_is_loaded_whole_when_its_reader_needs_it(
    tmp_path: Path, monkeypatch
) -> None:
    import fonds.readers.source as source_module

    monkeypatch.setattr(source_module, "STREAM_OVER_BYTES", 1_000)
    path = tmp_path / "long.txt"
    path.write_text(
        "A Long Report\n\n" + "The mission reported on rice prices. " * 200, encoding="utf-8"
    )
    store = Store(tmp_path / "f.db")
    summary = ingest(store, [path])
    assert summary.count("added") == 1
    record = next(store.iter_records())
    assert record["text"].count("rice prices") == 200
    assert load_source(path).streamed  # it was large enough to be streamed first
