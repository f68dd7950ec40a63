"""Fixtures of the load suite's tests: the loopback stack and a runner for Locust as a subprocess."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from locust_runs import RUN_CEILING_S, LocustRun, locust_cmd, locust_env
from loopback_stack import Stack, start_stack


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    s = start_stack()
    yield s
    s.stop()


@pytest.fixture
def fresh_stack(stack: Stack) -> Stack:
    """The shared stack with counters and fault switches reset for this test."""
    stack.cognito.reset()
    stack.api.reset()
    return stack


@pytest.fixture
def env_file(fresh_stack: Stack, tmp_path: Path) -> Path:
    return fresh_stack.write_env(tmp_path / "env.toml")


@pytest.fixture
def run_locust(tmp_path: Path) -> Callable[..., LocustRun]:
    """Run `locust --headless` with the suite's locustfile, reports under tmp_path; bounded by `timeout`, a
    ceiling for a hang only (a run of a few seconds ends within 20 s even on a loaded 2-core machine)."""

    def run(*args: str, timeout: float = RUN_CEILING_S) -> LocustRun:
        report_dir = tmp_path / "reports"
        cmd = locust_cmd("--headless", "--report-dir", str(report_dir), *args)
        done = subprocess.run(cmd, env=locust_env(), capture_output=True, text=True, timeout=timeout, check=False)
        return LocustRun(done.returncode, done.stdout, done.stderr, report_dir)

    return run
