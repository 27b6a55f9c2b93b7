"""Units of the web layer: HTML built from offsets, citations, map and chart geometry."""

from __future__ import annotations

import importlib.util
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from markupsafe import Markup

from fonds.export.citations import (
    bibtex,
    bibtex_escape,
    chicago_bibliography,
    chicago_note,
    csl_json,
    human_date,
)
from fonds.web.layout import bars, map_view, network_layout, project, world_paths
from fonds.web.render import EntityMark, RepairMark, excerpt, highlight_snippet, render_passage
from fonds.web.searching import SearchForm, bracket_highlights, quote, toggle

RECORD = {
    "id": "abc123",
    "title": "Record of a Conversation between Stalin and Kim Il Sung",
    "date": "1950-03-30/1950-04-25",
    "doc_type": "record of conversation",
    "summary": "Stalin and Kim discuss the war.",
    "citation": "APRF, f. 45, o. 1, d. 346, ll. 1-10.",
    "archival_refs": [
        {
            "archive": "APRF",
            "fond": "45",
            "opis": "1",
            "delo": "346",
            "pages": "1-10",
            "raw": "APRF, f. 45, o. 1, d. 346, ll. 1-10",
            "kind": "russian",
        },
        {
            "archive": "RGASPI",
            "fond": "558",
            "opis": "11",
            "delo": "346",
            "pages": None,
            "raw": "RGASPI, f. 558, op. 11, d. 346",
            "kind": "russian",
        },
    ],
    "translator": "Gary Goldberg",
    "original_language": "Russian",
    "record_id": "116977",
    "url": "https://digitalarchive.wilsoncenter.org/document/116977",
    "sender": {"id": "person-terentii-shtykov", "name": "Terentii Shtykov"},
    "recipients": [{"id": "person-andrey-vyshinsky", "name": "Andrey Vyshinsky"}],
    "classification": "Top Secret",
}


def test_snippet_is_escaped_then_marked() -> None:
    snippet = "a <b>Kim</b> & <script>x</script>"
    assert highlight_snippet(snippet, [(5, 8), (15, 23)]) == Markup(
        "a &lt;b&gt;<mark>Kim</mark>&lt;/b&gt; &amp; <mark>&lt;script&gt;</mark>x&lt;/script&gt;"
    )
    # offsets out of range, overlapping or reversed are clipped or skipped, never trusted
    assert highlight_snippet("abc", [(1, 99), (0, 2), (2, 1)]) == Markup(
        "<mark>ab</mark><mark>c</mark>"
    )


def test_bracket_snippets_of_the_first_search_service() -> None:
    assert bracket_highlights("…[Kim] [Il] said") == ("…Kim Il said", [(1, 4), (5, 7)])


def test_passage_links_mentions_and_marks_repairs_escaping_every_piece() -> None:
    text = "Kim II Sung <script>\n\nsaw Ongjin."
    entities = [
        EntityMark(0, 11, "person-kim-il-sung", "person", "Kim Il Sung"),
        EntityMark(26, 32, 'place-ongjin"><x', "place", "Ongjin <b>"),
    ]
    repairs = [RepairMark(4, 6, "II", "ocr-korean-il")]
    assert render_passage(text, 0, len(text), entities, repairs) == Markup(
        '<p dir="auto"><a class="ent ent-person" href="/entities/person-kim-il-sung"'
        ' title="Kim Il Sung (person)">Kim <ins class="repair" title="OCR repair: II → II'
        ' (ocr-korean-il)">II</ins> Sung</a> &lt;script&gt;</p>'
        '<p dir="auto">saw <a class="ent ent-place" href="/entities/place-ongjin%22%3E%3Cx"'
        ' title="Ongjin &lt;b&gt; (place)">Ongjin</a>.</p>'
    )


def test_passage_of_a_range_splits_marks_at_its_edges() -> None:
    text = "Stalin. Kim Il Sung agreed."
    entities = [EntityMark(8, 19, "person-kim-il-sung", "person", "Kim Il Sung")]
    assert render_passage(text, 12, len(text), entities, []) == Markup(
        '<p dir="auto"><a class="ent ent-person" href="/entities/person-kim-il-sung"'
        ' title="Kim Il Sung (person)">Il Sung</a> agreed.</p>'
    )


def test_excerpt_marks_the_evidence() -> None:
    assert excerpt("Date: <19 Jan>", 6, 14, context=3) == Markup("…e: <mark>&lt;19 Jan&gt;</mark>")


