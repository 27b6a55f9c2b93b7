"""Archival references in citations and source notes, and certain OCR repairs."""

from __future__ import annotations

import pytest

from fonds.extract.citations import parse_archival_refs, repair_citation_ocr
from fonds.model import ArchivalRef, Repair


def refs(text: str) -> list[ArchivalRef]:
    return [ref for ref, _ in parse_archival_refs(text)]


def fields(ref: ArchivalRef) -> tuple[str | None, ...]:
    return (ref.archive, ref.fond, ref.opis, ref.delo, ref.pages)


# --- Russian fond/opis/delo references -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("APRF, f. 45, o. 1, d. 348, ll. 71-82", ("APRF", "45", "1", "348", "71-82")),
        ("AP RF. F. 4. Op. 1. D. 331. pp. 59-61", ("APRF", "4", "1", "331", "59-61")),
        ("AP RF, F. 3, Op. 65, D. 826, Ll. 40-43", ("APRF", "3", "65", "826", "40-43")),
        ("APRF, fond 3, opis 65, delo 9, list 51", ("APRF", "3", "65", "9", "51")),
        ("APRF, Fond 3, Opis 65, Delo 776, Listy 1-6", ("APRF", "3", "65", "776", "1-6")),
        ("TsAMO RF, f. 5, op. 918795, d. 125, II. 89-91", ("TsAMO", "5", "918795", "125", "89-91")),
        ("TsAMO RF F. 5. Op. 918795. D. 125, pp. 89-91", ("TsAMO", "5", "918795", "125", "89-91")),
        ("TsAMO, f. 16, op. 3139, d. 16, l. 5", ("TsAMO", "16", "3139", "16", "5")),
        ("TsAMO, f. 5, op. 918795, d. 122, ll. 27-28", ("TsAMO", "5", "918795", "122", "27-28")),
        (
            "RGASPI, f. 558, op. 11, d. 348, ll. 0071-0082",
            ("RGASPI", "558", "11", "348", "0071-0082"),
        ),
        ("RGASPI, f. 17, op. 162, d. 44, l. 61", ("RGASPI", "17", "162", "44", "61")),
        ("RGASPI f.558 op.11 d.329 l.14", ("RGASPI", "558", "11", "329", "14")),
        ("GARF, f. R-5446, op. 1, d. 12, ll. 3-4ob", ("GARF", "R-5446", "1", "12", "3-4ob")),
        ("GARF, f. 9401, op. 2, d. 199, ll. 10-12", ("GARF", "9401", "2", "199", "10-12")),
        ("RGANI, f. 5, op. 28, d. 410, ll. 190-197", ("RGANI", "5", "28", "410", "190-197")),
        ("TsKhSD, f. 5, op. 28, d. 4, ll. 1-10", ("TsKhSD", "5", "28", "4", "1-10")),
        ("SCCD, f. 5, op. 28, d. 314", ("SCCD", "5", "28", "314", None)),
        ("RGAE, f. 4372, op. 11, d. 320", ("RGAE", "4372", "11", "320", None)),
        ("RGVA, f. 33987, op. 3, d. 1078, l. 1", ("RGVA", "33987", "3", "1078", "1")),
        ("RTsKhIDNI, f. 17, op. 128, d. 1119, ll. 1-4", ("RTsKhIDNI", "17", "128", "1119", "1-4")),
        ("AVP RF, f. 07, op. 23a, d. 18, l. 5", ("AVPRF", "07", "23a", "18", "5")),
        ("AVPRF, f. 0102, op. 6, d. 4, ll. 12-14", ("AVPRF", "0102", "6", "4", "12-14")),
        (
            "Archive of the President of the Russian Federation (APRF), fond 3, opis 65, "
            "delo 9, list 51",
            ("APRF", "3", "65", "9", "51"),
        ),
        (
            "Archive of Foreign Policy, Russian Federation (AVPRF), f. 059a, op. 5a, d. 4, l. 1",
            ("AVPRF", "059a", "5a", "4", "1"),
        ),
        (
            "Russian State Archive of Socio-Political History (RGASPI), f. 558, op. 11, d. 334",
            ("RGASPI", "558", "11", "334", None),
        ),
        (
            "Central Archive of the Ministry of Defense of the Russian Federation, f. 5, "
            "op. 918795, d. 125",
            ("TsAMO", "5", "918795", "125", None),
        ),
        ("АП РФ. Ф. 45. Оп. 1. Д. 348. Л. 71-82", ("APRF", "45", "1", "348", "71-82")),
        (
            "RGASPI, f. 558, op. 11, d. 342, ll. 71-82, 85",
            ("RGASPI", "558", "11", "342", "71-82, 85"),
        ),
        ("APRF, f. 45, op. 1, d. 331, ll. 65–67", ("APRF", "45", "1", "331", "65–67")),
        ("APRF, f. 45, op. 1, d. 331, l. 5 ob", ("APRF", "45", "1", "331", "5 ob")),
        ("APRF, f. 3, op. 65, d. 5, t. 2, ll. 1-3", ("APRF", "3", "65", "5", "1-3")),
    ],
)
def test_russian_references(text: str, expected: tuple[str | None, ...]) -> None:
    ((ref, span),) = parse_archival_refs(text)
    assert fields(ref) == expected
    assert ref.kind == "russian"
    assert ref.raw == text[span[0] : span[1]]
    assert ref.file is None


