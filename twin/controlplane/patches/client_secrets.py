"""Cognito app client secrets: AddUserPoolClientSecret, ListUserPoolClientSecrets, DeleteUserPoolClientSecret.

Hand-written: moto 5.2.5 answers the three actions (AWS, 2025) with HTTP 500 and knows one secret
per client (`secret`, shown as ClientSecret while `generate_secret` is set). Here each client keeps
a list of secret descriptors, oldest first, and moto's two fields mirror it: `secret` is the oldest
secret, so DescribeUserPoolClient shows ClientSecret exactly while the client has one, and
SECRET_HASH made with any active secret is accepted (moto's `check_secret_hash` is wrapped), which
is what makes rotation work. The rules are those of the API reference: a secret is added only to a
confidential client (one created with a secret), at most 2 per client (LimitExceededException),
the last one cannot be deleted, an unknown id is ResourceNotFoundException, ClientSecretValue is
returned only by Add and only for a secret Cognito generated, and ClientSecretId is
`<client-id>--<epoch-create-time>`. CreateUserPoolClient's own `ClientSecret` (a chosen secret) is
honoured too; moto would store it as a plain setting and check nothing.
"""

from __future__ import annotations

import base64
import inspect
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import moto.cognitoidp.models as idp_models
from moto.cognitoidp.exceptions import InvalidParameterException, ResourceNotFoundError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPoolClient
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult

from ._guard import MotoMismatch, add, replace, require

require(
    "client_secrets",
    CognitoIdpBackend,
    [
        ("create_user_pool_client", ("self", "user_pool_id", "generate_secret", "extended_config")),
        ("describe_user_pool_client", ("self", "user_pool_id", "client_id")),
    ],
)
require("client_secrets", CognitoIdpResponse, [("backend", None)])
CHECK_PARAMS = ("app_client_secret", "app_client_id", "username", "secret_hash")
_moto_check = vars(idp_models)["check_secret_hash"]  # models imports it from .utils and does not re-export it
if tuple(inspect.signature(getattr(_moto_check, "__twin_original__", _moto_check)).parameters) != CHECK_PARAMS:
    raise MotoMismatch(f"client_secrets: moto.cognitoidp.models.check_secret_hash no longer takes {CHECK_PARAMS}")

MAX_SECRETS = 2
SECRET_PATTERN = re.compile(r"[\w+]{24,64}")
_SECRETS = "_twin_client_secrets"
# client id -> every active secret; check_secret_hash is given only (secret, client id, ...).
_ACTIVE: dict[str, tuple[str, ...]] = {}


@dataclass
class Secret:
    id: str
    value: str
    created: datetime
    generated: bool

    def descriptor(self, with_value: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"ClientSecretId": self.id, "ClientSecretCreateDate": self.created}
        if with_value and self.generated:
            body["ClientSecretValue"] = self.value
        return body


def _new_secret(client: CognitoIdpUserPoolClient, value: str | None) -> Secret:
    taken = {s.id for s in _secrets(client)}
    millis = int(time.time() * 1000)
    while f"{client.id}--{millis}" in taken:  # two secrets within one millisecond
        millis += 1
    generated = value is None
    # Cognito's generated secrets are ~51 lowercase letters and digits.
    value = value or base64.b32encode(os.urandom(32)).decode().rstrip("=").lower()
    return Secret(f"{client.id}--{millis}", value, datetime.now(UTC), generated)


def _secrets(client: CognitoIdpUserPoolClient) -> list[Secret]:
    secrets: list[Secret] = client.__dict__.setdefault(_SECRETS, [])
    return secrets


def _store(client: CognitoIdpUserPoolClient, secrets: list[Secret]) -> None:
    """Keep moto's single-secret fields in step: the oldest secret is the one moto checks and shows."""
    setattr(client, _SECRETS, secrets)
    client.generate_secret = bool(secrets)
    if secrets:
        client.secret = secrets[0].value
    _ACTIVE[client.id] = tuple(s.value for s in secrets)


