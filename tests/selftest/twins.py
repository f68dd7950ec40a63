"""The self-test's twins: each lane and module gets a fresh twin of its own (own ports and state) from
the project's launcher (`fixtures.local_twin`), and a fault context on it.

Hand-written glue: what the self-test adds to the launcher is only the fault context.
"""

from __future__ import annotations

from pathlib import Path

from fixtures.local_twin import LaunchedTwin
from twin.faults import FaultContext

ROOT = Path(__file__).resolve().parents[2]


def fault_context(twin: LaunchedTwin) -> FaultContext:
    """The context faults are applied in: the twin's env file and state folder (sa password, SQL port)."""
    return FaultContext.from_files(twin.env_file, twin.state_dir)
