"""Pages in the forms users save them, read by their structure (made-up texts in the
shapes of real captures: nothing here is copied from the development set).

FRUS documents copied from the Office of the Historian's site or the printed volume, and
Digital Archive pages kept only in part: the title, date, source note and body must come
out right whatever furniture survived.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fonds.extract.record import build_record
from fonds.readers import choose_reader, load_source


def read(tmp_path: Path, text: str, name: str = "page.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    source = load_source(path)
    reader = choose_reader(source)
    records = [build_record(source, draft, str(path)) for draft in reader.read(source)]
    return reader.name, records


FRUS_COPY = """611.61/3–1248: Telegram
The Ambassador in the Soviet Union (Pemberton) to the Secretary of State
secret
Moscow, March 12, 1948—6 p. m.
[Received March 12—2:10 p. m.]
412. Foreign Minister Ostrovsky told me today that the Kalinin Commission would meet.1
Pemberton
1 Not printed.
"""

FRUS_PAGE = """Office of the Historian
Search
Historical Documents
Department History
Home › Historical Documents › Foreign Relations of the United States, 1948, Volume IV › Document 88
Foreign Relations of the United States, 1948, Eastern Europe, Volume IV
Document 88
« Previous
Next »
88. The Minister in Rumania (Hallworth) to the Secretary of State1
Bucharest, April 2, 1948—noon.
For Tolland from Hallworth. The Allied Control Commission met in Constanta.
Hallworth
1 Source: 871.00/4–248: Telegram.
Office of the Historian, Foreign Service Institute
United States Department of State
history@state.gov
Back to top
"""

FRUS_READER = """history.state.gov
88. The Minister in Rumania (Hallworth) to the Secretary of State
2–3 minutes
Bucharest, April 2, 1948—noon.
For Tolland from Hallworth. The Allied Control Commission met in Constanta.
Hallworth
"""

FRUS_PRINT = """512                 FOREIGN RELATIONS, 1948, VOLUME IV

the end of the previous document, which the page also holds.
                                                         LOVETT
871.00/4–548
The Ambassador of Rumania (Dragomirescu) to the
Secretary of State
CONFIDENTIAL                           [WASHINGTON,] April 5, 1948.
Sir: In connection with the note of the Government of the United States of
March 3, I have the honor to inform you that the Government of Rumania has con-
sidered the questions raised in it with the greatest attention and has in-
structed me to convey the following reply, which I set out below in full.
                                                     N. DRAGOMIRESCU
                                  RUMANIA                                  513
"""


def test_a_frus_copy_starts_with_its_source_note(tmp_path: Path) -> None:
    reader, (rec,) = read(tmp_path, FRUS_COPY)
    assert reader == "frus-text"
    assert rec.title == "The Ambassador in the Soviet Union (Pemberton) to the Secretary of State"
    assert rec.date == "1948-03-12"
    assert rec.classification == "Secret"
    assert rec.doc_type == "telegram"
    assert [r.file for r in rec.archival_refs] == ["611.61/3–1248"]
    assert rec.text.startswith("secret\n\nMoscow, March 12, 1948")  # the dateline stays
    assert rec.place == "Moscow"
    assert rec.notes == "1 Not printed."


@pytest.mark.parametrize("page", [FRUS_PAGE, FRUS_READER])
def test_a_frus_page_with_or_without_the_site_around_it(tmp_path: Path, page: str) -> None:
    reader, (rec,) = read(tmp_path, page)
    assert reader == "frus-text"
    assert rec.title == "The Minister in Rumania (Hallworth) to the Secretary of State"
    assert rec.date == "1948-04-02"
    for furniture in ("Office of the Historian", "Back to top", "history.state.gov", "minutes"):
        assert furniture not in rec.text
    assert "The Allied Control Commission met in Constanta." in rec.text


def test_the_pages_footer_is_neither_text_nor_note(tmp_path: Path) -> None:
    """The links to the documents before and after, and the site's footer links, end the
    page below the footnotes: none of it is a note of the document."""
    footer = (
        "‹ Previous: 87. The Secretary of State to the Legation in Rumania | "
        "Next: 89. Editorial Note ›\n"
        "Accessibility Statement  |  Privacy Policy  |  FOIA\n"
        "Skip to main content\n"
    )
    page = FRUS_PAGE.replace("history@state.gov\n", "history@state.gov\n" + footer)
    _, (rec,) = read(tmp_path, page)
    for furniture in ("Previous", "Editorial Note", "Privacy Policy", "FOIA", "Skip to"):
        assert furniture not in (rec.notes or "") and furniture not in rec.text
    assert "Source: 871.00/4–248" in (rec.notes or "")


def test_a_printed_note_dated_at_its_end_has_that_date(tmp_path: Path) -> None:
    """A foreign government's note as the printed volume sets it: no dateline under the
    heading, the place and date as its last line, after many wrapped lines; its date is
    that line's, not the first date the text mentions."""
    wrapped = " ".join(
        f"The Legation has the honor to refer to the conversation of March {n}, 1948 on"
        " the matter of the frontier commission and its meetings at the capital."
        for n in range(1, 9)
    )
    lines = [wrapped[i : i + 68] for i in range(0, len(wrapped), 68)]
    page = "\n".join(
        ["360                 FOREIGN RELATIONS, 1948, VOLUME IV", "", "760C.61/4–1248",
         "The Polish Legation to the Department of State", "[Translation]",
         *lines, "Washington , April 12, 1948."]
    )  # fmt: skip
    reader, (rec,) = read(tmp_path, page)
    assert reader == "frus-text" and len(lines) > 12
    assert rec.date == "1948-04-12"


