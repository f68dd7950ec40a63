"""`python -m twin.parity record|check|diff|list`: the parity tool's command line.

- `record --env-file F [--out PATH]`: probe the deployment of F (AWS or a twin) into a snapshot.
- `check SNAPSHOT [--env-file F]`: replay the probes against a twin (a fresh local one unless F names
  one) and print each difference from the snapshot as one line: probe, path, snapshot value, twin value.
- `diff A B`: the differences between two snapshots (the same stack before and after a deploy).
- `list`: the probes and what each asks.
Exit codes: 0 no difference, 1 differences, 2 bad input (flag, env file, snapshot), 3 could not run
(endpoint unreachable, credentials, the twin did not start), 130 interrupted (after cleanup).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fixtures import retry
from fixtures.cli_args import EXIT_USAGE, OneLineParser
from fixtures.config import ConfigError, EnvConfig, load_config
from fixtures.local_twin import TwinStartError, launched_twin
from fixtures.preflight import PreflightError, describe_aws_error
from fixtures.users import ProtectedEnvironmentError
from twin.parity.probes import PROBES
from twin.parity.runner import config_differences, differences, record
from twin.parity.snapshot import Difference, Snapshot, SnapshotError, load

EXIT_DIFFERENT = 1
EXIT_UNREACHABLE = 3
EXIT_INTERRUPTED = 130
PROG = "python -m twin.parity"


def _parser() -> OneLineParser:
    parser = OneLineParser(prog=PROG, description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    rec = commands.add_parser("record", help="probe a deployment into a snapshot")
    rec.add_argument("--env-file", required=True, help="the deployment's env file (see env/example.toml)")
    rec.add_argument("--out", type=Path, help="where to write the snapshot (default: parity-<env>-<date>.json)")
    rec.add_argument("--allow-protected", action="store_true", help="let the prober create its user in a protected env")
    chk = commands.add_parser("check", help="replay a snapshot's probes against a twin and show the differences")
    for command in (rec, chk):
        command.add_argument(
            "--aws-retry-budget",
            type=_seconds,
            default=retry.DEFAULT_BUDGET_S,
            metavar="SECONDS",
            help="how long AWS calls are retried through throttling and connection errors (30)",
        )
    chk.add_argument("snapshot", type=Path)
    chk.add_argument("--env-file", help="a running twin's env file (default: start a local twin for the check)")
    chk.add_argument("--out", type=Path, help="also write the twin's answers as a snapshot")
    dif = commands.add_parser("diff", help="the differences between two snapshots")
    dif.add_argument("a", type=Path)
    dif.add_argument("b", type=Path)
    commands.add_parser("list", help="the probes and what each asks")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if hasattr(args, "aws_retry_budget"):
        retry.set_budget(args.aws_retry_budget)
    notes: list[str] = []
    try:
        if args.command == "list":
            for probe in PROBES:
                print(f"{probe.name:34} {probe.what}")
            return 0
        if args.command == "diff":
            a, b = load(args.a), load(args.b)
            return _report(a, b, differences(a, b, both_ways=True), ("a", str(args.a)), ("b", str(args.b)))
        if args.command == "record":
            config = load_config(args.env_file)
            snapshot = record(config, allow_protected=args.allow_protected, notes=notes)
            out = args.out or Path(f"parity-{config.env.name}-{snapshot.meta['recorded']}.json")
            snapshot.save(out)
            print(
                f"parity: {len(snapshot.entries)} probes answered, {len(snapshot.skipped)} skipped "
                f"({snapshot.meta['target']} {snapshot.meta['region']}): {out}"
            )
            return 0
        reference = load(args.snapshot)
        with _twin(args.env_file) as config:
            replay = record(config, notes=notes)
        if args.out:
            replay.save(args.out)
        label = "twin" if config.is_twin else "aws"
        theirs = str(reference.meta.get("target") or "snapshot")
        return _report(
            reference,
            replay,
            differences(reference, replay, both_ways=False),
            (theirs if theirs != label else "snapshot", str(args.snapshot)),
            (label, config.source),
        )
    except (ConfigError, SnapshotError, ProtectedEnvironmentError) as exc:
        print(f"parity: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (TwinStartError, PreflightError) as exc:
        print(f"parity: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except KeyboardInterrupt:
        print("parity: interrupted; the prober's test user was deleted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # botocore and requests failures: one line naming the problem
        print(f"parity: could not run: {describe_aws_error(exc)}", file=sys.stderr)
        return EXIT_UNREACHABLE
    finally:
        for note in notes:
            print(f"parity: note: {note}", file=sys.stderr)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 1 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text}: must be a finite number of seconds, at least 1")
    return value


@contextmanager
def _twin(env_file: str | None) -> Iterator[EnvConfig]:
    """The env file given (a twin or a deployment), or a local twin started for this check and stopped after it."""
    if env_file:
        yield load_config(env_file)
        return
    with tempfile.TemporaryDirectory(prefix="parity-twin-") as folder, launched_twin(Path(folder)) as twin:
        yield load_config(twin.env_file)


def _report(a: Snapshot, b: Snapshot, found: list[Difference], a_side: tuple[str, str], b_side: tuple[str, str]) -> int:
    """Print the comparison (one line per difference) and return the exit code."""
    (a_label, a_name), (b_label, b_name) = a_side, b_side
    print(f"parity: {a_label} = {a_name} ({_describe(a)})")
    print(f"parity: {b_label} = {b_name} ({_describe(b)})")
    for setting in config_differences(a, b):
        print(f"{setting.line(a_label, b_label)}  (a deployed setting: answers may differ because of it)")
    for difference in found:
        print(difference.line(a_label, b_label))
    probes = len({d.probe for d in found})
    print(
        f"parity: {len(found)} differences in {probes} of {len(a.entries)} probes"
        if found
        else f"parity: no differences in {len(a.entries)} probes"
    )
    return EXIT_DIFFERENT if found else 0


def _describe(snapshot: Snapshot) -> str:
    meta = snapshot.meta
    return ", ".join(str(meta[k]) for k in ("target", "region", "recorded", "tool") if meta.get(k))
