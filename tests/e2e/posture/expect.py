"""Expectations for the posture and CORS checks, read from the env file only (never from the deployment)."""

from __future__ import annotations

from urllib.parse import urlsplit

from fixtures.config import EnvConfig
from tests.e2e.posture.cognito import ClientExpectation, PoolExpectation, RedirectExpectation
from tests.e2e.posture.cors import CorsExpectation


def cors_expectation(env: EnvConfig) -> CorsExpectation:
    api = env.api
    return CorsExpectation(
        origins=tuple(api.allowed_origins),
        methods=tuple(api.allowed_methods),
        headers=tuple(api.allowed_headers),
        max_age=api.max_age,
        credentials=api.allow_credentials,
        expose_headers=tuple(api.expose_headers) if api.expose_headers is not None else None,
    )


def redirect_expectation(env: EnvConfig) -> RedirectExpectation:
    """Callback and logout URLs may point at the hosts of the app's origins and at [cognito] redirect_hosts."""
    origin_hosts = [urlsplit(o).hostname for o in env.api.allowed_origins if o != "*"]
    hosts = [h for h in (*origin_hosts, *env.cognito.redirect_hosts) if h]
    return RedirectExpectation(localhost_ok=env.cognito.callback_localhost_allowed, hosts=tuple(dict.fromkeys(hosts)))


def client_expectation(env: EnvConfig) -> ClientExpectation:
    c = env.cognito
    return ClientExpectation(
        auth_flows=tuple(c.allowed_auth_flows),
        redirects=redirect_expectation(env),
        max_refresh_days=c.refresh_token_max_days,
        prevent_user_existence_errors=c.prevent_user_existence_errors_required,
        token_revocation=c.token_revocation_required,
    )


def pool_expectation(env: EnvConfig) -> PoolExpectation:
    c = env.cognito
    return PoolExpectation(
        min_password_length=c.password_min_length,
        password_classes=tuple(c.password_classes),
        self_signup=c.self_signup_allowed,
        deletion_protection=c.deletion_protection_required or env.env.protected,
    )


def db_allowed_cidrs(env: EnvConfig) -> list[str]:
    return list(env.network.db_allowed_cidrs)


def named_clients(env: EnvConfig) -> list[str]:
    """App clients the env file names: the web client and, when given, the short-validity one."""
    return [c for c in (env.cognito.client_id, env.cognito.expiry_client_id) if c]