def test_the_source_note_as_first_footnote_is_the_archival_reference(tmp_path: Path) -> None:
    _, (rec,) = read(tmp_path, FRUS_PAGE)
    assert [r.file for r in rec.archival_refs] == ["871.00/4–248"]
    assert "Source: 871.00/4–248" in (rec.notes or "")


def test_printed_text_heading_over_two_lines_and_the_fullest_document(tmp_path: Path) -> None:
    reader, (rec,) = read(tmp_path, FRUS_PRINT)
    assert reader == "frus-text"
    assert rec.title == "The Ambassador of Rumania (Dragomirescu) to the Secretary of State"
    assert rec.date == "1948-04-05"
    assert rec.classification == "Confidential"
    assert rec.doc_type == "letter"  # "Sir: ..."
    assert "considered the questions" in rec.text  # the hyphenated word is whole again
    assert "FOREIGN RELATIONS" not in rec.text and "previous document" not in rec.text


DA_CLIPPED = """Skip to content

March 9, 1951

Ciphered Telegram from Gorelov to Filippov [Stalin]

Gorelov reports on the talks with the Chinese command about the spring offensive.

Yesterday I met with the commander of the volunteers. He said the offensive would begin.

Gorelov
"""

DA_TEASER = """February 2, 1951
Ciphered Telegram, Filippov [Stalin] to Razuvaev
Stalin asks Razuvaev about aircraft.
March 9, 1951
Ciphered Telegram from Gorelov to Filippov [Stalin]
Gorelov reports on the talks with the Chinese command about the spring offensive, which the Chinese and Korean commanders discussed over two days at the front headquarters with the Soviet advisers present, and on the supplies the offensive will need.
Yesterday I met with the commander of the volunteers. He said the offensive would begin.
Gorelov
"""

DA_CITATION_ONLY = """Ciphered Telegram from Gorelov to Filippov [Stalin]
Gorelov reports on the talks with the Chinese command about the spring offensive.
Yesterday I met with the commander of the volunteers. He said the offensive would begin.
Gorelov
"Ciphered Telegram from Gorelov to Filippov [Stalin]," March 09, 1951, Wilson Center Digital Archive, APRF, f. 45, o. 1, d. 337, ll. 12-14. Translated by Gary Goldberg.
"""

DA_READER = """digitalarchive.wilsoncenter.org
Ciphered Telegram from Gorelov to Filippov [Stalin]
4 minutes
March 9, 1951
Gorelov reports on the talks with the Chinese command about the spring offensive.
Yesterday I met with the commander of the volunteers. He said the offensive would begin.
Gorelov
"""


DA_CLIPPER = """Clipped from digitalarchive.wilsoncenter.org
Ciphered Telegram from Gorelov to Filippov [Stalin]
March 9, 1951
Moscow, March 9, 1951—7 p.m.
2264.
Gorelov reports on the talks with the Chinese command about the spring offensive.
Yesterday I met with the commander of the volunteers. He said the offensive would begin.
"""


