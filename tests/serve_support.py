"""`fonds serve` as a real process on a free loopback port, for tests that need a real
server (a browser, requests in parallel, an upload running beside reads)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import archive_at

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(
    db: Path | str, args: tuple[str, ...] = (), env: dict[str, str] | None = None
) -> Iterator[str]:
    """The base URL of `fonds serve --db DB ARGS`, up until the block ends."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "fonds.cli", "serve", "--db", archive_at(db)]
    command += ["--host", "127.0.0.1", "--port", str(port), *args]
    if "--lazy-semantic" not in command:  # the model would load beside the test's timings
        command.append("--lazy-semantic")
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(base + "/api/status", timeout=2) as response:
                    # ready: its caches are warm, so timings measure requests, not start-up
                    if response.status == 200 and json.loads(response.read())["ready"]:
                        break
                time.sleep(0.1)
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    pytest.fail(f"fonds serve did not start:\n{out}")
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
