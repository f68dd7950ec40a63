"""Child processes of the reliability tests: pytest runs of the e2e suite and Locust runs of the load
suite, each with its own folders and a time bound, on twins of the project's launcher
(`fixtures.local_twin`).

Hand-written glue over the project's own command lines (the supported way to start each), so what
is tested is exactly what CI runs.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fixtures.local_twin import LaunchedTwin, child_env

ROOT = Path(__file__).resolve().parents[2]
# A ceiling for a hang, never a measure: a whole e2e run takes 15-40 s on a loaded 2-core machine.
RUN_TIMEOUT_S = 300
LOCUSTFILE = ROOT / "tests" / "load" / "locustfile.py"


Twin = LaunchedTwin  # the shared twin of these tests (conftest.py), by the name the tests use


def write_env(source: Path, target: Path, **changes: Any) -> Path:
    """A copy of an env file with `section__key=value` changes (e.g. aws__endpoint_url=...)."""
    text = source.read_text()
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        rendered = "true" if value is True else "false" if value is False else f'"{value}"'
        text, count = _set_key(text, section, key, rendered)
        assert count == 1, f"[{section}] {key} not in {source}"
    target.write_text(text)
    return target


def _set_key(text: str, section: str, key: str, rendered: str) -> tuple[str, int]:
    """`text` with `key = rendered` in [section], and how many keys were set."""
    pattern = re.compile(rf"(\[{section}\][^\[]*?^{key} = )[^\n]*", re.M | re.S)
    return pattern.subn(lambda m: m.group(1) + rendered, text)


def pytest_cmd(*args: str, basetemp: Path) -> list[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--basetemp", str(basetemp), *args]


def locust_cmd(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "locust"), "-f", str(LOCUSTFILE), *args]


def run(cmd: list[str], *, timeout: float = RUN_TIMEOUT_S, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, env=child_env(ROOT, **env), capture_output=True, text=True, timeout=timeout)


def start(cmd: list[str], log: Path, **env: str) -> subprocess.Popen[bytes]:
    """Start `cmd` in a process group of its own (so the whole run can be signalled), output to `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(cmd, cwd=ROOT, env=child_env(ROOT, **env), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip


def signal_group(proc: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signum)


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"{what}: not within {timeout:g} s")


def finish(proc: subprocess.Popen[bytes], timeout: float) -> int:
    """Wait for the run; kill its whole group if it does not end in time."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        signal_group(proc, signal.SIGKILL)
        proc.wait(timeout=10)
        raise AssertionError(f"the run did not end within {timeout:g} s") from None
