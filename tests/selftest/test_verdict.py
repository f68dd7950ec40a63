"""The self-test's own judgement: verdict cells from a run's outcomes, and the outcomes plugin
recording areas and outcomes of a real pytest run (a child pytest on a small test file)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.selftest.e2e_runs import CheckOutcome, SuiteRun
from tests.selftest.twins import ROOT, child_env
from tests.selftest.verdict import ALSO, CAUGHT, MISSED, QUIET, UNEXPECTED, FaultResult

pytestmark = pytest.mark.selftest


def result(outcomes: list[tuple[str, str]], *, areas: tuple[str, ...] = ("cors",),
           collateral: tuple[str, ...] = (), problem: str | None = None) -> FaultResult:
    tests = tuple(CheckOutcome(f"t{i}", (area,), outcome, "") for i, (area, outcome) in enumerate(outcomes))
    return FaultResult("f", "story.", areas, collateral, SuiteRun(1, 1.0, tests), "lane1", 1.0, problem)


def test_caught_when_a_check_of_the_area_fails() -> None:
    r = result([("cors", "passed"), ("cors", "failed"), ("network", "passed")])
    assert r.cells()["cors"] == CAUGHT and r.cells()["network"] == QUIET
    assert r.detected


def test_an_error_counts_as_a_failing_check() -> None:
    assert result([("cors", "error")]).detected


def test_missed_when_no_check_of_the_area_fails() -> None:
    r = result([("cors", "passed"), ("cors", "skipped")])
    assert r.cells()["cors"] == MISSED and not r.detected
    assert "no e2e check failed in ['cors']" in r.explain()


def test_failure_outside_the_areas_is_unexpected_unless_collateral() -> None:
    outcomes = [("cors", "failed"), ("sqlserver", "failed")]
    assert result(outcomes).cells()["sqlserver"] == UNEXPECTED and not result(outcomes).detected
    declared = result(outcomes, collateral=("sqlserver",))
    assert declared.cells()["sqlserver"] == ALSO and declared.detected


def test_a_problem_is_never_detected() -> None:
    r = result([("cors", "failed")], problem="revert incomplete: x")
    assert not r.detected and "revert incomplete" in r.explain()


def test_outcomes_plugin_records_areas_outcomes_and_selection(tmp_path: Path) -> None:
    tests = tmp_path / "test_sample.py"
    tests.write_text(
        "import pytest\n"
        "@pytest.mark.cors\ndef test_ok(): pass\n"
        "@pytest.mark.cors\ndef test_bad(): assert 1 == 2\n"
        "@pytest.fixture\ndef broken(): raise RuntimeError('setup')\n"
        "@pytest.mark.network\ndef test_err(broken): pass\n"
        "@pytest.mark.sqlserver\ndef test_other(): pass\n"
    )
    out = tmp_path / "outcomes.json"
    cmd = [sys.executable, "-m", "pytest", str(tests), "-p", "tests.selftest.outcomes_plugin", "--outcomes-json",
           str(out), "--outcomes-areas", "cors", "--outcomes-keep", f"{tests.name}::test_err", "-p",
           "no:cacheprovider", "--rootdir", str(tmp_path), "-c", "/dev/null", "-p", "no:locust"]
    subprocess.run(cmd, cwd=tmp_path, capture_output=True, timeout=120, check=False,
                   env={**child_env(), "PYTHONPATH": str(ROOT)})
    data = json.loads(out.read_text())
    got = {t["nodeid"].split("::")[-1]: (t["areas"], t["outcome"]) for t in data["tests"]}
    assert got == {"test_ok": (["cors"], "passed"), "test_bad": (["cors"], "failed"),
                   "test_err": (["network"], "error")}
    assert data["exitstatus"] == 1
