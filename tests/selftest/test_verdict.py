"""The self-test's own judgement: verdict cells from a run's outcomes, and the outcomes plugin
recording areas and outcomes of a real pytest run (a child pytest on a small test file)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.local_twin import child_env
from tests.selftest.e2e_runs import CheckOutcome, SuiteRun
from tests.selftest.matrix import as_json, table
from tests.selftest.verdict import ALSO, CAUGHT, CRASHED, MISSED, QUIET, UNEXPECTED, UNNAMED, FaultResult

pytestmark = pytest.mark.selftest


def result(
    outcomes: list[tuple[str, str]],
    *,
    areas: tuple[str, ...] = ("cors",),
    collateral: tuple[str, ...] = (),
    problem: str | None = None,
    messages: tuple[str, ...] = (),
    must_say: str | None = None,
) -> FaultResult:
    tests = tuple(
        CheckOutcome(f"t{i}", (area,), outcome, messages[i] if i < len(messages) else "")
        for i, (area, outcome) in enumerate(outcomes)
    )
    return FaultResult(
        "f", "story.", areas, collateral, SuiteRun(1, 1.0, tests), "lane1", 1.0, problem, must_say=must_say
    )


def test_caught_when_a_check_of_the_area_fails() -> None:
    r = result([("cors", "passed"), ("cors", "failed"), ("network", "passed")])
    assert r.cells()["cors"] == CAUGHT and r.cells()["network"] == QUIET
    assert r.detected


def test_an_error_of_the_expected_area_is_not_detection() -> None:
    r = result([("cors", "error"), ("cors", "passed")])
    assert r.cells()["cors"] == CRASHED and not r.detected
    assert "only crashed with a traceback (['t0'])" in r.explain()


def test_an_error_outside_the_areas_is_still_unexpected() -> None:
    r = result([("cors", "failed"), ("network", "error")])
    assert r.cells()["network"] == UNEXPECTED and not r.detected


def test_a_finding_must_say_what_the_fault_declares() -> None:
    outcomes = [("lambda_permissions", "failed"), ("lambda_permissions", "passed")]
    areas = ("lambda_permissions",)
    policy_only = result(
        outcomes,
        areas=areas,
        must_say="public function URL",
        messages=("function policies are wrong: statement X allows any principal ('*')",),
    )
    assert policy_only.cells()["lambda_permissions"] == UNNAMED and not policy_only.detected
    assert "no message says 'public function URL'" in policy_only.explain()
    url_check = result(
        outcomes,
        areas=areas,
        must_say="public function URL",
        messages=("functions have a Public Function URL (auth type NONE): delete it",),
    )
    assert url_check.cells()["lambda_permissions"] == CAUGHT and url_check.detected


def test_faults_declare_must_say_in_the_catalogue() -> None:
    run = SuiteRun(1, 1.0, (CheckOutcome("t", ("lambda_permissions",), "failed", "policy allows '*'"),))
    r = FaultResult("function-url-public-second-function", "s.", ("lambda_permissions",), (), run, "lane1", 1.0)
    assert r.expected_text == "public function URL" and not r.detected


def test_matrix_shows_a_crashed_area_and_its_tracebacks() -> None:
    r = result([("cors", "error")])
    assert "CRASHED" in table([r], []) and "NOT DETECTED" in table([r], [])
    entry = as_json([r], [], 1.0)["faults"][0]
    assert entry["crashed_tests"] == ["t0"] and entry["detected"] is False


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
        "@pytest.mark.cors\ndef test_finding(): pytest.fail('route GET /x allows *: fix it', pytrace=False)\n"
        "@pytest.mark.cors\ndef test_crash(): {}['k']\n"
        "@pytest.fixture\ndef broken(): raise RuntimeError('setup')\n"
        "@pytest.mark.network\ndef test_err(broken): pass\n"
        "@pytest.fixture\ndef refused(): pytest.fail('fixture: fix X', pytrace=False)\n"
        "@pytest.mark.cors\ndef test_refused(refused): pass\n"
        "@pytest.mark.sqlserver\ndef test_other(): pass\n"
    )
    out = tmp_path / "outcomes.json"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(tests),
        "-p",
        "tests.selftest.outcomes_plugin",
        "--outcomes-json",
        str(out),
        "--outcomes-areas",
        "cors",
        "--outcomes-keep",
        f"{tests.name}::test_err",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(tmp_path),
        "-c",
        "/dev/null",
        "-p",
        "no:locust",
    ]
    subprocess.run(cmd, cwd=tmp_path, capture_output=True, timeout=120, check=False, env=child_env())
    data = json.loads(out.read_text())
    got = {t["nodeid"].split("::")[-1]: (t["areas"], t["outcome"]) for t in data["tests"]}
    assert got == {
        "test_ok": (["cors"], "passed"),
        "test_bad": (["cors"], "error"),
        "test_finding": (["cors"], "failed"),
        "test_crash": (["cors"], "error"),
        "test_err": (["network"], "error"),
        "test_refused": (["cors"], "error"),
    }
    messages = {t["nodeid"].split("::")[-1]: t["message"] for t in data["tests"]}
    assert messages["test_finding"] == "route GET /x allows *: fix it"
    assert "KeyError" in messages["test_crash"] and "RuntimeError" in messages["test_err"]
    assert data["exitstatus"] == 1
