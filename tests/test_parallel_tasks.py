"""A worker's task on a group of files, run in this process: each file keeps its own
outcome, whatever happens to the others of its group."""

from __future__ import annotations

from pathlib import Path

import pytest

from fonds import parallel
from fonds.entities.stage import EntityStage
from fonds.model import Record
from tests.conftest import open_archive

SEEDS = sorted((Path(__file__).resolve().parents[1] / "corpus" / "seeds").glob("*"))


@pytest.fixture
def config(tmp_path: Path) -> parallel.WorkerConfig:
    db = tmp_path / "fonds.db"
    open_archive(db).close()
    return parallel.WorkerConfig(str(db), "none")


def _files(*paths: Path) -> list[tuple[str, str | None]]:
    return [(str(p), None) for p in paths]


def test_a_group_is_read_and_annotated_file_by_file_in_order(
    config: parallel.WorkerConfig, tmp_path: Path
) -> None:
    binary = tmp_path / "scan.bin"
    binary.write_bytes(b"\x00\x01\x02PK\x03\x04" * 50)
    done = parallel.read_task(config, _files(SEEDS[0], binary, SEEDS[1]))
    assert [r.path for r in done.files] == [str(SEEDS[0]), str(binary), str(SEEDS[1])]
    first, bad, second = done.files
    assert first.records and second.records and not bad.records
    assert bad.error and first.error is None and second.error is None
    assert all(r.entities for r in first.records + second.records)


def test_an_annotation_failure_keeps_nothing_of_its_own_file_only(
    config: parallel.WorkerConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = EntityStage.annotate

    def annotate(self: EntityStage, records: Record | list[Record]) -> None:
        batch = records if isinstance(records, list) else [records]
        if any(SEEDS[1].name in r.source.get("path", "") for r in batch):
            raise RuntimeError("the recognizer broke")
        real(self, records)

    monkeypatch.setattr(EntityStage, "annotate", annotate)
    done = parallel.read_task(config, _files(SEEDS[0], SEEDS[1], SEEDS[2]))
    first, broken, third = done.files
    assert broken.records == [] and "the recognizer broke" in (broken.error or "")
    assert first.records and third.records and first.error is None and third.error is None
    assert all(r.entities for r in first.records + third.records)
