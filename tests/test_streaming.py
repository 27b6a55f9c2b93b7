"""Large files are hashed in chunks and TEI volumes parsed straight from the file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from fonds.pipeline import ingest
from fonds.readers import choose_reader, load_source
from tests.conftest import open_archive

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


PLAIN_TEXTS = {
    "report": "A Long Report\n\n" + "The mission reported on rice prices. " * 200,
    "opener": (
        "\ufeff12. Memorandum by the Director\r\n795.00/1-549\r\nTOP SECRET\r\n"
        "[Washington,] January 5, 1949.\r\n\r\n  Pak Hon-yong\tsaw\u00a0\u00a0the Minister.\r\n"
        "Second  line of the paragraph.\r\n\r\n\r\nA last paragraph.\r\n"
    ),
    "no body": "January 5, 1949.\n\n",
    "untitled": "This opens with a sentence that ends. " * 20 + "\n\nAnd a paragraph.",
    "six openers": "Title\nSECRET\nSECRET\nSECRET\nSECRET\nSECRET\n\nBody text here.",
}


@pytest.mark.parametrize("name", list(PLAIN_TEXTS))
@pytest.mark.parametrize("encoding", ["utf-8", "cp1251"])
def test_a_large_plain_text_read_from_disk_line_by_line_reads_as_when_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, encoding: str
) -> None:
    """Over ``STREAM_OVER_BYTES`` a plain text is read line by line from the file (its
    encoding told by its head): the same title, opener fields and body as read whole."""
    from fonds.readers.plain import PlainTextReader

    text = PLAIN_TEXTS[name] + (" Советский Союз." if encoding == "cp1251" else "")
    if encoding == "cp1251":
        text = text.replace("\ufeff", "").replace("\u00a0", " ")
    path = tmp_path / "long.txt"
    path.write_bytes(text.encode(encoding))
    whole = load_source(path, stream_over=None)
    streamed = load_source(path, stream_over=10)
    assert streamed.streamed and not whole.streamed
    assert choose_reader(streamed).name == choose_reader(whole).name
    assert streamed.encoding == whole.encoding
    (a,) = PlainTextReader().read(whole)
    (b,) = PlainTextReader().read(streamed)
    assert (a.body, a.fields) == (b.body, b.fields)
    assert a.body or name == "no body"


def test_a_large_plain_text_is_stored_whole_when_streamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fonds.readers.source as source_module

    monkeypatch.setattr(source_module, "STREAM_OVER_BYTES", 1_000)
    path = tmp_path / "long.txt"
    path.write_text(PLAIN_TEXTS["report"], encoding="utf-8")
    store = open_archive(tmp_path / "f.db")
    summary = ingest(store, [path])
    assert summary.count("added") == 1
    record = next(store.iter_records())
    assert record["title"] == "A Long Report"
    assert record["text"].count("rice prices") == 200
    assert load_source(path).streamed  # it was large enough to be streamed


def test_white_space_folded_a_piece_at_a_time_is_folded_as_whole(monkeypatch) -> None:
    """A long paragraph's spaces are folded in pieces (``fold_spaces``), cut after a run
    of spaces, never inside one: the same text as one ``re.sub`` over the whole."""
    import random

    from fonds.readers import lines

    rng = random.Random(1950)
    for _ in range(400):
        text = "".join(
            rng.choice(["a", "bc", " ", "\t", "\u00a0", "  ", "\n"])
            for _ in range(rng.randint(0, 300))
        )
        monkeypatch.setattr(lines, "SPACE_PIECE", rng.randint(1, 40))
        assert lines.fold_spaces(text) == lines.SPACES.sub(" ", text), repr(text)


def test_a_worker_reads_a_large_plain_text_from_disk_as_it_would_read_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``fonds.parallel._read_file`` (what a worker and a big file's writer run) streams a
    large plain text too, and builds the record it builds from the whole file."""
    import fonds.readers.source as source_module
    from fonds.parallel import _read_file

    path = tmp_path / "long.txt"
    path.write_text("A Long Report\n\n" + "Second  line of the\tparagraph.\n\n" * 50, "utf-8")
    whole = _read_file(str(path), None)
    monkeypatch.setattr(source_module, "STREAM_OVER_BYTES", 1_000)
    assert load_source(path).streamed
    streamed = _read_file(str(path), None)
    assert streamed.error is None and streamed.reader == whole.reader == "text"
    assert [r.as_json() for r in streamed.records] == [r.as_json() for r in whole.records]
    assert streamed.records[0].text.count("Second line of the paragraph.") == 50
