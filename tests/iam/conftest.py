"""Fixtures of tests/iam: one enforcing twin and one full e2e run signed as the CI user, per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.local_twin import TwinStartError
from tests.iam.enforced import EnforcedTwin, SuiteRun, enforcing_twin, run_suite


@pytest.fixture(scope="session")
def iam_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("iam")


@pytest.fixture(scope="session")
def enforced_twin(iam_dir: Path) -> Iterator[EnforcedTwin]:
    """A twin started with `--enforce-iam` and the shipped env/ci-policy.json."""
    try:
        with enforcing_twin(iam_dir / "twin") as twin:
            yield twin
    except TwinStartError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def suite_run(enforced_twin: EnforcedTwin, iam_dir: Path) -> SuiteRun:
    """The whole e2e suite against the enforcing twin, every AWS call signed with the CI user's keys."""
    return run_suite(enforced_twin, iam_dir / "suite")
