"""Fixtures of the reliability tests: one twin shared by the tests of a process (the stand-in for a
shared AWS account; each test uses run ids and resources of its own) and the harness's Cognito
client for it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pool_views import cognito
from reliability_runs import Twin

from fixtures.local_twin import launched_twin


@pytest.fixture(scope="session")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    with launched_twin(tmp_path_factory.mktemp("shared-twin")) as started:
        yield started


@pytest.fixture(scope="session")
def idp(twin: Twin) -> Any:
    return cognito(twin.env_file)
