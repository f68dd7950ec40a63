"""App client ExplicitAuthFlows: validated at create/update, enforced at sign-in.

Hand-written: moto stores ExplicitAuthFlows without checking the names and never consults them,
so a client that only allows SRP still hands out tokens for USER_PASSWORD_AUTH. Cognito refuses a
flow the client does not enable with InvalidParameterException ("<FLOW> flow not enabled for this
client" from InitiateAuth, "Auth flow not enabled for this client" from AdminInitiateAuth) and
rejects unknown names with a ValidationException. A client without the setting gets Cognito's
default (SRP, refresh, custom); a client with only legacy names keeps SRP and refresh, as on AWS.
USER_AUTH (choice-based sign-in, `user_auth.py`) needs ALLOW_USER_AUTH on both APIs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from moto.cognitoidp.exceptions import InvalidParameterException
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPoolClient
from moto.core.exceptions import JsonRESTError

from ._guard import replace, require
from ._sign_in import wrap_sign_ins

require(
    "auth_flows",
    CognitoIdpBackend,
    [
        ("initiate_auth", ("self", "client_id", "auth_flow", "auth_parameters")),
        ("admin_initiate_auth", ("self", "user_pool_id", "client_id", "auth_flow", "auth_parameters")),
        ("create_user_pool_client", ("self", "user_pool_id", "generate_secret", "extended_config")),
        ("update_user_pool_client", ("self", "user_pool_id", "client_id", "extended_config")),
    ],
)

# Order as Cognito lists the enum in its validation message.
VALID_NAMES = (
    "ALLOW_CUSTOM_AUTH",
    "ADMIN_NO_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "CUSTOM_AUTH_FLOW_ONLY",
    "USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_USER_AUTH",
)
LEGACY_NAMES = {"ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH"}
DEFAULT_FLOWS = {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH"}
# AuthFlow of a sign-in -> client settings that enable it (new name, legacy name).
ENABLED_BY = {
    "USER_PASSWORD_AUTH": {"ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"},
    "ADMIN_USER_PASSWORD_AUTH": {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"},
    "ADMIN_NO_SRP_AUTH": {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"},
    "USER_SRP_AUTH": {"ALLOW_USER_SRP_AUTH"},
    "REFRESH_TOKEN_AUTH": {"ALLOW_REFRESH_TOKEN_AUTH"},
    "REFRESH_TOKEN": {"ALLOW_REFRESH_TOKEN_AUTH"},
    "CUSTOM_AUTH": {"ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY"},
    "USER_AUTH": {"ALLOW_USER_AUTH"},
}

# Flows each endpoint accepts at all (moto answers the others with "Initiate Auth method not supported").
# USER_AUTH is the twin's own (user_auth.py) on both APIs.
USER_FLOWS = {"USER_PASSWORD_AUTH", "USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN", "CUSTOM_AUTH", "USER_AUTH"}
ADMIN_FLOWS = {"ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN", "USER_AUTH"}


def enabled_flows(client: CognitoIdpUserPoolClient) -> set[str]:
    configured = set(client.extended_config.get("ExplicitAuthFlows") or [])
    if not configured:
        return set(DEFAULT_FLOWS)
    if configured <= LEGACY_NAMES:
        # Legacy clients always allowed SRP and refresh.
        return configured | {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    return configured


def is_enabled(client: CognitoIdpUserPoolClient, auth_flow: str) -> bool:
    return bool(ENABLED_BY.get(auth_flow, set()) & enabled_flows(client))


def validate_names(flows: Iterable[str] | None) -> None:
    flows = list(flows or [])
    if any(flow not in VALID_NAMES for flow in flows):
        raise JsonRESTError(
            "ValidationException",
            f"1 validation error detected: Value '[{', '.join(flows)}]' at 'explicitAuthFlows' failed to "
            "satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: "
            f"[{', '.join(VALID_NAMES)}]]",
        )


def _enforced(
    call: Callable[[], dict[str, Any]],
    client: CognitoIdpUserPoolClient | None,
    auth_flow: str,
    params: dict[str, str],
    admin: bool,
) -> dict[str, Any]:
    # Unknown flows and clients, and the other API's flows: moto's own checks answer as Cognito does.
    if client is not None and auth_flow in (ADMIN_FLOWS if admin else USER_FLOWS) and not is_enabled(client, auth_flow):
        raise InvalidParameterException(
            "Auth flow not enabled for this client" if admin else f"{auth_flow} flow not enabled for this client"
        )
    return call()


def _validated_create(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_user_pool_client(
        self: CognitoIdpBackend, user_pool_id: str, generate_secret: bool, extended_config: dict[str, Any]
    ) -> Any:
        validate_names((extended_config or {}).get("ExplicitAuthFlows"))
        return original(self, user_pool_id, generate_secret, extended_config)

    return create_user_pool_client


def _validated_update(original: Callable[..., Any]) -> Callable[..., Any]:
    def update_user_pool_client(
        self: CognitoIdpBackend, user_pool_id: str, client_id: str, extended_config: dict[str, Any]
    ) -> Any:
        validate_names((extended_config or {}).get("ExplicitAuthFlows"))
        return original(self, user_pool_id, client_id, extended_config)

    return update_user_pool_client


def apply() -> None:
    wrap_sign_ins(_enforced, "auth_flows")
    replace(CognitoIdpBackend, "create_user_pool_client", _validated_create, "auth_flows")
    replace(CognitoIdpBackend, "update_user_pool_client", _validated_update, "auth_flows")
