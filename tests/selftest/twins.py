"""Fresh twins for the self-test: `python -m twin up --detach` in a folder of their own, and `down`.

Hand-written glue over the twin CLI (the supported way to start one), so each lane of the self-test
gets its own ports and state; a failed start is one line naming the log to read.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from twin.faults import FaultContext

ROOT = Path(__file__).resolve().parents[2]
UP_TIMEOUT_S = 120
DOWN_TIMEOUT_S = 60


def child_env() -> dict[str, str]:
    """The environment for child processes, without the parent pytest's xdist and per-test variables."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT_TEST"))}


class TwinFailed(Exception):
    """A twin did not start; one line."""


@dataclass(frozen=True)
class Twin:
    state_dir: Path
    env_file: Path

    def context(self) -> FaultContext:
        return FaultContext.from_files(self.env_file, self.state_dir)


def start_twin(folder: Path, *up_args: str) -> Twin:
    """A twin of its own in `folder`; `up_args`: more `twin up` options (e.g. --issuer-type UPDATED)."""
    folder.mkdir(parents=True, exist_ok=True)
    twin = Twin(folder / "state", folder / "env.toml")
    log = folder / "up.log"
    cmd = [sys.executable, "-m", "twin", "up", "--detach", "--state-dir", str(twin.state_dir),
           "--env-out", str(twin.env_file), *up_args]
    try:
        with log.open("wb") as out:
            rc = subprocess.run(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=UP_TIMEOUT_S,
                                env=child_env(), check=False).returncode
    except subprocess.TimeoutExpired:
        rc = -1
    if rc != 0 or not twin.env_file.is_file():
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
        raise TwinFailed(f"twin in {folder} did not start (exit {rc}): {lines[-1] if lines else 'no output'}")
    return twin


def stop_twin(twin: Twin) -> None:
    subprocess.run([sys.executable, "-m", "twin", "down", "--state-dir", str(twin.state_dir)], cwd=ROOT,
                   capture_output=True, timeout=DOWN_TIMEOUT_S, env=child_env(), check=False)