@pytest.mark.parametrize("page", [DA_CLIPPED, DA_TEASER, DA_CITATION_ONLY, DA_READER])
def test_a_digital_archive_page_kept_in_part(tmp_path: Path, page: str) -> None:
    reader, (rec,) = read(tmp_path, page)
    assert reader == "wilson-web"
    assert rec.title == "Ciphered Telegram from Gorelov to Filippov [Stalin]"
    assert rec.date in ("1951-03-09",)
    assert rec.summary and rec.summary.startswith("Gorelov reports on the talks")
    assert rec.text.startswith("Yesterday I met with the commander")
    assert "Razuvaev" not in rec.text  # the related record's teaser is no part of it


def test_the_citation_line_gives_the_archival_reference_wherever_it_stands(tmp_path: Path) -> None:
    _, (rec,) = read(tmp_path, DA_CITATION_ONLY)
    assert rec.translator == "Gary Goldberg"
    assert [(r.archive, r.fond, r.delo) for r in rec.archival_refs] == [("APRF", "45", "337")]
    assert "Wilson Center" not in rec.text


def test_a_clipping_whose_body_opens_with_a_dateline_and_a_number(tmp_path: Path) -> None:
    """The dateline is no title and the telegram's number no date."""
    reader, (rec,) = read(tmp_path, DA_CLIPPER)
    assert reader == "wilson-web"
    assert rec.title == "Ciphered Telegram from Gorelov to Filippov [Stalin]"
    assert rec.date == "1951-03-09"


def test_numbered_paragraphs_are_no_footnotes(tmp_path: Path) -> None:
    """A telegram's paragraphs numbered from 1 under its dateline stay in the text; its
    footnotes, marked in the text, go to the notes."""
    page = (
        "740.00119 EW/6–2446: Telegram\n"
        "The Ambassador in Czechoslovakia (Halloran) to the Secretary of State\n"
        "Prague, June 24, 1946—5 p.m.\n"
        "1. The Government will reply on the barges tomorrow.\n"
        "2. The Minister agreed.1\n"
        "Halloran\n"
        "1 Not printed.\n"
    )
    _, (rec,) = read(tmp_path, page)
    assert "1. The Government will reply" in rec.text
    assert "2. The Minister agreed." in rec.text
    assert rec.notes == "1 Not printed."


def test_numbered_paragraphs_after_a_colon_are_no_footnotes(tmp_path: Path) -> None:
    """Paragraphs numbered from 1 under a line that ends in a colon are a list of the
    text, though a mark of note 1 stands above them: the body keeps them."""
    page = (
        "740.00119 EW/6–2446: Telegram\n"
        "The Ambassador in Czechoslovakia (Halloran) to the Secretary of State1\n"
        "Prague, June 24, 1946—5 p.m.\n"
        "1122. ReDeptel 770, June 20. In my opinion:\n"
        "1. The Czechoslovak control of any barges would be purely nominal.\n"
        "2. The Soviets would use them as best served their purposes.\n"
    )
    _, (rec,) = read(tmp_path, page)
    assert rec.text.rstrip().endswith("as best served their purposes.")
    assert "1. The Czechoslovak control" in rec.text
    assert not rec.notes


@pytest.mark.parametrize(
    "site_lines",
    [
        "Wilson Center Digital Archive\n",
        "Home > Collections > Korean War, 1950-1953\n",
        "Share | Print | Download\n",
        "Wilson Center Digital Archive\nHome » Collections » Korean War\nShare | Print\n",
    ],
)
def test_a_digital_archive_page_with_the_sites_own_lines_above_its_header(
    tmp_path: Path, site_lines: str
) -> None:
    """A capture that kept the site's name, a breadcrumb or a button bar above the date
    line: the header is still the date and title, and the body is still the body."""
    seed = Path(__file__).parents[1] / "corpus" / "seeds" / "001_fb4c437bd42e66bf.txt"
    page = site_lines + seed.read_text(encoding="utf-8")
    reader, (rec,) = read(tmp_path, page)
    _, (plain,) = read(tmp_path, seed.read_text(encoding="utf-8"), name="plain.txt")
    assert reader == "wilson-web"
    assert (
        rec.title
        == plain.title
        == (
            "Telegram Shtykov to Vyshinsky on a Luncheon at the Ministry of Foreign Affairs of the DPRK"
        )
    )
    assert rec.date == "1950-01-19" and rec.text == plain.text and len(rec.text) > 5000
