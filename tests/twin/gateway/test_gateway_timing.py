"""AWS timing in the gateway: a changed Lambda resource policy or authorizer configuration takes effect only after
`--propagation-delay` (or TWIN_GATEWAY_PROPAGATION_DELAY_S), and the JWT authorizer's key cache refetches a
key set at most once per interval when a token names a kid it does not know.

The rules run on fake clocks; through real gateway processes the tests wait for states only: a delay of an hour
proves a change is held (a route added after it is served, the old policy and authorizer still are), a delay
of a second that it lands (eventually the new answer), and the number of key-set responses that carried a new
key proves a single refetch."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from tests.twin.gateway.gateway_support import (
    ROOT,
    Deployed,
    GatewayProcess,
    Issuer,
    OidcServer,
    call,
    create_function,
    deploy_api,
    eventually,
    grant,
    mint,
    start_gateway,
    wait_routed,
)
from twin.gateway import jwks
from twin.gateway.authorizer import AuthorizerConfig
from twin.gateway.jwks import UNKNOWN_KID_REFETCH_S, IssuerMap, KeyStore
from twin.gateway.policy import ResourcePolicy
from twin.gateway.refresher import PROPAGATION_ENV, Propagation
from twin.gateway.routing import RouteTable
from twin.gateway.snapshot import ApiSnapshot, Snapshot

HOUR_S = 3600.0
GRANT_SID = "gt-any-api"


class RecordingIssuer(Issuer):
    """An issuer that remembers which kids each JWKS response carried."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.served: list[set[str]] = []

    def jwks(self) -> dict[str, Any]:
        self.served.append(set(self.keys))
        return super().jwks()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# --- the propagation rules ----------------------------------------------------------------------------------


def policy(sid: str) -> ResourcePolicy:
    return ResourcePolicy.parse(json.dumps({"Statement": [{"Sid": sid, "Effect": "Allow"}]}))


def authorizer(audience: str) -> AuthorizerConfig:
    return AuthorizerConfig("au1", "JWT", ("$request.header.Authorization",), "https://idp.test/x", (audience,))


def snapshot(
    policies: dict[str, ResourcePolicy | None], authorizers: dict[str, AuthorizerConfig | None], api_name: str = "api"
) -> Snapshot:
    api = ApiSnapshot("a1", api_name, None, RouteTable([]), {}, authorizers, True)
    return Snapshot(apis={"a1": api}, policies=policies)


def test_a_change_is_served_once_observed_for_the_delay() -> None:
    clock = Clock()
    prop = Propagation(2.0, clock)
    served = prop.apply(Snapshot({}, {}), snapshot({"fn": policy("old")}, {"au1": authorizer("a")}))
    assert served.policies["fn"] == policy("old")  # the first read is served as is: the start has settled
    changed = snapshot({"fn": policy("new")}, {"au1": authorizer("b")}, api_name="renamed")
    served = prop.apply(served, changed)
    assert served.policies["fn"] == policy("old")
    assert served.apis["a1"].authorizers["au1"] == authorizer("a")
    assert served.apis["a1"].name == "renamed"  # everything else shows at once
    assert prop.pending() == 2
    clock.now += 1.5
    served = prop.apply(served, changed)
    assert served.policies["fn"] == policy("old")
    clock.now += 0.5
    served = prop.apply(served, changed)
    assert served.policies["fn"] == policy("new")
    assert served.apis["a1"].authorizers["au1"] == authorizer("b")
    assert prop.pending() == 0


def test_a_newer_change_restarts_the_wait_and_an_undone_one_never_shows() -> None:
    clock = Clock()
    prop = Propagation(2.0, clock)
    served = prop.apply(Snapshot({}, {}), snapshot({"fn": policy("v1")}, {}))
    served = prop.apply(served, snapshot({"fn": None}, {}))  # RemovePermission
    clock.now += 1.5
    served = prop.apply(served, snapshot({"fn": policy("v3")}, {}))  # a new permission: its own delay
    clock.now += 1.5
    served = prop.apply(served, snapshot({"fn": policy("v3")}, {}))
    assert served.policies["fn"] == policy("v1")
    clock.now += 0.5
    served = prop.apply(served, snapshot({"fn": policy("v3")}, {}))
    assert served.policies["fn"] == policy("v3")
    served = prop.apply(served, snapshot({"fn": None}, {}))
    clock.now += 1.0
    served = prop.apply(served, snapshot({"fn": policy("v3")}, {}))  # undone within the delay
    clock.now += 5.0
    served = prop.apply(served, snapshot({"fn": policy("v3")}, {}))
    assert served.policies["fn"] == policy("v3") and prop.pending() == 0


def test_what_was_never_served_is_not_delayed() -> None:
    clock = Clock()
    prop = Propagation(HOUR_S, clock)
    served = prop.apply(Snapshot({}, {}), Snapshot({}, {}))
    # A new API with its authorizer and the policy of a function no served API targeted come with a deployment.
    served = prop.apply(served, snapshot({"fn": policy("p")}, {"au1": authorizer("a")}))
    assert served.policies["fn"] == policy("p")
    assert served.apis["a1"].authorizers["au1"] == authorizer("a")
    off = Propagation(0.0, clock)
    served = off.apply(Snapshot({}, {}), snapshot({"fn": policy("p")}, {}))
    assert off.apply(served, snapshot({"fn": None}, {})).policies["fn"] is None  # 0: every change at once


