"""Each fault of the catalogue makes the e2e suite fail in the area it belongs to (and nowhere it
should not), and the whole suite is green on fresh twins, three times over."""

from __future__ import annotations

import json
from typing import Any

import allure
import pytest

# The first test's setup runs the whole campaign (pytest.ini's 300 s would cut it short under load).
pytestmark = [pytest.mark.selftest, pytest.mark.timeout(30 * 60)]


def by_name(detection: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in detection["faults"]}


@allure.title("Fault {fault_name} is detected by its area")
def test_fault_detected(fault_name: str, detection: dict[str, Any]) -> None:
    entry = by_name(detection).get(fault_name)
    if entry is None:
        pytest.fail(
            f"{fault_name} was never run: a lane's twin did not start (see the campaign's progress.log)", pytrace=False
        )
    allure.dynamic.description(entry["story"])
    allure.attach(json.dumps(entry, indent=1), name="verdict", attachment_type=allure.attachment_type.JSON)
    if entry["unavailable"]:
        pytest.fail(entry["problem"], pytrace=False)  # a known twin gap is marked xfail in known_gaps.py
    if not entry["detected"]:
        pytest.fail(entry["explain"], pytrace=False)


@allure.title("The e2e suite is green on fresh twins, every time")
def test_clean_runs_green(detection: dict[str, Any]) -> None:
    runs, expected = detection["clean_runs"], detection["clean_expected"]
    problems = [f"clean run {i + 1}: {run['broken']}" for i, run in enumerate(runs) if run["broken"]]
    failing = [set(run["failing"]) for run in runs]
    flaky = sorted(set().union(*failing) - set.intersection(*failing)) if failing else []
    always = sorted(set.intersection(*failing)) if failing else []
    if len(runs) != expected:
        problems.append(f"{len(runs)} clean runs made, expected {expected}")
    if always:
        problems.append(f"failing in every clean run: {always[:6]}")
    if flaky:
        problems.append(f"flaky (failing in some clean runs only): {flaky[:6]}")
    if problems:
        pytest.fail("; ".join(problems), pytrace=False)


@allure.title("Detection matrix (fault x area)")
def test_detection_matrix_published(detection: dict[str, Any], pytestconfig: pytest.Config) -> None:
    from tests.selftest.conftest import shared_dir

    table = (shared_dir(pytestconfig) / "matrix.txt").read_text()
    allure.attach(table, name="detection matrix", attachment_type=allure.attachment_type.TEXT)
    allure.attach(
        json.dumps(detection, indent=1), name="detection matrix (JSON)", attachment_type=allure.attachment_type.JSON
    )
    assert len(table.splitlines()) == len(detection["faults"]) + 4  # header, rules, one row per fault, summary
