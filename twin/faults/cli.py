"""`python -m twin.faults list | apply NAME | revert NAME --env-file F --state-dir D`.

Hand-written argparse front end. An applied fault's revert (undo log and the observation from
before) is kept in `<state-dir>/faults/<NAME>.json` with mode 0600, since it can hold the DB
secret's previous value; `revert` replays it, checks the stack reads as before and deletes it.
A fault that changes what the team's pipeline hands the e2e suite (an `E2E_` override such as a
recreated app client's id) gets one `export ...` line from `apply` and one `unset ...` from `revert`,
for a shell to eval before running the suite by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from fixtures.cli_args import EXIT_USAGE, OneLineParser
from twin.faults import FaultContext, FaultError, catalogue
from twin.faults.model import Fault, Revert
from twin.state import StateLayout

EXIT_ERROR = 1


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python -m twin.faults", prefix="twin.faults", description="Named, reversible misconfigurations of a twin."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="every fault: name, areas it must trip, story")
    for name, text in (("apply", "apply a fault to a running twin"), ("revert", "revert an applied fault")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("name", help="fault name (see `list`)")
        cmd.add_argument("--env-file", type=Path, required=True, help="the twin's env file")
        cmd.add_argument("--state-dir", type=Path, required=True, help="the twin's state folder")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    faults = catalogue()
    if args.command == "list":
        for listed in faults.values():
            print(f"{listed.name:36} {','.join(sorted(listed.areas)):20} {listed.story}")
        return 0
    fault = faults.get(args.name)
    if fault is None:
        print(
            f"twin.faults: no fault named {args.name!r}; `python -m twin.faults list` names them all", file=sys.stderr
        )
        return EXIT_USAGE
    try:
        ctx = FaultContext.from_files(args.env_file, args.state_dir)
        try:
            action = _apply if args.command == "apply" else _revert
            return action(fault, ctx, args.state_dir)
        finally:
            ctx.close()
    except FaultError as exc:
        print(f"twin.faults: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _apply(fault: Fault, ctx: FaultContext, state_dir: Path) -> int:
    path = StateLayout(state_dir).fault_record(fault.name)
    if path.exists():
        raise FaultError(f"{fault.name} is already applied ({path}); revert it first")
    revert = fault.apply(ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(revert.to_json(), handle)
    print(
        f"applied {fault.name} (areas {', '.join(sorted(fault.areas))}); revert with "
        f"`python -m twin.faults revert {fault.name} --env-file ... --state-dir ...`"
    )
    if revert.env:
        print(export_line(revert.env))
    return 0


def export_line(env: dict[str, str]) -> str:
    """`export A=1 B=2`: what the pipeline would set for the suite, ready for a shell."""
    return "export " + " ".join(f"{name}={shlex.quote(value)}" for name, value in sorted(env.items()))


def _revert(fault: Fault, ctx: FaultContext, state_dir: Path) -> int:
    path = StateLayout(state_dir).fault_record(fault.name)
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        raise FaultError(f"{fault.name} is not applied to this twin (no readable {path})") from None
    revert = Revert.from_json(fault, data)
    overrides = sorted(revert.env)
    revert(ctx)
    path.unlink()
    print(f"reverted {fault.name}; the stack reads as before")
    if overrides:
        print("unset " + " ".join(overrides))
    return 0
