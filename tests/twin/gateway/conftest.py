"""Session fixtures of the gateway tests: a control plane, an OIDC issuer with the tests' own keys, and one
gateway process serving every API the tests create (each test addresses its own API by Host header)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.twin.gateway.gateway_support import REGION, GatewayProcess, OidcServer, start_gateway
from twin.controlplane import start_control_plane
from twin.lambdas.aws import control_client

ISSUER_NAMES = ("main", "rotate", "slow", "huge", "other")


@pytest.fixture(scope="session")
def control_url() -> Iterator[str]:
    plane = start_control_plane()
    yield plane.url
    plane.stop()


@pytest.fixture(scope="session")
def clients(control_url: str) -> dict[str, Any]:
    return {
        name: control_client(name, control_url, REGION)
        for name in ("apigatewayv2", "lambda", "iam", "logs", "cognito-idp")
    }


@pytest.fixture(scope="session")
def oidc() -> Iterator[OidcServer]:
    server = OidcServer()
    for name in ISSUER_NAMES:
        server.add(name)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def gateway(control_url: str, oidc: OidcServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    maps = [arg for name in ISSUER_NAMES for arg in ("--issuer-map", f"{OidcServer.issuer_id(name)}={oidc.url}/{name}")]
    gw = start_gateway(control_url, Path(tmp_path_factory.mktemp("gateway-state")), *maps, "--refresh-interval", "0.3")
    yield gw
    code = gw.stop()
    assert code == 0, gw.stderr()
