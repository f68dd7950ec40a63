"""pytest plugin (`-p tests.selftest.outcomes_plugin`) for the detection self-test's e2e runs.

Hand-written: junit XML carries no markers, and the self-test needs, per test, the e2e areas
(markers) and one outcome to decide which areas a fault tripped: `failed` only for a check's own
finding (the one-line `pytest.fail` every e2e check ends with, raised in the test body), `error` for
a traceback (a crashed fixture, a failed teardown, an exception or bare assert in the body), which
proves nothing about the stack; `passed`, `skipped`. A finding's message is its text in full (up to
MESSAGE_CHARS), so the self-test can check that it names the misconfiguration.
It writes them to `--outcomes-json`, and can narrow a run: `--outcomes-areas` keeps the tests of
those areas and `--outcomes-keep` adds single tests (the sanity slice).
The messages come from reports the harness plugin has already scrubbed of tokens and passwords.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from fixtures.areas import VERDICT_AREAS

MESSAGE_CHARS = 400
FAILED_PREFIX = "Failed: "  # how pytest names the exception of pytest.fail in a report's crash line


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("selftest-outcomes", "detection self-test: outcomes per test")
    group.addoption("--outcomes-json", default=None, help="write nodeid, areas and outcome per test here")
    group.addoption("--outcomes-areas", default=None, help="keep only tests of these areas (comma-separated)")
    group.addoption("--outcomes-keep", action="append", default=[], help="keep this test id too (repeatable)")


class Recorder:
    def __init__(self, path: Path, areas: str | None, keep: list[str]) -> None:
        self.path = path
        self.only = set(areas.split(",")) if areas else None
        self.keep = set(keep)
        self.areas: dict[str, list[str]] = {}
        self.results: dict[str, dict[str, Any]] = {}
        self.started = time.monotonic()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        dropped = [i for i in items if not self._wanted(i)]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [i for i in items if i not in dropped]
        for item in items:
            self.areas[item.nodeid] = [a for a in VERDICT_AREAS if item.get_closest_marker(a)]

    def _wanted(self, item: pytest.Item) -> bool:
        return item.nodeid in self.keep or self.only is None or any(item.get_closest_marker(a) for a in self.only)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        entry = self.results.setdefault(report.nodeid, {"outcome": "passed", "message": ""})
        finding = _finding(report)
        if report.when == "call" or (report.when == "setup" and not report.passed):
            entry["outcome"] = "error" if report.failed and finding is None else report.outcome
        elif report.when == "teardown" and report.failed and entry["outcome"] == "passed":
            entry["outcome"] = "error"
        if report.failed and not entry["message"]:
            entry["message"] = finding if finding is not None else _first_lines(report)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        tests = [
            {"nodeid": nodeid, "areas": areas, **self.results.get(nodeid, {"outcome": "not run", "message": ""})}
            for nodeid, areas in self.areas.items()
        ]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({
            "exitstatus": int(exitstatus), "duration_s": round(time.monotonic() - self.started, 2), "tests": tests,
        }, indent=1))  # fmt: skip


def _finding(report: pytest.TestReport) -> str | None:
    """The message of a check's own `pytest.fail` in the test body; None for anything else (a traceback)."""
    if report.when != "call" or not report.failed:
        return None
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", "")
    return message.removeprefix(FAILED_PREFIX)[:MESSAGE_CHARS] if message.startswith(FAILED_PREFIX) else None


def _first_lines(report: pytest.TestReport) -> str:
    text = report.longreprtext.strip()
    lines = [line for line in text.splitlines() if line.strip()]
    failed = [line for line in lines if line.startswith(("E ", "Failed:"))]
    return " ".join((failed or lines[-1:] or [""])[:3])[:MESSAGE_CHARS]


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("outcomes_json")
    if path and not hasattr(config, "workerinput"):
        recorder = Recorder(Path(path), config.getoption("outcomes_areas"), config.getoption("outcomes_keep"))
        config.pluginmanager.register(recorder, "selftest-outcomes")