def test_papka_and_listy_in_full_archive_name() -> None:
    text = (
        "Archive of the Foreign Policy of the Russian Federation, Fond 059a, Opis 5a, Delo 3, "
        "Papka 11, listy 10-20"
    )
    ((ref, span),) = parse_archival_refs(text)
    assert ref == ArchivalRef(
        archive="AVPRF",
        fond="059a",
        opis="5a",
        delo="3",
        pages="10-20",
        raw=text,
        kind="russian",
        papka="11",
    )
    assert span == (0, len(text))


def test_avprf_poryadok_and_papka() -> None:
    ((ref, _),) = parse_archival_refs("AVP RF, f. 0102, op. 6, por. 12, pap. 21, l. 5")
    assert (ref.archive, ref.fond, ref.opis, ref.delo, ref.papka, ref.pages) == (
        "AVPRF",
        "0102",
        "6",
        "12",
        "21",
        "5",
    )


def test_raw_and_span_inside_a_citation() -> None:
    text = (
        '"Information about the North Korean Workers Party Central Committee Meeting", '
        "September 22, 1950, Wilson Center Digital Archive, TsAMO RF, f. 5, op. 918795, "
        "d. 125, II. 89-91. Translated by Gary Goldberg. "
        "https://wilson-center-digital-archive.dvincitest.com/document/114918"
    )
    ((ref, (start, end)),) = parse_archival_refs(text)
    assert ref.raw == "TsAMO RF, f. 5, op. 918795, d. 125, II. 89-91"
    assert text[start:end] == ref.raw
    assert fields(ref) == ("TsAMO", "5", "918795", "125", "89-91")


def test_several_references_in_one_citation() -> None:
    text = (
        "APRF, f. 45, o. 1, d. 348, ll. 71-82. Also available in RGASPI, f. 558, op. 11, "
        "d. 348, ll. 0071-0082, as well as Library of Congress, Manuscript Division, "
        "Dmitriĭ Antonovich Volkogonov papers, 1887-1995, mm97083838. "
        "Translated by Gary Goldberg."
    )
    found = refs(text)
    assert [r.archive for r in found] == ["APRF", "RGASPI", "LOC"]
    assert fields(found[0]) == ("APRF", "45", "1", "348", "71-82")
    assert fields(found[1]) == ("RGASPI", "558", "11", "348", "0071-0082")
    assert found[2].kind == "other"
    assert found[2].file == "Dmitriĭ Antonovich Volkogonov papers, 1887-1995, mm97083838"
    assert found[2].raw.startswith("Library of Congress, Manuscript Division")