def test_human_dates() -> None:
    assert [
        human_date(v)
        for v in (
            "1952-09-04",
            "1950-04",
            "1950",
            "1950-03-30/1950-04-25",
            "1950-04-01/1950-04-09",
            None,
        )
    ] == [
        "September 4, 1952",
        "April 1950",
        "1950",
        "March 30–April 25, 1950",
        "April 1–9, 1950",
        None,
    ]


def test_chicago() -> None:
    assert chicago_note(RECORD) == (
        "Terentii Shtykov, “Record of a Conversation between Stalin and Kim Il Sung,” "
        "March 30–April 25, 1950, APRF, f. 45, o. 1, d. 346, ll. 1-10; RGASPI, f. 558, op. 11, "
        "d. 346, trans. Gary Goldberg, record 116977, "
        "https://digitalarchive.wilsoncenter.org/document/116977."
    )
    assert chicago_bibliography(RECORD) == (
        "Terentii Shtykov. “Record of a Conversation between Stalin and Kim Il Sung.” "
        "March 30–April 25, 1950. APRF, f. 45, o. 1, d. 346, ll. 1-10; RGASPI, f. 558, op. 11, "
        "d. 346. Translated by Gary Goldberg. Record 116977. "
        "https://digitalarchive.wilsoncenter.org/document/116977."
    )


def test_bibtex() -> None:
    assert (
        bibtex(RECORD)
        == """@misc{fonds-abc123,
  title = {Record of a Conversation between Stalin and Kim Il Sung},
  author = {{Terentii Shtykov}},
  date = {1950-03-30/1950-04-25},
  year = {1950},
  month = {3},
  type = {record of conversation},
  translator = {Gary Goldberg},
  howpublished = {APRF, f. 45, o. 1, d. 346, ll. 1-10; RGASPI, f. 558, op. 11, d. 346},
  language = {Russian},
  number = {116977},
  url = {https://digitalarchive.wilsoncenter.org/document/116977},
  note = {Classification: Top Secret}
}"""
    )
    assert bibtex_escape("a {b} 100% $5 #x_y ^~\\") == (
        r"a \{b\} 100\% \$5 \#x\_y \^{}\~{}\textbackslash{}"
    )
    hostile = bibtex({"id": "x}\n@misc{evil", "title": "}, note = {pwned"})
    assert hostile == "@misc{fonds-xmiscevil,\n  title = {\\}, note = \\{pwned}\n}"


def test_csl_json() -> None:
    assert csl_json(RECORD) == {
        "id": "abc123",
        "type": "manuscript",
        "title": "Record of a Conversation between Stalin and Kim Il Sung",
        "author": [{"literal": "Terentii Shtykov"}],
        "recipient": [{"literal": "Andrey Vyshinsky"}],
        "issued": {"date-parts": [[1950, 3, 30], [1950, 4, 25]], "raw": "1950-03-30/1950-04-25"},
        "archive": "APRF",
        "archive_location": "f. 45, o. 1, d. 346, ll. 1-10",
        "note": "Also: RGASPI, f. 558, op. 11, d. 346",
        "genre": "record of conversation",
        "URL": "https://digitalarchive.wilsoncenter.org/document/116977",
        "number": "116977",
        "abstract": "Stalin and Kim discuss the war.",
        "language": "Russian",
        "translator": [{"literal": "Gary Goldberg"}],
    }


def test_csl_json_is_read_by_a_csl_processor() -> None:
    citeproc = pytest.importorskip("citeproc")
    from citeproc.source.json import CiteProcJSON

    item = csl_json(RECORD)
    item["issued"] = {"date-parts": item["issued"]["date-parts"][:1]}
    source = CiteProcJSON([item])
    style = citeproc.CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = citeproc.CitationStylesBibliography(style, source, citeproc.formatter.plain)
    bibliography.register(citeproc.Citation([citeproc.CitationItem("abc123")]))
    text = str(bibliography.bibliography()[0])
    assert "Record of a Conversation between Stalin and Kim Il Sung" in text
    assert "1950" in text


def test_search_form_builds_the_query() -> None:
    form = SearchForm("Kim Il Sung", "record of conversation", "1950", "1950-06", "date")
    assert form.query() == 'Kim Il Sung type:"record of conversation" date:1950..1950-06'
    assert form.params(q="x") == "q=x&type=record+of+conversation&from=1950&to=1950-06&sort=date"
    assert quote('say "hi"') == '"say  hi"'
    assert toggle("Kim", "type:telegram") == "Kim type:telegram"
    assert toggle("Kim type:telegram", "type:telegram") == "Kim"


