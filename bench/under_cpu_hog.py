"""Run a command (by default `make test`) several times while busy loops keep every core at 100 %.

The project's own tests must be deterministic on a busy 2-core machine (CI is one), so this is how
that claim is checked: one hog process per core at normal priority competes with everything the
suite starts, for as long as each run lasts. Prints, per run and in all, the exit code and the wall
time, as one JSON document and one readable line; asserts nothing. Exits with the first non-zero
exit code of a run (0 when every run passed), so `make test-hog` fails when a run failed.

Usage: python bench/under_cpu_hog.py [--runs 3] [--hogs N] [--max-minutes 60] [-- COMMAND ...]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"^=+ (.*\b(?:passed|failed|error)\b.*) in [\d.]+s", re.M)


def _spin(deadline: float) -> None:
    while time.monotonic() < deadline:  # bounded: a forgotten hog stops by itself
        pass


@contextlib.contextmanager
def hogs(count: int, max_s: float) -> Iterator[None]:
    deadline = time.monotonic() + max_s
    procs = [mp.Process(target=_spin, args=(deadline,), daemon=True) for _ in range(count)]
    for p in procs:
        p.start()
    try:
        yield
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.join(timeout=10)


class Run(TypedDict):
    exit_code: int
    wall_s: float
    summary: str | None
    log: str


def one_run(cmd: list[str], log: Path) -> Run:
    started = time.monotonic()
    with log.open("w") as out:
        code = subprocess.run(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
    summary = SUMMARY.findall(log.read_text(errors="replace"))
    return {
        "exit_code": code,
        "wall_s": round(time.monotonic() - started, 1),
        "summary": summary[-1] if summary else None,
        "log": str(log),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--hogs", type=int, default=os.cpu_count() or 2, help="busy processes (default: one per core)")
    parser.add_argument("--max-minutes", type=float, default=60.0, help="ceiling per run for the hogs")
    parser.add_argument("--log-dir", default=str(ROOT / "reports" / "cpu-hog"))
    parser.add_argument("command", nargs=argparse.REMAINDER, help="after --: the command (default: make test)")
    args = parser.parse_args(argv)
    cmd = [c for c in args.command if c != "--"] or ["make", "test"]
    if args.runs < 1 or args.hogs < 0 or args.max_minutes <= 0:
        parser.error("--runs must be at least 1, --hogs at least 0 and --max-minutes positive")
    log_dir = Path(args.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    runs = []
    for i in range(1, args.runs + 1):
        with hogs(args.hogs, args.max_minutes * 60):
            result = one_run(cmd, log_dir / f"run{i}.log")
        runs.append(result)
        print(
            f"run {i}/{args.runs}: exit {result['exit_code']} in {result['wall_s']} s: {result['summary']}",
            file=sys.stderr,
            flush=True,
        )
    failed = [r for r in runs if r["exit_code"] != 0]
    report = {"command": cmd, "hogs": args.hogs, "runs": runs, "green": len(runs) - len(failed)}
    print(json.dumps(report, indent=2))
    walls = ", ".join(f"{r['wall_s']:.0f} s" for r in runs)
    print(f"{' '.join(cmd)} under {args.hogs} CPU hogs: {len(runs) - len(failed)}/{len(runs)} green; wall {walls}")
    return int(failed[0]["exit_code"]) if failed else 0


if __name__ == "__main__":
    sys.exit(main())