def test_printed_from_line() -> None:
    text = "Printed from: TsAMO RF F. 5. Op. 918795. D. 125, pp. 89-91. Copy."
    ((ref, span),) = parse_archival_refs(text)
    assert ref.raw == "TsAMO RF F. 5. Op. 918795. D. 125, pp. 89-91"
    assert span == (14, 14 + len(ref.raw))


def test_continuation_shares_archive_fond_and_opis() -> None:
    text = "APRF, f. 3, op. 65, d. 9, ll. 51-55; d. 10, l. 3; op. 66, d. 1, l. 7"
    found = refs(text)
    assert [fields(r) for r in found] == [
        ("APRF", "3", "65", "9", "51-55"),
        ("APRF", "3", "65", "10", "3"),
        ("APRF", "3", "66", "1", "7"),
    ]
    assert found[1].raw == "d. 10, l. 3"


def test_chain_without_an_archive_name() -> None:
    ((ref, _),) = parse_archival_refs("Ibid., f. 5, op. 918795, d. 125, l. 12.")
    assert fields(ref) == (None, "5", "918795", "125", "12")
    assert ref.kind == "russian"


# --- archives named without a fond -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "archive", "raw"),
    [
        (
            "Prepared by the International Department of the Central Committee of the All-Union "
            "Communist Party (Bolshevik), APRF. Cited in Bajanov and Bajanova, pp. 40-42.",
            "APRF",
            "APRF",
        ),
        ("Source: AP RF. Cited in Torkunov, p. 58.", "APRF", "AP RF"),
        (
            "Russian Presidential Archive, cited in Volkogonov.",
            "APRF",
            "Russian Presidential Archive",
        ),
        ("Source: TsAMO; translated by the editors.", "TsAMO", "TsAMO"),
        ("held in GARF.", "GARF", "GARF"),
        ("RGANI, Moscow.", "RGANI", "RGANI"),
        ("Copy in the Russian State Military Archive.", "RGVA", "Russian State Military Archive"),
    ],
)
def test_archive_without_fond(text: str, archive: str, raw: str) -> None:
    ((ref, span),) = parse_archival_refs(text)
    assert ref == ArchivalRef(archive=archive, raw=raw)
    assert text[span[0] : span[1]] == raw


# --- State Department files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "file"),
    [
        ("795.00/6–2550: Telegram", "795.00/6–2550"),
        ("795.00/6-2550: Telegram", "795.00/6-2550"),
        ("501.BB Korea/1–549", "501.BB Korea/1–549"),
        ("501.BB Korea/12–2248", "501.BB Korea/12–2248"),
        ("895.00/1–1049", "895.00/1–1049"),
        ("740.00119 Control (Korea)/2–449", "740.00119 Control (Korea)/2–449"),
        ("740.00119 Control (Korea)/1–2749: Telegram", "740.00119 Control (Korea)/1–2749"),
        ("895.20 Mission/4–549: Telegram", "895.20 Mission/4–549"),
        ("501.BB Korea/3–1849: Circular airgram", "501.BB Korea/3–1849"),
        ("711.952/4–1549: Telegram", "711.952/4–1549"),
        ("840.00 Recovery/6–2948", "840.00 Recovery/6–2948"),
        ("FW 841.51/7–2547", "841.51/7–2547"),
        ("750G.00/9–853", "750G.00/9–853"),
        ("320/7–2650: Telegram", "320/7–2650"),
        ("501.BB Korea: Telegram", "501.BB Korea"),
        ("501.BB Korea", "501.BB Korea"),
    ],
)
def test_decimal_files(text: str, file: str) -> None:
    ((ref, span),) = parse_archival_refs(text)
    assert ref == ArchivalRef(archive="NARA", kind="decimal-file", file=file, raw=file)
    assert text[span[0] : span[1]] == file


def test_decimal_files_in_footnote_prose() -> None:
    text = (
        "Mr. Muccio had informed the Department in telegram 403, from Seoul, April 16, not "
        "printed (711.952/4–1649); see also 895.00/4–1349."
    )
    assert [r.file for r in refs(text)] == ["711.952/4–1649", "895.00/4–1349"]


