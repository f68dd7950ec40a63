"""Cognito identity pools: role settings, stable identities, checked Logins.

Hand-written: moto 5.2.5 has no SetIdentityPoolRoles / GetIdentityPoolRoles (HTTP 500), returns a
new random IdentityId from GetId on every call, accepts any Logins (or none, even when
unauthenticated identities are off) and answers an unknown pool with HTTP 500. Here GetId
verifies each Logins token as Cognito does (provider configured on the pool, issuer equal to the
user pool's current issuer, which for an ORIGINAL pool is `https://` + the provider name, signature
by that user pool's keys, not expired, `aud` one of the provider's client ids), keeps one
IdentityId per (pool, provider, sub), and refuses unauthenticated access when the pool does not
allow it. GetCredentialsForIdentity checks the same way that the identity exists and that
the Logins prove it (then returns moto's fixed credentials). The role settings are stored on the
pool object and read back verbatim.
"""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
from moto.cognitoidentity.exceptions import ResourceNotFoundError
from moto.cognitoidentity.models import CognitoIdentityPool, cognitoidentity_backends
from moto.cognitoidentity.responses import CognitoIdentityResponse
from moto.cognitoidentity.utils import get_random_identity_id
from moto.cognitoidp.models import CognitoIdpUserPool, cognitoidp_backends
from moto.core.exceptions import JsonRESTError

from . import issuer, keys
from ._guard import add, replace, require

require(
    "identity_pools",
    CognitoIdentityResponse,
    [("get_id", ("self",)), ("get_credentials_for_identity", ("self",)), ("backend", None)],
)
require("identity_pools", CognitoIdentityPool, [("__init__", ("self", "region", "identity_pool_name", "kwargs"))])

_ROLES = "_twin_roles"
_IDENTITIES = "_twin_identities"  # (provider, sub) -> IdentityId
ROLE_KEYS = {"authenticated", "unauthenticated"}


