"""How the load suite's tests start Locust: the command line, the environment, the collected result."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from loopback_stack import CREDENTIALS

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
LOCUST = Path(sys.executable).parent / "locust"
# A ceiling for a hung Locust process, never a measure: runs of a few seconds end within 20 s on a loaded
# 2-core machine, the longest (a 60 s shape) within 90 s.
RUN_CEILING_S = 240


@dataclass
class LocustRun:
    returncode: int
    stdout: str
    stderr: str
    report_dir: Path

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def report_texts(self) -> dict[str, str]:
        return {p.name: p.read_text(errors="replace") for p in self.report_dir.glob("*") if p.suffix != ".png"}


def locust_cmd(*args: str) -> list[str]:
    return [str(LOCUST), "-f", str(LOCUSTFILE), *args]


def locust_env() -> dict[str, str]:
    # Dummy credentials: the suite talks only to the loopback stack, never to real AWS.
    return {**os.environ, **CREDENTIALS, "PYTHONUNBUFFERED": "1"}