def test_nara_record_group_folds_into_the_decimal_file() -> None:
    text = "National Archives, RG 59, Central Decimal File, 795.00/6-2550. Next sentence."
    ((ref, _),) = parse_archival_refs(text)
    assert (ref.kind, ref.archive, ref.file) == ("decimal-file", "NARA", "795.00/6-2550")


def test_nara_alone() -> None:
    ((ref, _),) = parse_archival_refs("National Archives, RG 59, Records of the Department.")
    assert (ref.archive, ref.kind, ref.file) == ("NARA", "other", "RG 59")


# --- lot files and collections -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "archive", "file"),
    [
        ("Lot 55D128", "NARA", "Lot 55D128"),
        ("Lot 60 D 137, Box 1", "NARA", "Lot 60 D 137, Box 1"),
        ("Lot 57–D271", "NARA", "Lot 57–D271"),
        ("Lot M–88, Box 111", "NARA", "Lot M–88, Box 111"),
        ("lot 63 D 351, NSC 143 Series", "NARA", "lot 63 D 351, NSC 143 Series"),
        (
            "S/S–NSC Files, Lot 63D351, NSC 9 Series",
            "NARA",
            "S/S–NSC Files, Lot 63D351, NSC 9 Series",
        ),
        ("PPS Files, Lot 64 D 563", "NARA", "PPS Files, Lot 64 D 563"),
        (
            "London Embassy Files: Lot 59 F59: File 850",
            "NARA",
            "London Embassy Files: Lot 59 F59: File 850",
        ),
        ("Executive Secretariat Files: NSC 8/2", None, "Executive Secretariat Files: NSC 8/2"),
        ("Policy Planning Staff Files", None, "Policy Planning Staff Files"),
        ("Department of Defense Files", None, "Department of Defense Files"),
        ("Central Files", "NARA", "Central Files"),
        ("Truman Papers", "HSTL", "Truman Papers"),
        ("Truman Papers, PSF: Subject File", "HSTL", "Truman Papers, PSF: Subject File"),
        ("PSF", "HSTL", "PSF"),
        (
            "Truman Library, Truman papers, PSF–Subject file",
            "HSTL",
            "Truman Library, Truman papers, PSF–Subject file",
        ),
        ("Eisenhower Library, Dulles papers", "DDEL", "Eisenhower Library, Dulles papers"),
        ("Acheson Papers", None, "Acheson Papers"),
    ],
)
def test_lot_files_and_collections(text: str, archive: str | None, file: str) -> None:
    ((ref, span),) = parse_archival_refs(text)
    assert ref == ArchivalRef(archive=archive, kind="other", file=file, raw=file)
    assert text[span[0] : span[1]] == file


def test_signature_glued_before_a_collection_is_not_part_of_it() -> None:
    text = "[Here follows discussion.] Caffery London Embassy Files: Lot 59 F59: File 850 Marshall"
    ((ref, _),) = parse_archival_refs(text)
    assert ref.file == "London Embassy Files: Lot 59 F59: File 850"


def test_library_of_congress() -> None:
    text = (
        "Library of Congress, Manuscript Division, Dmitriĭ Antonovich Volkogonov papers, "
        "1887-1995, mm97083838."
    )
    ((ref, _),) = parse_archival_refs(text)
    assert ref.archive == "LOC"
    assert ref.kind == "other"
    assert ref.file == "Dmitriĭ Antonovich Volkogonov papers, 1887-1995, mm97083838"
    assert ref.fond is None and ref.pages is None


def test_library_of_congress_without_control_number() -> None:
    text = (
        "Library of Congress, Manuscript Division, Dmitrii A. Volkogonov papers, 1887-1995. Next."
    )
    ((ref, _),) = parse_archival_refs(text)
    assert ref.file == "Dmitrii A. Volkogonov papers, 1887-1995"


