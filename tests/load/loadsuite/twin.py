"""The default target: a local twin started for this run and stopped after, by the project's launcher
(`fixtures.local_twin`, which runs `python -m twin up --detach` as a person would).

Its two halves, not its `with` block: Locust's hooks start the twin in `init` and stop it in the
cleanup. The launcher's one-line error becomes the suite's one-line error.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fixtures.local_twin import LaunchedTwin, TwinStartError, launch_twin

from .errors import SetupError

PROJECT_ROOT = Path(__file__).resolve().parents[3]


class Twin:
    """A detached twin in a temporary folder of its own; `env_file` is what it wrote when ready."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="load-twin-"))
        self.state_dir = self.folder / "state"
        self.env_file = self.folder / "env.toml"
        self.running = False
        self._launched: LaunchedTwin | None = None

    def start(self) -> Path:
        try:
            self._launched = launch_twin(self.folder, state_dir=self.state_dir, env_out=self.env_file)
        except TwinStartError as exc:
            raise SetupError(f"{exc}; or pass --env-file") from None
        self.running = True
        return self.env_file

    def stop(self) -> None:
        """`twin down`, then the folder goes too (kept when down fails, for its logs)."""
        problem = self._launched.down() if self._launched is not None else None
        self.running = False
        if problem is None:
            shutil.rmtree(self.folder, ignore_errors=True)
