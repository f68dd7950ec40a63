"""The OAuth attack checks' steps (fixtures/oauth_flow.py, judged by fixtures/posture/oauth.py) against the twin's
hosted endpoints: on a correct pool every attack is refused where tests/e2e/test_oauth_attacks.py looks for it
(so the e2e checks are not vacuous: codes are really issued and redeemed), and the pool misconfigured by real
boto3 calls (the implicit grant added with UpdateUserPoolClient, an SPA client created with a secret) makes the
checks find it. The attacks Cognito itself refuses whatever the settings (look-alike URIs, a reused code, a wrong
verifier) are shown to fail against a lax server in tests/unit/fixtures/test_oauth_flow.py."""

from __future__ import annotations

from typing import Any

import pytest

from fixtures.oauth_flow import Credentials, HostedUI, OAuthApp, code_apps, pkce_pair, pool_apps
from fixtures.posture.oauth import (
    LOOKALIKE_KINDS,
    implicit_finding,
    logout_lookalike_finding,
    lookalike_finding,
    lookalikes,
    public_client_finding,
    query_value,
    reuse_finding,
    verifier_finding,
)
from tests.twin.controlplane.oauth_support import CALLBACK, LOGOUT, OAuthPool, make_oauth_pool
from twin.controlplane import ControlPlane


@pytest.fixture
def pool(idp: Any, control_plane: ControlPlane) -> OAuthPool:
    return make_oauth_pool(idp, control_plane.url)


def spa_of(idp: Any, pool: OAuthPool) -> OAuthApp:
    return next(app for app in pool_apps(idp, pool.id) if app.client_id == pool.spa_id)


def user_of(pool: OAuthPool) -> Credentials:
    return Credentials(pool.username, pool.password)


@pytest.mark.parametrize("kind", LOOKALIKE_KINDS)
def test_a_lookalike_redirect_uri_ends_on_the_error_page(idp: Any, pool: OAuthPool, kind: str) -> None:
    spa, ui = spa_of(idp, pool), HostedUI(pool.base)
    [(registered, near)] = lookalikes(spa.callback_urls, kind)
    landing = ui.authorize(spa, near, user_of(pool))
    assert (landing.status, landing.location) == (400, None)
    assert landing.url.startswith(f"{pool.base}/error?error=redirect_mismatch")
    assert lookalike_finding(spa.label, kind, registered, near, landing.location) is None
    [(logout, near_logout)] = lookalikes(spa.logout_urls, kind)
    assert logout == LOGOUT
    assert logout_lookalike_finding(spa.label, kind, logout, near_logout, ui.logout(spa, near_logout).location) is None
    assert ui.logout(spa, LOGOUT).location == LOGOUT  # the registered one is redirected to


def test_a_code_is_issued_redeemed_once_and_needs_its_verifier(idp: Any, pool: OAuthPool) -> None:
    [spa] = code_apps(pool_apps(idp, pool.id))  # the M2M client has no code grant
    ui, user = HostedUI(pool.base), user_of(pool)
    verifier, challenge = pkce_pair()
    code, redirect_uri = ui.code(spa, user, challenge)
    assert redirect_uri == CALLBACK
    first = ui.exchange(spa, code, redirect_uri, verifier)
    assert first.status == 200 and first.body and first.body["access_token"]
    assert public_client_finding(spa.label, first.status, first.body) is None
    second = ui.exchange(spa, code, redirect_uri, verifier)
    assert (second.status, second.body) == (400, {"error": "invalid_grant"})
    assert reuse_finding(spa.label, second.status, second.body) is None
    for other in (pkce_pair()[0], None):
        code, redirect_uri = ui.code(spa, user, challenge)
        answer = ui.exchange(spa, code, redirect_uri, other)
        assert answer.status == 400
        assert verifier_finding(spa.label, "wrong", answer.status, answer.body) is None


def test_the_implicit_grant_added_by_update_user_pool_client_is_found(idp: Any, pool: OAuthPool) -> None:
    spa, ui = spa_of(idp, pool), HostedUI(pool.base)
    refused = ui.authorize(spa, CALLBACK, user_of(pool), response_type="token")
    assert query_value(refused.location, "error") == "unauthorized_client"
    assert implicit_finding(spa.label, refused.location) is None
    idp.update_user_pool_client(
        UserPoolId=pool.id,
        ClientId=pool.spa_id,
        AllowedOAuthFlows=["code", "implicit"],
        AllowedOAuthScopes=["openid", "email", "profile"],
        AllowedOAuthFlowsUserPoolClient=True,
        CallbackURLs=[CALLBACK],
        LogoutURLs=[LOGOUT],
        SupportedIdentityProviders=["COGNITO"],
    )
    spa = spa_of(idp, pool)
    granted = ui.authorize(spa, CALLBACK, user_of(pool), response_type="token")
    finding = implicit_finding(spa.label, granted.location)
    assert finding is not None and finding.startswith(f"{spa.label} handed out access_token and id_token")


def test_an_spa_client_with_a_secret_is_found(idp: Any, pool: OAuthPool) -> None:
    described = idp.create_user_pool_client(
        UserPoolId=pool.id,
        ClientName="spa-with-secret",
        GenerateSecret=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid"],
        AllowedOAuthFlowsUserPoolClient=True,
        CallbackURLs=[CALLBACK],
        SupportedIdentityProviders=["COGNITO"],
    )["UserPoolClient"]
    app, ui = OAuthApp.described(described), HostedUI(pool.base)
    verifier, challenge = pkce_pair()
    code, redirect_uri = ui.code(app, user_of(pool), challenge)
    without_secret = OAuthApp.described({**described, "ClientSecret": None})
    answer = ui.exchange(without_secret, code, redirect_uri, verifier)
    finding = public_client_finding(app.label, answer.status, answer.body)
    assert finding is not None and "'invalid_client'" in finding and "client secret" in finding
    code, redirect_uri = ui.code(app, user_of(pool), challenge)
    assert ui.exchange(app, code, redirect_uri, verifier).status == 200  # with its secret (Basic) it works
