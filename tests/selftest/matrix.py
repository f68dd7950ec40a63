"""The detection matrix: fault x area, as a table for the terminal and as JSON for tools and Allure.

Hand-written: a fixed-width table of one column per area (`fixtures.areas`) is a few lines, and the JSON is the
self-test's own record (per fault: areas, cells, failing tests, the crashed ones among them, what a
finding had to say, problems; per clean run: counts). Cells: caught, MISSED, CRASHED (only
tracebacks), UNNAMED (findings that do not name the misconfiguration), also, UNEXPECTED, -.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fixtures.areas import BY_MARKER, VERDICT_AREAS
from tests.selftest.e2e_runs import SuiteRun
from tests.selftest.verdict import FaultResult

NAME_WIDTH = 36
CELL_WIDTH = 11


def table(results: list[FaultResult], clean: list[SuiteRun]) -> str:
    columns = "".join(BY_MARKER[a].short.ljust(CELL_WIDTH) for a in VERDICT_AREAS)
    header = "fault".ljust(NAME_WIDTH) + columns + "verdict"
    lines = [header, "-" * len(header)]
    for r in results:
        cells = r.cells()
        verdict = "detected" if r.detected else ("UNAVAILABLE" if r.unavailable else "NOT DETECTED")
        row = r.name[: NAME_WIDTH - 1].ljust(NAME_WIDTH)
        row += "".join((cells[a] if r.run else "?").ljust(CELL_WIDTH) for a in VERDICT_AREAS)
        lines.append(row + verdict)
    detected = sum(r.detected for r in results)
    lines.append("-" * len(header))
    lines.append(
        f"{detected}/{len(results)} faults detected by their areas; "
        + "; ".join(f"clean run {i + 1}: {_counts(run)}" for i, run in enumerate(clean))
    )
    return "\n".join(lines)


def _counts(run: SuiteRun) -> str:
    if run.broken:
        return f"BROKEN ({run.broken})"
    c = run.counts()
    return (
        f"{c.get('passed', 0)} passed, {c.get('failed', 0)} failed, {c.get('error', 0)} errors, "
        f"{c.get('skipped', 0)} skipped in {run.duration_s:.0f} s"
    )


def as_json(results: list[FaultResult], clean: list[SuiteRun], seconds: float) -> dict[str, Any]:
    return {
        "areas": list(VERDICT_AREAS),
        "seconds": round(seconds, 1),
        "faults": [
            {
                "name": r.name,
                "story": r.story,
                "areas": list(r.areas),
                "collateral": list(r.collateral),
                "cells": r.cells() if r.run else {},
                "detected": r.detected,
                "unavailable": r.unavailable,
                "problem": r.problem,
                "explain": None if r.detected else r.explain(),
                "lane": r.lane,
                "seconds": round(r.seconds, 1),
                "failing_tests": sorted(t.nodeid for t in r.run.failing()) if r.run else [],
                "crashed_tests": sorted(t.nodeid for t in r.run.tests if t.outcome == "error") if r.run else [],
                "must_say": r.expected_text,
            }
            for r in results
        ],
        "clean_runs": [
            {
                "counts": run.counts(),
                "broken": run.broken,
                "duration_s": run.duration_s,
                "failing": sorted(t.nodeid for t in run.failing()),
            }
            for run in clean
        ],
    }


def write(path: Path, results: list[FaultResult], clean: list[SuiteRun], seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(as_json(results, clean, seconds), indent=1))
