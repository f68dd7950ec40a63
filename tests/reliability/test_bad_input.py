"""Bad input everywhere gets one line naming the problem, a non-zero exit and no traceback. Each row
here is a row of the table in docs/reliability.md; rows already tested by their owner's tests
(tests/unit/fixtures, tests/twin/test_twin_cli.py, tests/load/test_load_headless.py) are listed
there with the test that covers them. Nothing here reaches a network: every case fails before."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from reliability_runs import ROOT, locust_cmd, run

EXAMPLE = ROOT / "env" / "example.toml"


def example_with(old: str, new: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        text = EXAMPLE.read_text()
        assert old in text, old
        path = folder / "env.toml"
        path.write_text(text.replace(old, new, 1))
        return path

    return make


@dataclass(frozen=True)
class Case:
    command: Callable[[Path], list[str]]
    code: int
    line: str  # the one line must contain this
    env: tuple[tuple[str, str], ...] = ()


PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/e2e"]
JANITOR = [sys.executable, "-m", "fixtures.janitor"]
TWIN = [sys.executable, "-m", "twin"]
SOAK = [sys.executable, "bench/bench_soak.py"]
NO_ENV = ["--env-file", "/nonexistent/env.toml"]  # so nothing could start a twin or reach AWS


def env_arg(make: Callable[[Path], Path]) -> Callable[[Path], list[str]]:
    return lambda folder: ["--env-file", str(make(folder))]


CASES: dict[str, Case] = {
    # pytest options and env files, exit 4 (pytest's usage error) with one "ERROR:" line
    "pytest --signin-flow bogus": Case(lambda _: [*PYTEST, "--signin-flow", "bogus"], 4, "use one of auto, admin"),
    "pytest --janitor-max-age-hours abc": Case(
        lambda _: [*PYTEST, "--janitor-max-age-hours", "abc"], 4, "'abc' is not a number"
    ),
    "pytest --run-lease-seconds 1": Case(lambda _: [*PYTEST, "--run-lease-seconds", "1"], 4, "at least 2 s"),
    "pytest E2E_RUN_ID with bad characters": Case(
        lambda _: PYTEST, 4, "must be 1-24 characters of a-z, 0-9 and '-'", (("E2E_RUN_ID", "Run_1!"),)
    ),
    "env file: unknown key": Case(
        lambda f: [*PYTEST, *env_arg(example_with("base_url =", "base_ur ="))(f)], 4, "unknown key [api] base_ur"
    ),
    "env file: wrong type": Case(
        lambda f: [*PYTEST, *env_arg(example_with("max_age = 300", 'max_age = "300"'))(f)],
        4,
        "[api] max_age must be an integer, got '300'",
    ),
    "env file: missing key": Case(
        lambda f: [*PYTEST, *env_arg(example_with('function_name = "learninghub-api"', ""))(f)],
        4,
        "[lambda] function_name is missing",
    ),
    "env file: not a region": Case(
        lambda f: [*PYTEST, *env_arg(example_with('region = "', 'region = "moon-'))(f)], 4, "is not an AWS region"
    ),
    "env file: a directory": Case(lambda f: [*PYTEST, "--env-file", str(f)], 4, "cannot be read (IsADirectoryError)"),
    "env override: unknown section": Case(
        lambda f: [*PYTEST, *env_arg(example_with("", ""))(f)], 4, "unknown section [nope]", (("E2E_NOPE__KEY", "1"),)
    ),
    # janitor command, exit 2
    "janitor without --env-file": Case(lambda _: JANITOR, 2, "the following arguments are required: --env-file"),
    "janitor --max-age-hours abc": Case(
        lambda _: [*JANITOR, *NO_ENV, "--max-age-hours", "abc"], 2, "invalid float value: 'abc'"
    ),
    "janitor --max-age-hours -1": Case(lambda _: [*JANITOR, *NO_ENV, "--max-age-hours", "-1"], 2, "0 or more"),
    "janitor env file missing": Case(lambda _: [*JANITOR, *NO_ENV], 2, "does not exist"),
    # locust arguments of the load suite, exit 2
    "locust --shape bogus": Case(lambda _: locust_cmd(*NO_ENV, "--headless", "--shape", "bogus"), 2, "invalid choice"),
    "locust --token-use bogus": Case(
        lambda _: locust_cmd(*NO_ENV, "--headless", "--token-use", "x"), 2, "argument --token-use: invalid choice"
    ),
    "locust --pool-size abc": Case(
        lambda _: locust_cmd(*NO_ENV, "--headless", "--pool-size", "abc"), 2, "invalid int value: 'abc'"
    ),
    "locust --token-refresh-fraction 2": Case(
        lambda _: locust_cmd(*NO_ENV, "--headless", "-t", "2s", "--token-refresh-fraction", "2"),
        2,
        "must be between 0 and 1",
    ),
    "locust --cognito-concurrency 0": Case(
        lambda _: locust_cmd(*NO_ENV, "--headless", "-t", "2s", "--cognito-concurrency", "0"), 2, "must be 1..16"
    ),
    # twin command line, exit 2
    "twin up --ready-timeout abc": Case(lambda _: [*TWIN, "up", "--ready-timeout", "abc"], 2, "must be a number"),
    "twin up --ready-timeout -5": Case(lambda _: [*TWIN, "up", "--ready-timeout", "-5"], 2, "more than 0"),
    "twin up --ready-timeout nan": Case(lambda _: [*TWIN, "up", "--ready-timeout", "nan"], 2, "more than 0"),
    "twin up --propagation-delay -1": Case(lambda _: [*TWIN, "up", "--propagation-delay", "-1"], 2, "0 to 3600"),
    "twin up --log-delay-min above max": Case(
        lambda _: [*TWIN, "up", "--log-delay-min", "3", "--log-delay-max", "1"], 2, "is above --log-delay-max 1"
    ),
    "twin without a command": Case(lambda _: TWIN, 2, "the following arguments are required: command"),
    # soak benchmark, exit 2
    "bench_soak --duration 0": Case(lambda _: [*SOAK, "--duration", "0"], 2, "must be more than 0"),
    "bench_soak --rps abc": Case(lambda _: [*SOAK, "--rps", "abc"], 2, "'abc' is not a number"),
}


def the_line(output: str) -> list[str]:
    """Lines a reader sees, without Locust's timestamped start-up chatter."""
    lines = [line for line in output.splitlines() if line.strip()]
    return [line for line in lines if "/INFO/" not in line and "/WARNING/" not in line]


@pytest.mark.parametrize("name", CASES, ids=list(CASES))
def test_bad_input_is_one_line_and_a_nonzero_exit(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    done = run(case.command(tmp_path), **dict(case.env))
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output[-2000:]
    assert done.returncode == case.code, output[-2000:]
    lines = the_line(output)
    assert len(lines) == 1, lines
    assert case.line in lines[0], lines[0]
