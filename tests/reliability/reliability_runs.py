"""Child processes of the reliability tests: twins (`python -m twin up --detach` / `down`), pytest
runs of the e2e suite and Locust runs of the load suite, each with its own folders and a time bound.

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
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# Ceilings for a hang, never measures: a twin starts in 4 s and a whole e2e run takes 15-40 s on a loaded
# 2-core machine.
UP_TIMEOUT_S = 180
DOWN_TIMEOUT_S = 60
RUN_TIMEOUT_S = 300
LOCUSTFILE = ROOT / "tests" / "load" / "locustfile.py"


def child_env(**extra: str) -> dict[str, str]:
    """The environment for children, without the parent's xdist, e2e and AWS variables."""
    keep = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "E2E_", "AWS_")) and k != "COV_CORE_SOURCE"
    }
    return {**keep, "AWS_EC2_METADATA_DISABLED": "true", "PYTHONUNBUFFERED": "1", **extra}


@dataclass(frozen=True)
class Twin:
    state_dir: Path
    env_file: Path

    @property
    def settings(self) -> dict[str, Any]:
        return tomllib.loads(self.env_file.read_text())

    @property
    def control_url(self) -> str:
        return str(self.settings["aws"]["endpoint_url"])

    @property
    def pool_id(self) -> str:
        return str(self.settings["cognito"]["user_pool_id"])


def start_twin(folder: Path) -> Twin:
    folder.mkdir(parents=True, exist_ok=True)
    twin = Twin(folder / "state", folder / "env.toml")
    cmd = [sys.executable, "-m", "twin", "up", "--detach", "--state-dir", str(twin.state_dir)]
    cmd += ["--env-out", str(twin.env_file)]
    done = subprocess.run(cmd, cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=UP_TIMEOUT_S)
    if done.returncode != 0 or not twin.env_file.is_file():
        raise RuntimeError(f"twin in {folder} did not start (exit {done.returncode}): {done.stderr.strip()[-300:]}")
    return twin


def stop_twin(twin: Twin) -> None:
    cmd = [sys.executable, "-m", "twin", "down", "--state-dir", str(twin.state_dir)]
    subprocess.run(cmd, cwd=ROOT, env=child_env(), capture_output=True, timeout=DOWN_TIMEOUT_S, check=False)


def write_env(source: Path, target: Path, **changes: Any) -> Path:
    """A copy of an env file with `section__key=value` changes (e.g. aws__endpoint_url=...)."""
    text = source.read_text()
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        rendered = "true" if value is True else "false" if value is False else f'"{value}"'
        pattern = re.compile(rf"(\[{section}\][^\[]*?^{key} = )[^\n]*", re.M | re.S)
        text, count = pattern.subn(lambda m, r=rendered: m.group(1) + r, text)
        assert count == 1, f"[{section}] {key} not in {source}"
    target.write_text(text)
    return target


def pytest_cmd(*args: str, basetemp: Path) -> list[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--basetemp", str(basetemp), *args]


def locust_cmd(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "locust"), "-f", str(LOCUSTFILE), *args]


def run(cmd: list[str], *, timeout: float = RUN_TIMEOUT_S, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, env=child_env(**env), capture_output=True, text=True, timeout=timeout)


def start(cmd: list[str], log: Path, **env: str) -> subprocess.Popen[bytes]:
    """Start `cmd` in a process group of its own (so the whole run can be signalled), output to `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(cmd, cwd=ROOT, env=child_env(**env), stdout=out, stderr=subprocess.STDOUT,
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
