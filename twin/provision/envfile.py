"""Renders the twin's env file (TOML, keys as in docs/ARCHITECTURE.md "Env file").

The writer is hand-written: the standard library reads TOML but cannot write it, and the file
holds only flat tables of strings, numbers, booleans, string lists and inline tables of them, which take a
few lines.
"""

from __future__ import annotations

import json
from typing import Any

from twin.controlplane.hosted.routing import PREFIX as HOSTED_PREFIX
from twin.provision import names
from twin.provision.stack import Stack


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):  # Python's repr of a finite float is a TOML float
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table; keys quoted (route keys hold spaces and slashes)
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML rendering for {type(value).__name__}")


def _render(tables: dict[str, dict[str, Any]]) -> str:
    lines: list[str] = []
    for table, keys in tables.items():
        lines.append(f"[{table}]")
        lines.extend(f"{key} = {_value(value)}" for key, value in keys.items())
        lines.append("")
    return "\n".join(lines)


def env_file_text(stack: Stack, base_url: str, endpoint_url: str, *, log_delay_max_s: float | None = None) -> str:
    """The env file of a provisioned stack; `log_delay_max_s`: the twin's own bound on how late its Lambda logs
    are readable ([lambda] log_delay_max_s), None to leave the harness's default for AWS."""
    lambda_: dict[str, Any] = {"function_name": stack.function_name}
    if log_delay_max_s is not None:
        lambda_["log_delay_max_s"] = log_delay_max_s
    return _render(
        {
            "env": {"name": "local-twin", "protected": False},
            "aws": {"region": stack.region, "endpoint_url": endpoint_url},
            "cognito": {
                "user_pool_id": stack.user_pool_id,
                "client_id": stack.client_id,
                "identity_pool_id": stack.identity_pool_id,
                "expiry_client_id": stack.expiry_client_id,
                "m2m_client_id": stack.m2m_client_id,
                "domain": stack.domain,
                # the domain's endpoints on the control plane (on AWS https://<domain>.auth.<region>.amazoncognito.com)
                "hosted_ui_url": f"{endpoint_url.rstrip('/')}{HOSTED_PREFIX}{stack.domain}",
                "password_min_length": names.PASSWORD_MIN_LENGTH,
                "allowed_auth_flows": names.AUTH_FLOWS,
                "issuer_type": stack.issuer_type,
                "callback_localhost_allowed": False,
            },
            "api": {
                "api_id": stack.api_id,
                "base_url": base_url,
                "allowed_origins": names.ALLOWED_ORIGINS,
                "allowed_methods": names.ALLOWED_METHODS,
                "allowed_headers": names.ALLOWED_HEADERS,
                "max_age": names.CORS_MAX_AGE,
                "allow_credentials": False,
                "expose_headers": names.EXPOSE_HEADERS,
                "public_routes": names.PUBLIC_ROUTES,
                "protected_routes": names.PROTECTED_ROUTES,
                "scoped_routes": {key: list(scopes) for key, scopes in names.SCOPED_ROUTES.items()},
            },
            "lambda": lambda_,
            "database": {
                "instance_id": stack.instance_id,
                "secret_id": stack.secret_id,
                "probe": "direct",
                "canary_course_id": names.CANARY_COURSE_ID,
            },
            "identity_pool": {"allow_unauthenticated": False},
            "network": {"tcp_probe": False},
        }
    )