class NotAuthorized(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("NotAuthorizedException", message)


class InvalidParameter(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidParameterException", message)


def _pool(response: CognitoIdentityResponse, pool_id: str | None) -> CognitoIdentityPool:
    pool_id = pool_id or ""
    region = pool_id.split(":", 1)[0] if ":" in pool_id else response.region
    pool = cognitoidentity_backends[response.current_account][region].identity_pools.get(pool_id)
    if pool is None:
        raise ResourceNotFoundError(f"IdentityPool '{pool_id}' not found.")
    return pool


def verify_login(pool: CognitoIdentityPool, account_id: str, provider: str, token: str) -> str:
    """The token's `sub` if Cognito would accept it for this provider; NotAuthorizedException otherwise."""
    client_ids = {p.get("ClientId") for p in pool.cognito_identity_providers or [] if p.get("ProviderName") == provider}
    if not client_ids:
        raise NotAuthorized("Token is not from a supported provider of this identity pool.")
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError as exc:
        raise NotAuthorized("Invalid login token. Not a valid OpenId Connect identity token.") from exc
    user_pool = _user_pool(account_id, provider)
    # The provider name keeps the original form for every issuer type (GetId's documented name); the token
    # must carry the pool's current issuer (for an UPDATED pool the issuer-cognito-idp form: unconfirmed).
    expected = issuer.issuer_of(user_pool) if user_pool is not None else f"https://{provider}"
    if claims.get("iss") != expected:
        raise NotAuthorized("Invalid login token. Issuer doesn't match providerName")
    try:
        if user_pool is None:
            raise jwt.InvalidSignatureError("no such user pool")
        keys.verify(user_pool, token, options={"verify_exp": False, "verify_aud": False})
    except jwt.InvalidTokenError as exc:
        raise NotAuthorized("Invalid login token. Couldn't verify signed token.") from exc
    now = int(time.time())
    if int(claims.get("exp", 0)) <= now:
        raise NotAuthorized(f"Invalid login token. Token expired: {now} >= {claims.get('exp')}")
    if "aud" not in claims:
        raise NotAuthorized("Invalid login token. Missing a required claim: aud")
    if claims["aud"] not in client_ids:
        raise NotAuthorized("Invalid login token. Incorrect token audience.")
    return str(claims["sub"])


def _user_pool(account_id: str, provider: str) -> CognitoIdpUserPool | None:
    """The user pool a provider name (`cognito-idp.<region>.amazonaws.com/<pool>`) names, if it exists."""
    host, _, user_pool_id = provider.partition("/")
    region = host.removeprefix("cognito-idp.").removesuffix(".amazonaws.com")
    if not user_pool_id or "/" in region or "." in region:
        return None
    try:
        return cognitoidp_backends[account_id][region].user_pools.get(user_pool_id)
    except KeyError:  # not a region moto knows
        return None


def get_id(self: CognitoIdentityResponse) -> str:
    pool = _pool(self, self._get_param("IdentityPoolId"))
    logins: dict[str, str] = self._get_param("Logins") or {}
    identities: list[dict[str, str | list[str]]] = cognitoidentity_backends[self.current_account][
        pool.identity_pool_id.split(":", 1)[0]
    ].pools_identities[pool.identity_pool_id]["Identities"]
    if not logins:
        if not pool.allow_unauthenticated_identities:
            raise NotAuthorized("Unauthenticated access is not supported for this identity pool.")
        anonymous_id = get_random_identity_id(pool.identity_pool_id.split(":", 1)[0])
        identities.append({"IdentityId": anonymous_id})
        return json.dumps({"IdentityId": anonymous_id})
    subjects = sorted(
        (provider, verify_login(pool, self.current_account, provider, token)) for provider, token in logins.items()
    )
    known: dict[tuple[str, str], str] = pool.__dict__.setdefault(_IDENTITIES, {})
    identity_id = next((known[s] for s in subjects if s in known), None)
    if identity_id is None:
        identity_id = get_random_identity_id(pool.identity_pool_id.split(":", 1)[0])
        identities.append({"IdentityId": identity_id, "Logins": [p for p, _ in subjects]})
    for subject in subjects:
        known.setdefault(subject, identity_id)
    return json.dumps({"IdentityId": identity_id})


def _pool_of_identity(response: CognitoIdentityResponse, identity_id: str) -> CognitoIdentityPool | None:
    region = identity_id.split(":", 1)[0] if ":" in identity_id else response.region
    backend = cognitoidentity_backends[response.current_account][region]
    for pool_id, listing in backend.pools_identities.items():
        if any(i["IdentityId"] == identity_id for i in listing["Identities"]) and pool_id in backend.identity_pools:
            return backend.identity_pools[pool_id]
    return None


def get_credentials_for_identity(self: CognitoIdentityResponse) -> str:
    identity_id: str = self._get_param("IdentityId") or ""
    logins: dict[str, str] = self._get_param("Logins") or {}
    pool = _pool_of_identity(self, identity_id)
    if pool is None:
        raise ResourceNotFoundError(f"Identity '{identity_id}' not found.")
    known: dict[tuple[str, str], str] = pool.__dict__.get(_IDENTITIES, {})
    authenticated = identity_id in known.values()
    if logins:
        subjects = [(p, verify_login(pool, self.current_account, p, t)) for p, t in logins.items()]
        if any(known.get(subject) != identity_id for subject in subjects):
            raise NotAuthorized(
                "Logins don't match. Please include at least one valid login for this identity or identity pool."
            )
    elif authenticated:
        raise NotAuthorized(
            "Logins don't match. Please include at least one valid login for this identity or identity pool."
        )
    elif not pool.allow_unauthenticated_identities:
        raise NotAuthorized("Unauthenticated access is not supported for this identity pool.")
    return self.backend.get_credentials_for_identity(identity_id)


def set_identity_pool_roles(self: CognitoIdentityResponse) -> str:
    pool = _pool(self, self._get_param("IdentityPoolId"))
    roles: dict[str, str] = self._get_param("Roles") or {}
    unknown = set(roles) - ROLE_KEYS
    if unknown:
        raise InvalidParameter(f"Invalid role keys: {sorted(unknown)}; use authenticated/unauthenticated.")
    setattr(pool, _ROLES, {"Roles": roles, "RoleMappings": self._get_param("RoleMappings") or {}})
    return ""


def get_identity_pool_roles(self: CognitoIdentityResponse) -> str:
    pool = _pool(self, self._get_param("IdentityPoolId"))
    stored: dict[str, Any] = getattr(pool, _ROLES, {"Roles": {}, "RoleMappings": {}})
    body: dict[str, Any] = {"IdentityPoolId": pool.identity_pool_id, "Roles": stored["Roles"]}
    if stored["RoleMappings"]:
        body["RoleMappings"] = stored["RoleMappings"]
    return json.dumps(body)


def apply() -> None:
    replace(CognitoIdentityResponse, "get_id", lambda _original: get_id, "identity_pools")
    replace(
        CognitoIdentityResponse,
        "get_credentials_for_identity",
        lambda _original: get_credentials_for_identity,
        "identity_pools",
    )
    add(CognitoIdentityResponse, "set_identity_pool_roles", set_identity_pool_roles)
    add(CognitoIdentityResponse, "get_identity_pool_roles", get_identity_pool_roles)
