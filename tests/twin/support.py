"""Helpers shared by the twin's component tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from twin.services import start_service, stop_services, wait_ready
from twin.state import TwinState, read_state

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def control_plane_child(folder: Path) -> Iterator[str]:
    """A control plane in its own process (its own moto state), yielding its URL."""
    service = start_service("controlplane", "twin.controlplane", ["--port", "0"], folder, env={"PYTHONPATH": str(ROOT)})
    try:
        yield str(wait_ready(service, timeout_s=60)["url"])
    finally:
        stop_services([service])


def running_state(state_dir: Path) -> TwinState:
    """The state of the twin that must be running in `state_dir`."""
    state = read_state(state_dir)
    assert state is not None, f"no twin runs in {state_dir}"
    return state


def secret_hash(secret: str, username: str, client_id: str) -> str:
    """Cognito's SECRET_HASH, computed here from AWS's documented formula (not the harness's code)."""
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