def test_other_archives_with_file_numbers() -> None:
    ((fma, _),) = parse_archival_refs("PRC FMA 106-00025-01. Translated by Chen Jian.")
    assert (fma.archive, fma.kind, fma.file) == ("PRC FMA", "other", "106-00025-01")
    ((sapmo, _),) = parse_archival_refs("SAPMO-BArch, DY 30/3386. Translated by Bernd Schaefer.")
    assert (sapmo.archive, sapmo.file) == ("SAPMO-BArch", "DY 30/3386")


# --- what is not a reference -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Cited in Bajanov and Bajanova, pp. 40-42.",
        "Kathryn Weathersby Working Paper No. 39 pp.9-11",
        "No. 39 pp.9-11",
        "See page 12.",
        "pp. 59-61",
        "ll. 71-82",
        "d. 125, ll. 89-91",
        "op. 1, d. 331",
        "In 1950 the army had 4,300,000 men.",
        "1950",
        "Translated by Gary Goldberg.",
        "Memorandum for the Files",
        "[File copy not signed]",
        "The File was closed.",
        "Public Papers of the Presidents of the United States: Harry S. Truman, 1950",
        "British and Foreign State Papers, vol. 147",
        "The AP reported from Seoul.",
        "It cost $795.00/month.",
        "Telegram 403, from Seoul, April 16, not printed.",
        "the Garfield letters",
    ],
)
def test_not_references(text: str) -> None:
    assert parse_archival_refs(text) == []


def test_archive_without_chain_keeps_following_pages_out() -> None:
    ((ref, _),) = parse_archival_refs("APRF, pp. 40-42")
    assert ref == ArchivalRef(archive="APRF", raw="APRF")


# --- OCR repair --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "repaired", "original"),
    [
        ("d. 125, II. 89-91", "d. 125, ll. 89-91", "II."),
        ("d. 125, Il. 89-91", "d. 125, ll. 89-91", "Il."),
        ("d. 125, 1l. 89-91", "d. 125, ll. 89-91", "1l."),
        ("d. 125, lI. 89-91", "d. 125, ll. 89-91", "lI."),
        ("D. 125. II. 89-91", "D. 125. ll. 89-91", "II."),
        ("delo 9, II. 51-55", "delo 9, ll. 51-55", "II."),
        ("d. 3a, II. 5", "d. 3a, ll. 5", "II."),
    ],
)
def test_repair_ll(text: str, repaired: str, original: str) -> None:
    fixed, repairs = repair_citation_ocr(text)
    assert fixed == repaired
    start = text.index(original)
    assert repairs == [
        Repair(
            field="citation",
            start=start,
            end=start + 3,
            original=original,
            replacement="ll.",
            rule="ocr-ll",
        )
    ]


def test_repair_single_l() -> None:
    fixed, repairs = repair_citation_ocr("d. 9, I. 51")
    assert fixed == "d. 9, l. 51"
    assert repairs == [Repair("citation", 6, 8, "I.", "l.", "ocr-l")]


def test_repair_keeps_length_and_offsets_in_a_full_citation() -> None:
    text = (
        "Wilson Center Digital Archive, TsAMO RF, f. 5, op. 918795, d. 125, II. 89-91. "
        "Also TsAMO, f. 5, op. 918795, d. 126, Il. 3-4."
    )
    fixed, repairs = repair_citation_ocr(text)
    assert len(fixed) == len(text)
    assert [r.original for r in repairs] == ["II.", "Il."]
    for repair in repairs:
        assert text[repair.start : repair.end] == repair.original
        assert fixed[repair.start : repair.end] == repair.replacement
    assert [r.pages for r in refs(fixed)] == ["89-91", "3-4"]


@pytest.mark.parametrize(
    "text",
    [
        "d. 125, ll. 89-91",
        "World War II. 1945 saw the end",
        "Chapter II. 89 pages",
        "Volume II. 12-14",
        "d. 125, II. The next part",
        "Kim II Sung said",
        "Pak II-u spoke",
        "op. 11, II. 5",
        "d. 125, 11. 89-91",
        "",
    ],
)
def test_no_repair_where_uncertain(text: str) -> None:
    assert repair_citation_ocr(text) == (text, [])
