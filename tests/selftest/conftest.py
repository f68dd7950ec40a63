"""Fixtures of the detection self-test: the campaign runs once per pytest run (under a file lock in
the run's shared temp folder, so xdist workers share it) and its matrix is read by every test.

`SELFTEST_FAULTS=a,b` runs only those faults (and one clean run instead of three), for a quick check.
Everything lives under reports/selftest/<pytest temp folder name>/ rather than in pytest's temp
folder: pytest deletes all but its newest temp folders, and other pytest runs on the machine would
delete this one (and the twins' state in it) while the campaign runs. The matrix is copied to
reports/selftest/ as well.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from fixtures.harness import run_basetemp
from tests.selftest.campaign import run_campaign
from tests.selftest.known_gaps import MISSING_CHECKS, TWIN_GAPS
from tests.selftest.matrix import as_json, table
from twin.faults import Fault, catalogue

ROOT = Path(__file__).resolve().parents[2]
REPORT_DIR = ROOT / "reports" / "selftest"
CAMPAIGN_TIMEOUT_S = 20 * 60
KEEP_RUNS_S = 24 * 3600
LANES = 2
CLEAN_RUNS = 3


def selected_faults() -> list[Fault]:
    faults = catalogue()
    wanted = [n.strip() for n in os.environ.get("SELFTEST_FAULTS", "").split(",") if n.strip()]
    unknown = [n for n in wanted if n not in faults]
    if unknown:
        raise pytest.UsageError(f"SELFTEST_FAULTS names unknown faults {unknown}; `python -m twin.faults list`")
    return [faults[n] for n in wanted] if wanted else list(faults.values())


def shared_dir(config: pytest.Config) -> Path:
    """This pytest run's folder, the same for the xdist controller and every worker."""
    base = run_basetemp(config)
    run = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return REPORT_DIR / f"run-{run.name}"


def _forget_old_runs() -> None:
    """Folders of runs older than a day (a concurrent run's folder is young, so it is kept)."""
    for old in REPORT_DIR.glob("run-*"):
        if time.time() - old.stat().st_mtime > KEEP_RUNS_S:
            shutil.rmtree(old, ignore_errors=True)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "fault_name" in metafunc.fixturenames:
        params = []
        for fault in selected_faults():
            reason = MISSING_CHECKS.get(fault.name) or TWIN_GAPS.get(fault.name)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(pytest.param(fault.name, marks=marks, id=fault.name))
        metafunc.parametrize("fault_name", params)


@pytest.fixture(scope="session")
def detection(pytestconfig: pytest.Config) -> dict[str, Any]:
    """The campaign's matrix (see tests/selftest/matrix.py as_json), computed once per run."""
    folder = shared_dir(pytestconfig)
    folder.mkdir(parents=True, exist_ok=True)
    matrix, failed = folder / "matrix.json", folder / "campaign-failed.txt"
    with FileLock(str(folder / "campaign.lock"), timeout=CAMPAIGN_TIMEOUT_S):
        if failed.exists():
            pytest.fail(failed.read_text(), pytrace=False)
        if not matrix.exists():
            faults = selected_faults()
            _forget_old_runs()
            progress = folder / "progress.log"

            def log(line: str) -> None:
                with progress.open("a") as out:
                    out.write(f"{time.strftime('%H:%M:%S')} {line}\n")

            clean_runs = CLEAN_RUNS if len(faults) == len(catalogue()) else 1
            try:
                result = run_campaign(faults, folder / "work", lanes=LANES, clean_runs=clean_runs, log=log)
            except Exception as exc:  # recorded once, so other workers fail fast with the same line
                failed.write_text(f"the detection campaign failed: {type(exc).__name__}: {exc}")
                raise
            data = {**as_json(result.faults, result.clean, result.seconds), "clean_expected": clean_runs}
            text = table(result.faults, result.clean)
            for target in (folder, REPORT_DIR):
                (target / "matrix.txt").write_text(text)
                (target / "matrix.json").write_text(json.dumps(data, indent=1))
    return json.loads(matrix.read_text())


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    text = shared_dir(config) / "matrix.txt"
    if text.is_file():
        terminalreporter.section("fault detection matrix")
        for line in text.read_text().splitlines():
            terminalreporter.line(line)
        terminalreporter.line(f"JSON: {text.with_suffix('.json')}; runs and logs: {text.parent / 'work'}")
