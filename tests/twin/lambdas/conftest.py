"""Fixtures of the Lambda runner tests: one control plane per module and the clients the runner needs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.twin.gateway.gateway_support import REGION
from twin.controlplane import start_control_plane
from twin.lambdas.aws import control_client


@pytest.fixture(scope="module")
def control_url() -> Iterator[str]:
    plane = start_control_plane()
    yield plane.url
    plane.stop()


@pytest.fixture(scope="module")
def clients(control_url: str) -> dict[str, Any]:
    return {name: control_client(name, control_url, REGION) for name in ("lambda", "iam", "logs")}