def active_secrets(client: CognitoIdpUserPoolClient) -> tuple[str, ...]:
    """Every secret the client accepts now (none for a public client)."""
    if not client.generate_secret:
        return ()
    return _ACTIVE.get(client.id) or ((client.secret,) if client.secret else ())


def _validate_value(value: Any) -> str:
    if not isinstance(value, str) or not SECRET_PATTERN.fullmatch(value):
        raise JsonRESTError(
            "ValidationException",
            "1 validation error detected: Value at 'clientSecret' failed to satisfy constraint: Member must "
            "have length between 24 and 64 and satisfy regular expression pattern: [\\w+]+",
        )
    return value


def _creating(original: Callable[..., CognitoIdpUserPoolClient]) -> Callable[..., CognitoIdpUserPoolClient]:
    def create_user_pool_client(
        self: CognitoIdpBackend, user_pool_id: str, generate_secret: bool, extended_config: dict[str, Any]
    ) -> CognitoIdpUserPoolClient:
        chosen = extended_config.pop("ClientSecret", None)
        if chosen is not None and generate_secret:
            raise InvalidParameterException("You cannot specify both GenerateSecret as true and a ClientSecret.")
        if chosen is not None:
            _validate_value(chosen)
        client = original(self, user_pool_id, bool(generate_secret or chosen), extended_config)
        if client.generate_secret:
            # Its value is already in CreateUserPoolClient's answer; only Add's answer is concerned by `generated`.
            _store(client, [_new_secret(client, chosen or client.secret)])
        return client

    return create_user_pool_client


def _any_active_secret(original: Callable[..., bool]) -> Callable[..., bool]:
    def check_secret_hash(app_client_secret: str, app_client_id: str, username: str, secret_hash: str | None) -> bool:
        candidates = _ACTIVE.get(app_client_id) or (app_client_secret,)
        return any(original(s, app_client_id, username, secret_hash) for s in candidates)

    return check_secret_hash


def _client(response: CognitoIdpResponse) -> CognitoIdpUserPoolClient:
    return response.backend.describe_user_pool_client(
        response._get_param("UserPoolId"), response._get_param("ClientId")
    )


def add_user_pool_client_secret(self: CognitoIdpResponse) -> ActionResult:
    client = _client(self)
    secrets = _secrets(client)
    if not secrets:
        raise InvalidParameterException(
            "AddUserPoolClientSecret applies to a confidential app client; this client has no client secret."
        )
    if len(secrets) >= MAX_SECRETS:
        raise JsonRESTError("LimitExceededException", f"An app client can have at most {MAX_SECRETS} client secrets.")
    chosen = self._get_param("ClientSecret")
    added = _new_secret(client, None if chosen is None else _validate_value(chosen))
    _store(client, [*secrets, added])
    return ActionResult({"ClientSecretDescriptor": added.descriptor(with_value=True)})


def list_user_pool_client_secrets(self: CognitoIdpResponse) -> ActionResult:
    return ActionResult({"ClientSecrets": [s.descriptor() for s in _secrets(_client(self))]})


def delete_user_pool_client_secret(self: CognitoIdpResponse) -> EmptyResult:
    client = _client(self)
    secret_id = self._get_param("ClientSecretId")
    secrets = _secrets(client)
    remaining = [s for s in secrets if s.id != secret_id]
    if len(remaining) == len(secrets):
        raise ResourceNotFoundError(f"Client secret {secret_id} does not exist.")
    if not remaining:
        raise InvalidParameterException("You cannot delete the last remaining client secret of an app client.")
    _store(client, remaining)
    return EmptyResult()


def apply() -> None:
    replace(CognitoIdpBackend, "create_user_pool_client", _creating, "client_secrets")
    replace(idp_models, "check_secret_hash", _any_active_secret, "client_secrets")
    add(CognitoIdpResponse, "add_user_pool_client_secret", add_user_pool_client_secret)
    add(CognitoIdpResponse, "list_user_pool_client_secrets", list_user_pool_client_secrets)
    add(CognitoIdpResponse, "delete_user_pool_client_secret", delete_user_pool_client_secret)
