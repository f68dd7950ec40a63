"""Cognito posture rules on describe_user_pool(_client) shapes: the twin's healthy values and broken ones."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from fixtures.config import load_config
from fixtures.posture.cognito import (
    ClientExpectation,
    PoolExpectation,
    RedirectExpectation,
    client_findings,
    pool_findings,
    redirect_findings,
    token_seconds,
)
from fixtures.posture.expect import pool_expectation, redirect_expectation

EXAMPLE = Path(__file__).resolve().parents[3] / "env" / "example.toml"
FLOWS = (
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
)
GOOD_CLIENT = {
    "ClientName": "learninghub-web-client",
    "ClientId": "abc",
    "ExplicitAuthFlows": list(FLOWS),
    "AllowedOAuthFlows": ["code"],
    "CallbackURLs": ["https://app.learninghub.test/callback"],
    "AccessTokenValidity": 60,
    "IdTokenValidity": 60,
    "RefreshTokenValidity": 30,
    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
    "PreventUserExistenceErrors": "ENABLED",
    "EnableTokenRevocation": True,
}
GOOD_POOL: dict[str, Any] = {  # DescribeUserPool's shape, as the rules take it
    "Id": "us-east-1_x",
    "Name": "learninghub-userpool",
    "Policies": {
        "PasswordPolicy": {
            "MinimumLength": 12,
            "RequireUppercase": True,
            "RequireLowercase": True,
            "RequireNumbers": True,
            "RequireSymbols": True,
            "TemporaryPasswordValidityDays": 7,
        }
    },
    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
}
APP_HOSTS = RedirectExpectation(hosts=("app.learninghub.test",))
CLIENT_EXPECT = ClientExpectation(auth_flows=FLOWS, redirects=APP_HOSTS)
POOL_EXPECT = PoolExpectation(min_password_length=12)


def test_healthy_client_and_pool_have_no_findings() -> None:
    assert client_findings(GOOD_CLIENT, CLIENT_EXPECT) == []
    assert pool_findings(GOOD_POOL, POOL_EXPECT) == []


def test_token_seconds_units_and_defaults() -> None:
    assert token_seconds(GOOD_CLIENT, "AccessToken") == 3600
    assert token_seconds({}, "AccessToken") == 3600
    assert token_seconds({}, "RefreshToken") == 30 * 86400
    assert token_seconds({"IdTokenValidity": 2}, "IdToken") == 7200  # hours by default
    assert (
        token_seconds({"RefreshTokenValidity": 60, "TokenValidityUnits": {"RefreshToken": "minutes"}}, "RefreshToken")
        == 3600
    )


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"ClientSecret": "s3cr3t-value"}, "client secret"),
        ({"AllowedOAuthFlows": ["code", "implicit"]}, "implicit grant"),
        ({"CallbackURLs": ["http://app.learninghub.test/callback"]}, "non-https"),
        ({"CallbackURLs": ["http://localhost:3000/callback"]}, "local URL"),
        ({"LogoutURLs": ["http://app.learninghub.test/"]}, "LogoutURLs"),
        ({"DefaultRedirectURI": "https://elsewhere.test/cb"}, "DefaultRedirectURI"),
        ({"CallbackURLs": ["https://learninghub-preview.vercel.app/callback"]}, "none of the app's hosts"),
        ({"LogoutURLs": ["https://app.learninghub.test.evil.com/"]}, "none of the app's hosts"),
        ({"ExplicitAuthFlows": [*FLOWS, "ALLOW_CUSTOM_AUTH"]}, "unexpected ['ALLOW_CUSTOM_AUTH']"),
        ({"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH"]}, "missing"),
        ({"AccessTokenValidity": 2, "TokenValidityUnits": {"AccessToken": "days"}}, "AccessTokens valid for 48 h"),
        ({"IdTokenValidity": 25, "TokenValidityUnits": {"IdToken": "hours"}}, "IdTokens"),
        ({"RefreshTokenValidity": 3650}, "3650 days"),
        ({"PreventUserExistenceErrors": "LEGACY"}, "reveals whether a user exists"),
        ({"EnableTokenRevocation": False}, "token revocation off"),
    ],
)
def test_bad_client_is_reported(change: dict, needle: str) -> None:
    findings = client_findings({**GOOD_CLIENT, **change}, CLIENT_EXPECT)
    assert any(needle in f for f in findings), findings
    assert all("s3cr3t-value" not in f for f in findings)  # the secret itself is never printed
    assert all("\n" not in f for f in findings)


def test_localhost_callbacks_allowed_by_env() -> None:
    client = {**GOOD_CLIENT, "CallbackURLs": ["http://localhost:3000/callback", "https://app.learninghub.test/cb"]}
    local_ok = RedirectExpectation(localhost_ok=True, hosts=APP_HOSTS.hosts)
    assert client_findings(client, ClientExpectation(auth_flows=FLOWS, redirects=local_ok)) == []


def test_redirect_hosts_are_globs_matched_without_case() -> None:
    client = {"CallbackURLs": ["https://Auth.Example.com/cb", "https://app.learninghub.test/cb"]}
    assert redirect_findings(client, RedirectExpectation(hosts=("*.example.com", "app.learninghub.test"))) == []
    assert redirect_findings(client, RedirectExpectation(hosts=("example.com", "app.learninghub.test")))
    assert redirect_findings(client, RedirectExpectation()) == []  # no hosts declared: any https host


def test_redirect_findings_apply_to_any_client() -> None:
    assert redirect_findings({"ClientName": "backend", "ClientSecret": "x"}, APP_HOSTS) == []
    assert redirect_findings({"AllowedOAuthFlows": ["implicit"]}, APP_HOSTS)


@pytest.mark.parametrize(
    ("policy_change", "pool_change", "needle"),
    [
        ({"MinimumLength": 8}, {}, "8 characters"),
        ({"RequireSymbols": False}, {}, "symbols"),
        ({"RequireUppercase": False}, {}, "uppercase"),
        ({"TemporaryPasswordValidityDays": 30}, {}, "30 days"),
        ({}, {"AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False}}, "anyone sign up"),
    ],
)
def test_bad_pool_is_reported(policy_change: dict, pool_change: dict, needle: str) -> None:
    pool = {
        **GOOD_POOL,
        **pool_change,
        "Policies": {"PasswordPolicy": {**GOOD_POOL["Policies"]["PasswordPolicy"], **policy_change}},
    }
    findings = pool_findings(pool, POOL_EXPECT)
    assert any(needle in f for f in findings), findings


def test_pool_expectations_from_env_switch_rules() -> None:
    open_pool = {**GOOD_POOL, "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False}}
    assert pool_findings(open_pool, PoolExpectation(min_password_length=12, self_signup=True)) == []
    assert pool_findings(GOOD_POOL, PoolExpectation(min_password_length=12, self_signup=True))
    protected = PoolExpectation(min_password_length=12, deletion_protection=True)
    assert any("deletion protection" in f for f in pool_findings(GOOD_POOL, protected))
    assert pool_findings({**GOOD_POOL, "DeletionProtection": "ACTIVE"}, protected) == []
    weak = {**GOOD_POOL, "Policies": {"PasswordPolicy": {"MinimumLength": 14}}}
    assert pool_findings(weak, PoolExpectation(min_password_length=14, password_classes=())) == []


def test_redirect_hosts_come_from_the_origins_and_the_env_key() -> None:
    example = Path(__file__).resolve().parents[3] / "env" / "example.toml"
    plain = redirect_expectation(load_config(example, environ={}))
    assert plain == RedirectExpectation(localhost_ok=False, hosts=("app.example.com",))
    extra = redirect_expectation(load_config(example, environ={"E2E_COGNITO__REDIRECT_HOSTS": "auth.example.com"}))
    assert extra.hosts == ("app.example.com", "auth.example.com")


def test_revocation_and_user_existence_checks_follow_the_env_file() -> None:
    lax = {**GOOD_CLIENT, "EnableTokenRevocation": False, "PreventUserExistenceErrors": "LEGACY"}
    assert len(client_findings(lax, CLIENT_EXPECT)) == 2
    relaxed = dataclasses.replace(CLIENT_EXPECT, token_revocation=False, prevent_user_existence_errors=False)
    assert client_findings(lax, relaxed) == []


def test_deletion_protection_required_by_the_env_file_or_a_protected_environment(tmp_path: Path) -> None:
    text = EXAMPLE.read_text()
    for old, new in (
        ("deletion_protection_required = false", "deletion_protection_required = true"),
        ("protected = false", "protected = true"),
    ):
        (tmp_path / "env.toml").write_text(text.replace(old, new, 1))
        assert pool_expectation(load_config(tmp_path / "env.toml", environ={})).deletion_protection
    (tmp_path / "env.toml").write_text(text)
    assert not pool_expectation(load_config(tmp_path / "env.toml", environ={})).deletion_protection
