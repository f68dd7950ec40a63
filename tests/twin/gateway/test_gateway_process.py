"""The gateway as a process: READY line, clean stop with its workers ended, one-line errors, the default API on
the bare address, and configuration changes within a second (the guide's CLI commands: tests/twin/test_guide_cli.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.twin.gateway.gateway_support import (
    ROOT,
    GatewayProcess,
    OidcServer,
    call,
    deploy_api,
    eventually,
    mint,
    start_gateway,
    wait_routed,
)
from twin.state import StateLayout, alive


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stops_cleanly_with_workers_ended(control_url: str, clients: dict[str, Any], tmp_path: Path, sig: int) -> None:
    deployed = deploy_api(clients, {"GET /p": {}})
    gw = start_gateway(control_url, tmp_path, "--default-api-id", deployed.api_id)
    try:
        assert gw.url == f"http://127.0.0.1:{gw.port}"
        pid = eventually(lambda: (r := requests.get(gw.url + "/p", timeout=10)).status_code == 200 and r.json()["pid"])
        assert alive(pid)
    finally:
        code = gw.stop(sig)
    assert code == 0, gw.stderr()
    assert not alive(pid)
    assert "Traceback" not in gw.stderr()
    logs = "".join(p.read_text() for p in (StateLayout(tmp_path).lambda_logs / deployed.function).glob("*.log"))
    assert logs.count("START RequestId") >= 1


def test_bare_address_serves_the_default_api(control_url: str, clients: dict[str, Any], tmp_path: Path) -> None:
    deployed = deploy_api(clients, {"GET /p": {}})
    other = deploy_api(clients, {"GET /q": {}})
    gw = start_gateway(control_url, tmp_path, "--default-api-id", deployed.api_id)
    try:
        for host in (f"127.0.0.1:{gw.port}", f"localhost:{gw.port}"):
            resp = requests.get(gw.url + "/p", headers={"Host": host}, timeout=10)
            assert resp.status_code == 200, host
            assert resp.json()["event"]["requestContext"]["apiId"] == deployed.api_id
        assert call(gw, other.api_id, "GET", "/q").status_code == 200  # every other API by its Host name
        assert requests.get(gw.url + "/q", timeout=10).status_code == 404
    finally:
        assert gw.stop() == 0


def run_gateway(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "twin.gateway", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--control-url", "http://example.com:5000", "--state-dir", "/tmp/x"], "must be an http URL on 127.0.0.1"),
        (["--control-url", "http://127.0.0.1:1", "--state-dir", "/tmp/x", "--issuer-map", "nourl"], "ISSUER=URL"),
        (["--control-url", "http://127.0.0.1:1", "--state-dir", "/tmp/x", "--port", "70000"], "is not a port"),
        (
            ["--control-url", "http://127.0.0.1:1", "--state-dir", "/tmp/x", "--startup-timeout", "0.5"],
            "cannot read the control plane",
        ),
    ],
)
def test_bad_input_is_one_line(args: list[str], needle: str) -> None:
    result = run_gateway(*args)
    assert result.returncode != 0
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stdout == ""


def test_changes_reach_a_running_gateway(gateway: GatewayProcess, clients: dict[str, Any]) -> None:
    """A new route and a CORS change are served without a restart. How fast (within a second on an idle machine)
    is a figure of bench/bench_gateway.py, not an assertion: a loaded machine stretches any refresh round."""
    deployed = deploy_api(clients, {"GET /a": {}})
    wait_routed(gateway, deployed.api_id, "GET", "/a", "GET /a")
    apigw = clients["apigatewayv2"]
    apigw.create_route(ApiId=deployed.api_id, RouteKey="GET /b", Target=f"integrations/{deployed.integration_id}")
    wait_routed(gateway, deployed.api_id, "GET", "/b", "GET /b")
    apigw.update_api(ApiId=deployed.api_id, CorsConfiguration={"AllowOrigins": ["https://late.test"]})
    eventually(
        lambda: (
            call(gateway, deployed.api_id, "GET", "/a", headers={"Origin": "https://late.test"}).headers.get(
                "access-control-allow-origin"
            )
            == "https://late.test"
        )
    )


def test_ready_line_is_the_only_stdout(control_url: str, tmp_path: Path) -> None:
    gw = start_gateway(control_url, tmp_path)
    assert gw.stop() == 0
    assert gw.proc.stdout is not None
    assert gw.proc.stdout.read() == ""


def test_jwt_leeway_is_configurable(
    control_url: str, clients: dict[str, Any], oidc: OidcServer, tmp_path: Path
) -> None:
    deployed = deploy_api(clients, {"GET /s": {"auth": True}}, issuer=OidcServer.issuer_id("main"))
    issuer = oidc.issuers["main"]
    gw = start_gateway(
        control_url, tmp_path, "--jwt-leeway", "30", "--issuer-map", f"{OidcServer.issuer_id('main')}={oidc.url}/main"
    )
    now = int(time.time())
    try:
        late = mint(issuer, {"aud": "client-a", "exp": now - 10})
        early = mint(issuer, {"aud": "client-a", "nbf": now + 10, "iat": now + 10})
        too_late = mint(issuer, {"aud": "client-a", "exp": now - 60})
        assert call(gw, deployed.api_id, "GET", "/s", token=late).status_code == 200
        assert call(gw, deployed.api_id, "GET", "/s", token=early).status_code == 200
        assert call(gw, deployed.api_id, "GET", "/s", token=too_late).status_code == 401
    finally:
        assert gw.stop() == 0
