"""Benchmark of the main job: the whole e2e suite against a twin it starts itself, with -n 2 and with -n 1.

Prints one JSON object and one readable line. Goal (issue 4): wall time with -n 2, twin start included,
at most 30 s. Each run is `pytest tests/e2e -n N` with no env file, so the harness starts one twin for
the run, shares it between workers and stops it at the end, exactly as `make e2e` does (without the
Allure report). Also reported: the ratio of the two wall times, the number of test cases and the Cognito
API calls the run made (the harness's own summary line). Asserts nothing; a failing suite is reported.

    .venv/bin/python bench/bench_e2e.py [--rounds 1] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TypedDict

ROOT = Path(__file__).resolve().parent.parent
OUTCOMES = re.compile(r"(\d+) (passed|failed|skipped|xfailed|xpassed|errors?)\b")
COGNITO = re.compile(r"^cognito-idp calls: (\d+)", re.MULTILINE)


class SuiteRun(TypedDict):
    workers: int
    seconds: float
    exit_code: int
    cases: int
    outcomes: dict[str, int]
    cognito_calls: int | None


def run_suite(workers: int, basetemp: Path) -> SuiteRun:
    """One whole run; wall time from the command to its exit (twin start and stop included)."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "tests/e2e",
        "-n",
        str(workers),
        "-q",
        "-p",
        "no:cacheprovider",
        f"--basetemp={basetemp}",
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("E2E_ENV_FILE", "E2E_RUN_ID")}
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, env=env, check=False)
    seconds = time.monotonic() - started
    tail = done.stdout[-4000:]
    outcomes = {kind.rstrip("s") if kind.startswith("error") else kind: int(n) for n, kind in OUTCOMES.findall(tail)}
    calls = COGNITO.search(done.stdout)
    return {
        "workers": workers,
        "seconds": round(seconds, 2),
        "exit_code": done.returncode,
        "cases": sum(outcomes.values()),
        "outcomes": outcomes,
        "cognito_calls": int(calls[1]) if calls else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench/bench_e2e.py", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, choices=range(1, 6), help="runs of each kind (median)")
    parser.add_argument("--workers", type=int, default=2, choices=range(2, 9), help="xdist workers of the fast run")
    args = parser.parse_args()
    runs: dict[int, list[SuiteRun]] = {args.workers: [], 1: []}
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        for round_ in range(args.rounds):
            for workers in runs:
                runs[workers].append(run_suite(workers, Path(tmp) / f"n{workers}-{round_}"))
    fast, slow = (statistics.median(r["seconds"] for r in runs[w]) for w in (args.workers, 1))
    last = runs[args.workers][-1]
    result = {
        "workers": args.workers,
        "rounds": args.rounds,
        "wall_s": fast,
        "wall_n1_s": slow,
        "speedup_vs_n1": round(slow / fast, 2),
        "cases": last["cases"],
        "outcomes": last["outcomes"],
        "cognito_calls": last["cognito_calls"],
        "all_green": all(r["exit_code"] == 0 for rs in runs.values() for r in rs),
        "runs": runs,
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(result))
    print(
        f"e2e: {result['cases']} cases in {fast:.1f} s with -n {args.workers} (goal <= 30 s), {slow:.1f} s with -n 1 "
        f"({result['speedup_vs_n1']}x), twin start included; {result['cognito_calls']} Cognito calls; "
        + ("all runs green" if result["all_green"] else "SOME RUNS FAILED: see runs[].exit_code")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
