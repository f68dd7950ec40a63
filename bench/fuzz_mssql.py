"""Long random fuzz of the SQL Server stand-in's parsers (PRELOGIN, LOGIN7, RPC, SQL batch).

Runs the strategies and targets of tests/twin/mssql/fuzz_inputs.py (the ones the derandomized
tests/twin/mssql/test_mssql_fuzz.py runs on every test run) with fresh random seeds, round robin
over the parsers, until --seconds have passed. A target may raise only ProtocolError or SqlError;
anything else is a failure, recorded once per (parser, exception type, location) with the smallest
input that reproduced it (hypothesis shrinks each new one). Prints one JSON document and one
readable line (also on SIGTERM or Ctrl-C, with what was found so far). Asserts nothing: exits 0
unless it crashes itself. Add what it finds to the test module's explicit examples, with its fix.

Usage: python bench/fuzz_mssql.py [--seconds 600] [--seed N] [--parsers rpc,batch]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import hypothesis  # noqa: E402  (after the path: the shared strategies live under tests/)
from hypothesis import HealthCheck, Phase, Verbosity, given, settings  # noqa: E402
from hypothesis import seed as with_seed  # noqa: E402

from tests.twin.mssql.fuzz_inputs import TARGETS, inputs  # noqa: E402

ROUND_SECONDS = 5.0  # a round is one hypothesis run on one parser; the deadline is checked between rounds


@dataclass
class Failure:
    parser: str
    type: str
    location: str
    message: str
    data: bytes
    count: int = 0

    def offer(self, data: bytes, exc: BaseException) -> None:
        """Keep the smallest reproducing input (shortest, then bytewise), as hypothesis orders them."""
        self.count += 1
        if (len(data), data) < (len(self.data), self.data):
            self.data, self.message = data, str(exc)[:300]


@dataclass
class ParserStats:
    inputs: int = 0
    rounds: int = 0
    seconds: float = 0.0
    examples_per_round: int = 200
    failures: set[tuple[str, str, str]] = field(default_factory=set)


def _location(exc: BaseException) -> str:
    """The innermost frame in the project, preferring twin/ (the code under test) over tests/."""
    frames = traceback.extract_tb(exc.__traceback__)
    inside = []
    for f in frames:
        try:
            rel = Path(f.filename).resolve().relative_to(ROOT)
        except ValueError:
            continue
        if rel.parts[0] in ("twin", "tests"):
            inside.append((rel, f))
    for rel, f in reversed(inside):
        if rel.parts[0] == "twin":
            return f"{rel}:{f.lineno} {f.name}"
    if inside:
        rel, f = inside[-1]
        return f"{rel}:{f.lineno} {f.name}"
    f = frames[-1]
    return f"{f.filename}:{f.lineno} {f.name}"


def _round(name: str, stats: ParserStats, failures: dict[tuple[str, str, str], Failure], seed: int) -> None:
    target = TARGETS[name]
    known = set(failures)

    @with_seed(seed)
    @settings(
        max_examples=stats.examples_per_round,
        database=None,
        deadline=None,
        derandomize=False,
        print_blob=False,
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    @given(inputs(name))
    def run(data: bytes) -> None:
        stats.inputs += 1
        try:
            target(data)
        except Exception as exc:
            key = (name, type(exc).__name__, _location(exc))
            if key not in failures:
                failures[key] = Failure(name, key[1], key[2], str(exc)[:300], data)
            failures[key].offer(data, exc)
            stats.failures.add(key)
            if key in known:
                return  # shrunk in an earlier round: let this one go on looking for new failures
            raise

    start = time.monotonic()
    with contextlib.suppress(Exception):  # recorded by run() before hypothesis re-raised it
        run()
    elapsed = time.monotonic() - start
    stats.rounds += 1
    stats.seconds += elapsed
    # Aim at ROUND_SECONDS per round whatever the parser's speed, so the deadline is kept closely.
    rate = stats.examples_per_round / max(elapsed, 1e-3)
    stats.examples_per_round = max(50, min(20_000, int(rate * ROUND_SECONDS)))


def _stop(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=None, help="master seed (default: random, printed)")
    parser.add_argument("--parsers", default=",".join(TARGETS), help=f"comma-separated subset of {list(TARGETS)}")
    args = parser.parse_args()
    names = [n.strip() for n in args.parsers.split(",") if n.strip()]
    if args.seconds <= 0 or not names or any(n not in TARGETS for n in names):
        print(f"fuzz_mssql: --seconds > 0 and --parsers from {','.join(TARGETS)}", file=sys.stderr)
        return 2
    master = random.SystemRandom().randrange(2**32) if args.seed is None else args.seed
    rng = random.Random(master)
    stats = {n: ParserStats() for n in names}
    failures: dict[tuple[str, str, str], Failure] = {}
    start = time.monotonic()
    deadline = start + args.seconds
    interrupted = False
    # SIGTERM or Ctrl-C: stop and print what was found so far.
    signal.signal(signal.SIGTERM, _stop)
    try:
        while time.monotonic() < deadline:
            for name in names:
                if time.monotonic() >= deadline:
                    break
                _round(name, stats[name], failures, rng.getrandbits(64))
    except KeyboardInterrupt:
        interrupted = True
    elapsed = time.monotonic() - start
    found = sorted(failures.values(), key=lambda f: (f.parser, f.type, f.location))
    result = {
        "benchmark": "mssql_parser_fuzz",
        "seconds": round(elapsed, 1),
        "interrupted": interrupted,
        "seed": master,
        "cpus": os.cpu_count(),
        "hypothesis": hypothesis.__version__,
        "parsers": {
            n: {
                "inputs": s.inputs,
                "rounds": s.rounds,
                "inputs_per_s": round(s.inputs / max(s.seconds, 1e-9)),
                "failures": len(s.failures),
            }
            for n, s in stats.items()
        },
        "inputs_total": sum(s.inputs for s in stats.values()),
        "failures": [
            {
                "parser": f.parser,
                "type": f.type,
                "location": f.location,
                "message": f.message,
                "count": f.count,
                "input_len": len(f.data),
                "input_hex": f.data.hex(),
            }
            for f in found
        ],
    }
    print(json.dumps(result))
    per = ", ".join(f"{n} {s.inputs:,}" for n, s in stats.items())
    what = "; ".join(f"{f.type} at {f.location} ({f.parser}, {len(f.data)} bytes)" for f in found) or "none"
    print(
        f"mssql parser fuzz: {elapsed:.0f} s, {result['inputs_total']:,} inputs ({per}), seed {master}; "
        f"{len(found)} distinct failures: {what}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