def test_bars_scale_to_the_largest_count() -> None:
    assert [
        (b.key, b.height, b.y) for b in bars([("1949", 4), ("1950", 0), ("1951", 2)], 300, 100)
    ] == [("1949", 100.0, 0.0), ("1950", 0.0, 100.0), ("1951", 50.0, 50.0)]


def test_world_outlines_are_bundled_and_projected() -> None:
    paths = dict(world_paths())
    assert len(paths) > 170
    assert {"Korea", "North Korea", "South Korea", "China", "Russia"} & set(paths) >= {
        "China",
        "Russia",
    }
    assert project(-180, 90) == (0.0, 0.0) and project(180, -90) == (1000.0, 500.0)
    # no stroke runs across the whole map at the antimeridian
    for d in paths.values():
        for piece in d.split("M")[1:]:
            xs = [float(p.split(",")[0]) for p in piece.rstrip("Z").split("L")]
            assert all(abs(a - b) <= 500 for a, b in pairwise(xs))
    x, _, w, h = map_view([project(126.5, 33.4), project(114.2, 22.3)], world=False)
    assert w == 2 * h and x < project(114.2, 22.3)[0] and x + w > project(126.5, 33.4)[0]


def test_network_layout_is_deterministic_and_on_the_canvas() -> None:
    nodes = ["a", "b", "c", "d", "e"]
    edges = [("a", "b", 3), ("b", "c", 1), ("d", "e", 1)]
    first, height = network_layout(nodes, edges, 1000)
    assert (first, height) == network_layout(nodes, edges, 1000)
    assert set(first) == set(nodes)
    assert all(0 <= x <= 1000 and 0 <= y <= height for x, y in first.values())
    assert len(set(first.values())) == len(nodes)


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location(
        "render_bench", Path(__file__).resolve().parents[1] / "benchmarks" / "render_bench.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def _document(paragraphs: int) -> tuple[str, list[EntityMark], list[RepairMark]]:
    """The render benchmark's document: paragraphs naming two people, a repair in ten."""
    return _bench().document(paragraphs)  # type: ignore[no-any-return]


def _record(paragraphs: int) -> dict[str, Any]:
    """The same document as a record, as the store gives it to the reader."""
    return _bench().record(paragraphs)  # type: ignore[no-any-return]


def test_render_time_grows_with_the_size_not_its_square() -> None:
    """Ten times the paragraphs and marks cost about ten times the CPU (the reader once
    rescanned every mark for every paragraph: a hundred times)."""
    import time

    def cpu(paragraphs: int) -> float:
        text, entities, repairs = _document(paragraphs)
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            html = render_passage(text, 0, len(text), entities, repairs)
            best = min(best, time.process_time() - start)
        assert html.count("<p") == paragraphs
        return best

    small, large = cpu(300), cpu(3000)
    assert large < 30 * max(small, 1e-4), (small, large)


@pytest.mark.slow
def test_a_five_megabyte_document_opens_at_once() -> None:
    """The reader shows one part of a long body: part 1 of a 5 MB record (70,000 marks)
    costs a small multiple of a whole 100 KB record, and the parts cover the body."""
    import time

    from fonds.web.documents import body_parts, sections

    def cpu(record: dict[str, Any]) -> tuple[float, int]:
        best, shown = float("inf"), 0
        for _ in range(3):
            start = time.process_time()
            lo, hi = body_parts(record, 100_000)[0]
            shown = sum(str(s.html).count("<p") for s in sections(record, lo, hi))
            best = min(best, time.process_time() - start)
        return best, shown

    small_record, large_record = _record(1_200), _record(65_000)  # about 95 KB and 5 MB
    assert len(str(large_record["text"])) > 5_000_000
    small, small_shown = cpu(small_record)
    large, large_shown = cpu(large_record)
    assert small_shown == 1_200 and 0 < large_shown <= 1_300
    assert large < 6 * max(small, 1e-3), (small, large)
    parts = body_parts(large_record, 100_000)
    assert parts[0][0] == 0 and parts[-1][1] == len(str(large_record["text"]))
    assert all(a[1] == b[0] for a, b in pairwise(parts))  # no gap, no overlap
    assert all(hi - lo <= 100_000 for lo, hi in parts)
    assert (
        sum(str(s.html).count("<p") for lo, hi in parts for s in sections(large_record, lo, hi))
        == 65_000
    )  # every paragraph on one part, none cut (parts end at paragraph breaks)
