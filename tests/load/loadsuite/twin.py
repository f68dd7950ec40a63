"""The default target: a local twin started for this run (`python -m twin up --detach`) and stopped after.

A thin wrapper over the twin's own CLI, so the load suite starts the twin exactly as a person
would; the twin's one-line error becomes the suite's one-line error.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from loadsuite.errors import SetupError

PROJECT_ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_S = 180


class Twin:
    """A detached twin in its own state folder; `env_file` is what it wrote when ready."""

    def __init__(self) -> None:
        self.state_dir = Path(tempfile.mkdtemp(prefix="load-twin-"))
        self.env_file = self.state_dir / "env.toml"
        self.running = False

    def start(self) -> Path:
        cmd = [sys.executable, "-m", "twin", "up", "--detach", "--env-out", str(self.env_file)]
        cmd += ["--state-dir", str(self.state_dir)]
        try:
            done = subprocess.run(
                cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=START_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired:
            self.stop()
            raise SetupError(f"the local twin was not ready within {START_TIMEOUT_S} s; pass --env-file") from None
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise SetupError(f"could not start the local twin: {last}")
        self.running = True
        return self.env_file

    def stop(self) -> None:
        """`twin down`, then the state folder goes too (kept when down fails, for its logs)."""
        done = subprocess.run(
            [sys.executable, "-m", "twin", "down", "--state-dir", str(self.state_dir)],
            cwd=PROJECT_ROOT,
            capture_output=True,
            timeout=60,
            check=False,
        )
        self.running = False
        if done.returncode == 0:
            shutil.rmtree(self.state_dir, ignore_errors=True)
