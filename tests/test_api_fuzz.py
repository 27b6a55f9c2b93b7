"""Schemathesis over every operation of /openapi.json, the write routes included (with
the token): whatever it sends, the server answers with no 5xx. The same check the
real-client script runs over GET only, here on a copy of the archive that writes may
change."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import (
    HealthCheck,
    given,
    settings,
    strategies,
)
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from fonds.web.app import create_app
from fonds.web.state import WebLimits
from tests.conftest import archive_at
from tests.test_web_support import copy_archive, shared_archive

pytestmark = pytest.mark.slow
TOKEN = "a token for the fuzzer, long enough"
EXAMPLES = int(os.environ.get("FONDS_FUZZ_EXAMPLES", "25"))


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    archive = shared_archive(tmp_path_factory)
    folder = tmp_path_factory.mktemp("fuzz")
    db = copy_archive(archive, folder / "fuzz.db")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FONDS_NER_MODEL", "none")  # uploads: the reader and resolver, faster
        app = create_app(
            archive_at(db), write_token=TOKEN, limits=WebLimits(max_upload_bytes=50_000)
        )
        yield app
        app.state.fonds.close()


def _operations(app: FastAPI) -> dict[str, object]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    found = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        found[f"{operation.method.upper()} {operation.path}"] = operation
    return found


# The schema does not depend on the archive: the operations are listed at collection.
OPERATIONS = sorted(_operations(create_app("unused.db")))


@pytest.mark.parametrize("label", OPERATIONS)
def test_no_request_is_a_server_error(fuzz_app: FastAPI, label: str) -> None:
    """Valid and invalid requests (Schemathesis' positive and negative generation)."""
    operation = _operations(fuzz_app)[label]
    cases = strategies.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),  # type: ignore[attr-defined]
        operation.as_strategy(GenerationMode.NEGATIVE),  # type: ignore[attr-defined]
    )
    statuses: list[int] = []

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: object) -> None:
        response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})  # type: ignore[attr-defined]
        statuses.append(response.status_code)
        case.validate_response(response, checks=[not_a_server_error])  # type: ignore[attr-defined]

    run()
    assert statuses and all(s < 500 for s in statuses), statuses
