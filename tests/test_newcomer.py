"""Rough edges a newcomer hit (issue "Into the tools researchers already use", item 7):
entity commands by name and with names, aligned and marked cuts in the command line's
lists, documents that share a title told apart, date spans on the timeline."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from fonds.cli import main
from fonds.cli_common import column_width, cut
from fonds.entities.edits import merge, split
from fonds.web.corpus import timeline, with_subtitles
from tests.conftest import archive_at, copy_archive_to, open_archive
from tests.test_web_support import Archive, Markup


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_entity_show_takes_a_name_in_any_spelling(seeds_db: Path) -> None:
    by_id = run("entity", "show", "person-kim-il-sung", "--db", archive_at(seeds_db))
    assert run("entity", "show", "Kim II Sung", "--db", archive_at(seeds_db)) == by_id
    assert run("entity", "show", "Kim Il-sung", "--db", archive_at(seeds_db)) == by_id
    missing = CliRunner().invoke(
        main, ["entity", "show", "Nobody Atall", "--db", archive_at(seeds_db)]
    )
    assert missing.exit_code == 2 and "no entity has the id or the name" in missing.stderr


def test_entity_history_names_what_it_merged_and_split(seeds_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "edit.db"
    copy_archive_to(seeds_db, db)
    assert run("entity", "history", "--db", archive_at(db)).strip() == "no merges or splits yet"
    store = open_archive(db)
    merge(store, "person-pelishenko", "person-aleksandr-ignatiev")
    new_id = split(store, "person-kim-il-sung", ["Kim"], "Kim (unresolved)")
    store.close()
    out = run("entity", "history", "--db", archive_at(db))
    assert "Pelishenko (person-pelishenko) into " in out
    assert re.search(r"into Aleksandr \w* ?Ignatiev \(person-aleksandr-ignatiev\)", out), out
    assert f"Kim out of Kim Il Sung (person-kim-il-sung) into Kim (unresolved) ({new_id})" in out


def test_cuts_are_marked_and_columns_hold_a_date_range() -> None:
    assert cut("Memorandum of Conversation", 12) == "Memorandum…"
    assert cut("Short", 12) == "Short"
    assert column_width(["1950-01-19", "1949-01-03/1949-12-30"]) == 21
    assert column_width(["1950"]) == 10


def test_search_lines_up_its_columns_with_date_ranges(archive: Archive) -> None:
    out = run("search", "Editorial", "--db", archive_at(archive.db))
    hits = [line for line in out.splitlines() if re.match(r"\s*\d+\. ", line)]
    assert len(hits) >= 3
    starts = {line.index(re.search(r"[0-9a-f]{16}", line).group()) for line in hits}
    assert len(starts) == 1, hits  # every id in the same column


def test_documents_that_share_a_title_get_their_opening_words(
    client: TestClient, archive: Archive
) -> None:
    store = open_archive(archive.db, readonly=True)
    notes = [
        dict(r)
        for r in store.conn.execute(
            "SELECT id, title, date FROM documents WHERE title = 'Editorial Note' ORDER BY id"
        )
    ]
    other = dict(store.conn.execute("SELECT id, title FROM documents LIMIT 1").fetchone())
    assert len(notes) >= 2
    listed = with_subtitles(store, [*notes, other])
    subtitles = [d.get("subtitle") for d in listed[:-1]]
    assert all(subtitles) and len(set(subtitles)) == len(notes)
    for d in listed[:-1]:
        text = " ".join(store.get_record(d["id"])["text"].split())
        assert text.startswith(d["subtitle"].rstrip("…"))
    assert "subtitle" not in listed[-1] or listed[-1]["title"] == "Editorial Note"
    page = client.get("/timeline", params={"from": "1949", "to": "1949"}).text
    assert page.count('class="subtitle"') >= len(notes)


def test_a_span_is_drawn_across_its_months_not_in_its_first(
    client: TestClient, archive: Archive
) -> None:
    store = open_archive(archive.db, readonly=True)
    line = timeline(store, "1949", "1949", None)
    assert line.granularity == "month"
    spanning = store.conn.execute(
        "SELECT count(*) FROM documents WHERE date_start LIKE '1949%' "
        "AND substr(date_end, 1, 7) > substr(date_start, 1, 7)"
    ).fetchone()[0]
    assert spanning >= 3 and line.spanning == spanning
    assert sum(n for _, n in line.buckets) + line.spanning == line.total
    assert ("1949-01", "1949-12", 3) in line.spans  # the three editorial notes
    january = store.conn.execute(
        "SELECT count(*) FROM documents WHERE date_start LIKE '1949-01%' "
        "AND substr(date_end, 1, 7) = '1949-01'"
    ).fetchone()[0]
    assert dict(line.buckets)["1949-01"] == january
    api = client.get("/api/timeline", params={"from": "1949", "to": "1949"}).json()
    assert {"from": "1949-01", "to": "1949-12", "count": 3} in api["spans"]
    page = client.get("/timeline", params={"from": "1949", "to": "1949"}).text
    bands = [a for t, a in Markup(page).tags if t == "rect" and a.get("class") == "band"]
    january_bar = next(
        a for t, a in Markup(page).tags if t == "a" and a.get("data-key") == "1949-01"
    )
    assert bands and january_bar
    widest = max(float(b["width"]) for b in bands)
    assert widest > 900 * 11 / 12  # January to December of a 960-wide chart
    by_year = timeline(store, "1940", "1955", None)  # by year, a year's span is in its bar
    assert by_year.granularity == "year" and ("1949-01", "1949-12", 3) not in by_year.spans


def test_the_readers_colour_key_comes_before_the_text(client: TestClient, archive: Archive) -> None:
    store = open_archive(archive.db, readonly=True)
    longest = store.conn.execute(
        "SELECT id FROM documents WHERE source_format != 'plain' ORDER BY length(text) DESC"
    ).fetchone()[0]
    page = client.get(f"/documents/{longest}").text
    key = page.index('class="legend')
    text = min(i for i in (page.find('class="narration"'), page.find('class="turn"')) if i > 0)
    assert key < text
    assert page.count('class="legend') == 1


def test_map_labels_never_overlap_at_any_zoom() -> None:
    import random

    from fonds.web.map_labels import label_box, marker_box, place_labels

    rng = random.Random(7)
    size = 12.5
    places = [
        (rng.uniform(0, 1000), rng.uniform(0, 500), rng.uniform(2, 9), "X" * rng.randint(3, 14))
        for _ in range(300)
    ]
    places += [(500.0, 250.0, 4.0, "Same spot"), (500.0, 250.0, 3.0, "Same spot too")]
    spots = place_labels(places, size, least_zoom=0.3)  # the map may zoom out to 0.3
    zooms = [s.zoom for s in spots]
    # two places at one spot: labels on two sides, or one only
    assert spots[-1].side != spots[-2].side or zooms[-1] == float("inf")
    labels = [label_box(n, r, size, s.side) for (_, _, r, n), s in zip(places, spots, strict=True)]
    assert len({s.side for s in spots}) > 1  # labels go where there is room
    markers = [marker_box(r) for _, _, r, _ in places]

    def screen(box, x, y, z):  # type: ignore[no-untyped-def]
        return (x * z + box.left, x * z + box.right, y * z + box.top, y * z + box.bottom)

    def overlap(a, b) -> bool:  # type: ignore[no-untyped-def]
        return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]

    for z in (0.3, 0.45, 1.0, 1.3, 2.0, 3.7, 8.0, 20.0, 100.0):
        shown = [i for i, at in enumerate(zooms) if at <= z]
        boxes = {i: screen(labels[i], places[i][0], places[i][1], z) for i in shown}
        for i in shown:
            for j in shown:
                assert i == j or not overlap(boxes[i], boxes[j]), (z, i, j)
            for j, (x, y, _, _) in enumerate(places):
                if j != i:
                    assert not overlap(boxes[i], screen(markers[j], x, y, z)), (z, i, j)
    shown_at = [sum(at <= z for at in zooms) for z in (0.3, 4.0, 100.0)]
    assert 0 < shown_at[0] < shown_at[1] <= shown_at[2] >= len(places) - 1, shown_at


def test_the_map_opens_on_where_the_documents_are() -> None:
    from fonds.web.layout import map_view, project

    korea = [project(126.9 + i / 10, 37.5 - i / 10) for i in range(10)]
    hawaii = project(-157.8, 21.3)
    x, y, w, h = map_view([*korea, hawaii], world=False, weights=[30] * 10 + [1])
    assert all(x <= px <= x + w and y <= py <= y + h for px, py in korea)
    assert not x <= hawaii[0] <= x + w  # one lightly documented place far away waits
    assert w < 500  # not the whole world (1000 wide)
    x, y, w, h = map_view([*korea, hawaii], world=False, weights=[1] * 10 + [30])
    assert x <= hawaii[0] <= x + w  # unless it is where the documents are
    assert map_view([*korea, hawaii], world=True)[2] == 1000
