"""A control plane of its own per test module: `python -m twin.controlplane --port 0` as a child
process, so moto's process-global state holds only what the module's provisioning made."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.twin.support import control_plane_child


@pytest.fixture(scope="module")
def control_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with control_plane_child(tmp_path_factory.mktemp("controlplane")) as url:
        yield url


@pytest.fixture(scope="module")
def aws(control_url: str) -> Callable[[str], Any]:
    """aws("iam") -> a boto3 client bound to the module's control plane, retries off."""
    session = boto3.session.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1")
    config = Config(retries={"total_max_attempts": 1})
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = session.client(service, endpoint_url=control_url, config=config)
        return clients[service]

    return client