# --- the key cache --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def oidc() -> Iterator[OidcServer]:
    server = OidcServer()
    for name in ("gt-main", "gt-jwks", "gt-unit"):
        server.issuers[name] = RecordingIssuer(name)
        server.issuers[name].add_key(f"{name}-k1")
    yield server
    server.stop()


def test_an_unknown_kid_refetches_at_most_once_per_interval(oidc: OidcServer, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(jwks, "time", mock.Mock(monotonic=clock))
    issuer_id = OidcServer.issuer_id("gt-unit")
    store = KeyStore(IssuerMap("http://127.0.0.1:9", {issuer_id: f"{oidc.url}/gt-unit"}))
    issuer = oidc.issuers["gt-unit"]
    assert isinstance(issuer, RecordingIssuer)

    def known(kid: str) -> bool:
        return asyncio.run(store.key_for(issuer_id, kid))[1] is not None

    assert known("gt-unit-k1")
    assert len(issuer.served) == 1
    issuer.add_key("gt-unit-k2")  # published after the cache was filled
    clock.now += 1.0
    assert not known("gt-unit-k2")  # within the interval of the last fetch: no refetch
    clock.now += UNKNOWN_KID_REFETCH_S - 1.5
    assert not known("gt-unit-k2")
    assert len(issuer.served) == 1
    clock.now += 0.5
    assert known("gt-unit-k2")  # the interval has passed: one refetch, which finds it
    assert len(issuer.served) == 2
    clock.now += 0.5
    assert not known("nope")  # a kid nobody publishes: no refetch before the interval ...
    assert len(issuer.served) == 2
    clock.now += UNKNOWN_KID_REFETCH_S
    assert not known("nope")  # ... then one, still without it
    assert not known("nope")
    assert len(issuer.served) == 3
    assert known("gt-unit-k1")  # known kids never refetch ...
    clock.now += jwks.KEY_TTL_S
    assert known("gt-unit-k1")  # ... until the cached set is two hours old
    assert len(issuer.served) == 4


# --- through the gateway ------------------------------------------------------------------------------------


def issuer_maps(oidc: OidcServer, *names: str) -> list[str]:
    return [arg for name in names for arg in ("--issuer-map", f"{OidcServer.issuer_id(name)}={oidc.url}/{name}")]


@pytest.fixture(scope="module")
def held_gateway(
    control_url: str, oidc: OidcServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    """Changes are held for an hour: longer than any test."""
    gw = start_gateway(
        control_url,
        tmp_path_factory.mktemp("gw-held"),
        *issuer_maps(oidc, "gt-main", "gt-jwks"),
        "--refresh-interval",
        "0.3",
        "--propagation-delay",
        str(HOUR_S),
    )
    yield gw
    assert gw.stop() == 0, gw.stderr()


@pytest.fixture(scope="module")
def quick_gateway(
    control_url: str, oidc: OidcServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    """Changes land a second after they are seen; the setting comes from the environment."""
    with mock.patch.dict(os.environ, {PROPAGATION_ENV: "1"}):
        gw = start_gateway(
            control_url, tmp_path_factory.mktemp("gw-quick"), *issuer_maps(oidc, "gt-main"), "--refresh-interval", "0.3"
        )
    yield gw
    assert gw.stop() == 0, gw.stderr()


def grant_any_api(clients: dict[str, Any], function: str) -> None:
    grant(clients, function, "*", "*/*/*", sid=GRANT_SID)


def protected_api(clients: dict[str, Any], gw: GatewayProcess, issuer: str = "gt-main") -> Deployed:
    """An API whose function may be invoked before the gateway first reads the API: a permission added after
    that read would be a change, held for the delay (deploy_api grants last)."""
    function = f"gt-fn-{uuid.uuid4().hex[:8]}"
    create_function(clients, function)
    grant_any_api(clients, function)
    deployed = deploy_api(
        clients,
        {"GET /a": {"auth": True}, "GET /open": {}},
        function=function,
        permission=None,
        issuer=OidcServer.issuer_id(issuer),
        audience=["client-a"],
    )
    wait_routed(gw, deployed.api_id, "GET", "/open", "GET /open")
    return deployed


def add_route(clients: dict[str, Any], deployed: Deployed, key: str) -> None:
    clients["apigatewayv2"].create_route(
        ApiId=deployed.api_id, RouteKey=key, Target=f"integrations/{deployed.integration_id}"
    )


def test_permission_and_authorizer_changes_are_held_for_the_delay(
    clients: dict[str, Any], held_gateway: GatewayProcess, oidc: OidcServer
) -> None:
    gw, issuer = held_gateway, oidc.issuers["gt-main"]
    deployed = protected_api(clients, gw)
    assert call(gw, deployed.api_id, "GET", "/a", token=mint(issuer, {"aud": "client-a"})).status_code == 200
    clients["lambda"].remove_permission(FunctionName=deployed.function, StatementId=GRANT_SID)
    clients["apigatewayv2"].update_authorizer(
        ApiId=deployed.api_id,
        AuthorizerId=deployed.authorizer_id,
        JwtConfiguration={"Issuer": OidcServer.issuer_id("gt-main"), "Audience": ["client-z"]},
    )
    # A route made after both changes: once it is served, the round that read it had read both changes too
    # (an API's routes are read before its authorizers, its function's policy after every API of the round).
    add_route(clients, deployed, "GET /marker")
    wait_routed(gw, deployed.api_id, "GET", "/marker", "GET /marker")  # 200: the old permission still holds
    assert call(gw, deployed.api_id, "GET", "/a", token=mint(issuer, {"aud": "client-a"})).status_code == 200
    assert call(gw, deployed.api_id, "GET", "/a", token=mint(issuer, {"aud": "client-z"})).status_code == 401


def test_permission_and_authorizer_changes_land_after_the_delay(
    clients: dict[str, Any], quick_gateway: GatewayProcess, oidc: OidcServer
) -> None:
    gw, issuer = quick_gateway, oidc.issuers["gt-main"]
    deployed = protected_api(clients, gw)
    clients["apigatewayv2"].update_authorizer(
        ApiId=deployed.api_id,
        AuthorizerId=deployed.authorizer_id,
        JwtConfiguration={"Issuer": OidcServer.issuer_id("gt-main"), "Audience": ["client-z"]},
    )
    eventually(
        lambda: call(gw, deployed.api_id, "GET", "/a", token=mint(issuer, {"aud": "client-z"})).status_code == 200
    )
    assert call(gw, deployed.api_id, "GET", "/a", token=mint(issuer, {"aud": "client-a"})).status_code == 401
    clients["lambda"].remove_permission(FunctionName=deployed.function, StatementId=GRANT_SID)
    eventually(lambda: call(gw, deployed.api_id, "GET", "/open").status_code == 500)
    grant_any_api(clients, deployed.function)
    wait_routed(gw, deployed.api_id, "GET", "/open", "GET /open")


def test_a_kid_published_after_the_cache_was_filled_is_accepted_after_one_refetch(
    clients: dict[str, Any], held_gateway: GatewayProcess, oidc: OidcServer
) -> None:
    gw, issuer = held_gateway, oidc.issuers["gt-jwks"]
    assert isinstance(issuer, RecordingIssuer)
    deployed = protected_api(clients, gw, "gt-jwks")
    assert call(gw, deployed.api_id, "GET", "/a", token=mint(issuer, {"aud": "client-a"})).status_code == 200
    # An unknown kid right after the fill: refused, and the refetch it may trigger starts the interval anew.
    stranger = mint(issuer, {"aud": "client-a"}, kid="gt-jwks-k9", key=issuer.keys["gt-jwks-k1"])
    resp = call(gw, deployed.api_id, "GET", "/a", token=stranger)
    assert resp.status_code == 401
    assert (
        'error_description="no key in the issuer\'s jwks_uri matches kid gt-jwks-k9"'
        in (resp.headers["www-authenticate"])
    )
    issuer.add_key("gt-jwks-k2")
    fresh = mint(issuer, {"aud": "client-a"}, kid="gt-jwks-k2")
    refusals: set[str] = set()

    def accepted() -> bool:
        answer = call(gw, deployed.api_id, "GET", "/a", token=fresh)
        if answer.status_code != 200:
            refusals.add(f"{answer.status_code} {answer.headers.get('www-authenticate')}")
        return answer.status_code == 200

    eventually(accepted, timeout=UNKNOWN_KID_REFETCH_S + 30, interval=0.1)
    # Until the refetch, the only answer was the unknown-kid refusal; one key-set response carried the new key.
    assert refusals <= {
        '401 Bearer scope="" error="invalid_token" error_description="no key in the issuer\'s '
        'jwks_uri matches kid gt-jwks-k2"'
    }
    assert sum("gt-jwks-k2" in kids for kids in issuer.served) == 1


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (
            ["--propagation-delay", "soon"],
            {},
            "twin.gateway: --propagation-delay must be a number of seconds, got 'soon'",
        ),
        ([], {PROPAGATION_ENV: "-1"}, f"twin.gateway: {PROPAGATION_ENV} must be between 0 and 86400 seconds, got '-1'"),
        (
            ["--log-delay-min", "2", "--log-delay-max", "1"],
            {},
            "twin.gateway: the minimum log delay (2 s) is above the maximum (1 s)",
        ),
        (["--log-delay-max", "x"], {}, "twin.gateway: --log-delay-max must be a number of seconds, got 'x'"),
    ],
)
def test_bad_timing_settings_are_one_line(tmp_path: Path, args: list[str], env: dict[str, str], line: str) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "twin.gateway",
            "--control-url",
            "http://127.0.0.1:9",
            "--state-dir",
            str(tmp_path),
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == line
