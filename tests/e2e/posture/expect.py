"""Expectations for the posture and CORS checks, read from the env file only (never from the deployment).

Keys this part would like in the env contract but that are not there yet are read with getattr and a
safe default, so the checks run today and honour the keys once fixtures.config declares them:
[cognito] self_signup_allowed / refresh_token_max_days / password_classes, [network] db_allowed_cidrs.
([api] expose_headers is declared; it is read the same way because None means "the env does not say".)
"""

from __future__ import annotations

from typing import Any

from tests.e2e.posture.cognito import PASSWORD_CLASSES, ClientExpectation, PoolExpectation
from tests.e2e.posture.cors import CorsExpectation


def _opt(section: Any, key: str, default: Any) -> Any:
    value = getattr(section, key, None)
    return default if value is None else value


def cors_expectation(env: Any) -> CorsExpectation:
    api = env.api
    expose = _opt(api, "expose_headers", None)
    return CorsExpectation(
        origins=tuple(api.allowed_origins),
        methods=tuple(api.allowed_methods),
        headers=tuple(api.allowed_headers),
        max_age=api.max_age,
        credentials=api.allow_credentials,
        expose_headers=tuple(expose) if expose is not None else None,
    )


def client_expectation(env: Any) -> ClientExpectation:
    c = env.cognito
    return ClientExpectation(
        auth_flows=tuple(c.allowed_auth_flows),
        localhost_callbacks=c.callback_localhost_allowed,
        max_refresh_days=int(_opt(c, "refresh_token_max_days", 30)),
    )


def pool_expectation(env: Any) -> PoolExpectation:
    c = env.cognito
    return PoolExpectation(
        min_password_length=c.password_min_length,
        password_classes=tuple(_opt(c, "password_classes", list(PASSWORD_CLASSES))),
        self_signup=bool(_opt(c, "self_signup_allowed", False)),
        deletion_protection=env.env.protected,
    )


def db_allowed_cidrs(env: Any) -> list[str]:
    return list(_opt(env.network, "db_allowed_cidrs", []))


def named_clients(env: Any) -> list[str]:
    """App clients the env file names: the web client and, when given, the short-validity one."""
    return [c for c in (env.cognito.client_id, env.cognito.expiry_client_id) if c]
