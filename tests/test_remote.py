"""`fonds ingest s3://bucket/folder`: files in object storage, listed through fsspec and
read by whoever reads each one (the one process, local workers, a cluster's workers),
against a real S3 API: moto's server on this machine, spoken to by s3fs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CORPUS, archive_at, new_database

pytest.importorskip("s3fs")
pytest.importorskip("moto.server")

BUCKET = "archive"
FONDS = [sys.executable, "-m", "fonds.cli"]


@pytest.fixture(scope="module")
def s3() -> Iterator[dict[str, str]]:
    """A local S3 server holding the sample corpus under s3://archive/corpus/, a binary
    file and an empty one beside it; the environment that reaches it."""
    import s3fs
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "FSSPEC_S3_ENDPOINT_URL": f"http://{host}:{port}",  # fsspec's configuration
    }
    endpoint = env["FSSPEC_S3_ENDPOINT_URL"]
    fs = s3fs.S3FileSystem(endpoint_url=endpoint, key="testing", secret="testing")
    fs.mkdir(BUCKET)
    fs.put(str(CORPUS), f"{BUCKET}/corpus", recursive=True)
    fs.pipe(f"{BUCKET}/odd/picture.bin", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    fs.pipe(f"{BUCKET}/odd/empty.txt", b"")
    yield env
    server.stop()


def _fonds(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FONDS, *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=600
    )


def _export(db: str, env: dict[str, str]) -> str:
    done = _fonds("export", "--db", db, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_bucket_folder_is_ingested_as_the_same_folder_on_disk(
    s3: dict[str, str], tmp_path: Path
) -> None:
    """The same records as from the folder on disk, each naming its URL as its source; the
    folder's README skipped and said so; a second run finds every file unchanged."""
    url, local = f"s3://{BUCKET}/corpus", str(CORPUS)
    db, reference = archive_at(tmp_path / "s3.db"), archive_at(tmp_path / "disk.db")
    done = _fonds("ingest", url, "--db", db, "--jobs", "1", "-q", env=s3)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("6 files (6 added, 0 updated, 0 unchanged, 0 failed), 46 ")
    assert f"skipped: {url}/README.md" in done.stderr
    on_disk = _fonds("ingest", local, "--db", reference, "--jobs", "1", "-q", env=s3)
    assert on_disk.returncode == 0, on_disk.stderr
    exported = _export(db, s3)
    assert f'"{url}/seeds/001_fb4c437bd42e66bf.txt"' in exported
    assert exported.replace(url, local) == _export(reference, s3)
    again = _fonds("ingest", url, "--db", db, "--jobs", "1", "-q", env=s3)
    assert again.stdout.startswith("6 files (0 added, 0 updated, 6 unchanged, 0 failed)")


@pytest.mark.slow
def test_workers_read_a_bucket_as_the_one_process_does(s3: dict[str, str], tmp_path: Path) -> None:
    """Two local workers fetch the files themselves: the same archive as one process; a
    binary and an empty object fail with their URL named, the run goes on."""
    url = f"s3://{BUCKET}/corpus"
    one, two = archive_at(tmp_path / "one.db"), archive_at(tmp_path / "two.db")
    assert _fonds("ingest", url, "--db", one, "--jobs", "1", "-q", env=s3).returncode == 0
    done = _fonds("ingest", url, f"s3://{BUCKET}/odd", "--db", two, "--jobs", "2", "-q", env=s3)
    assert done.returncode == 1  # two files failed
    assert f"failed: s3://{BUCKET}/odd/picture.bin: a binary file" in done.stderr
    assert f"failed: s3://{BUCKET}/odd/empty.txt: the file is empty" in done.stderr
    assert "fonds-fetched" not in done.stderr  # never the temporary copy's name
    assert done.stdout.startswith("8 files (6 added, 0 updated, 0 unchanged, 2 failed), 46 ")
    assert _export(one, s3) == _export(two, s3)


@pytest.mark.slow
def test_a_clusters_workers_read_a_bucket(
    s3: dict[str, str], postgres_server: str, tmp_path: Path
) -> None:
    """`--cluster`: the workers of a Dask cluster (started with the bucket's settings, as
    a team's are) list nothing and fetch each file they are handed."""
    from distributed import LocalCluster

    url = f"s3://{BUCKET}/corpus"
    db = new_database(postgres_server)
    reference = archive_at(tmp_path / "one.db")
    assert _fonds("ingest", url, "--db", reference, "--jobs", "1", "-q", env=s3).returncode == 0
    env = {**s3, "FONDS_INDEX_DIR": str(tmp_path / "indexes")}
    saved = dict(os.environ)
    os.environ.update(env)  # what the nannies hand their workers
    try:
        with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster:
            address = cluster.scheduler_address
            done = _fonds("ingest", url, "--db", db, "--cluster", address, "-q", env=env)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert done.returncode == 0, done.stderr
    assert "46 documents" in done.stdout
    assert _export(db, env) == _export(reference, s3)
