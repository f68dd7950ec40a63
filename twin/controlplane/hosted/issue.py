"""Tokens of the hosted flows, signed with the pool's own keys like every other token of the twin.

Code and implicit grants go through the pool's `create_jwt` (patches/tokens.py), so their claims have the
shape of an API sign-in's (sub, iss, event_id, auth_time, origin_jti, jti, username / cognito:username,
version 2) with the granted scopes in the access token's `scope`; the ID token (only with `openid`) adds
`at_hash` and the request's `nonce`. client_credentials has no user: its access token is built here with the
claims Cognito gives a machine (sub = client_id, client_id, scope, token_use, auth_time, iss, exp, iat,
version, jti) and no username, origin_jti or event_id.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from typing import Any

from moto.cognitoidp.models import CognitoIdpUserPool, CognitoIdpUserPoolClient

from ..patches import issuer, keys, tokens, validity
from . import state
from .rules import OPENID


def at_hash(access_token: str) -> str:
    """OIDC Core 3.1.3.6: base64url of the left half of SHA-256 of the access token."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def user_tokens(
    pool: CognitoIdpUserPool,
    client: CognitoIdpUserPoolClient,
    username: str,
    scopes: tuple[str, ...],
    *,
    auth_time: int,
    nonce: str | None = None,
    with_refresh: bool = True,
    origin_jti: str | None = None,
) -> dict[str, Any]:
    """access (and id with openid) tokens for a user; a refresh token and a new sign-in unless `origin_jti`
    names the sign-in being refreshed."""
    answer: dict[str, Any] = {}
    if origin_jti is None:
        refresh_token, origin_jti = pool.create_refresh_token(client.id, username)
        tokens.set_auth_time(pool, origin_jti, auth_time)
        state.remember_grant(pool, origin_jti, scopes)
        if with_refresh:
            answer["refresh_token"] = refresh_token
        else:  # implicit grant: no refresh token is ever returned, so none may stay usable
            pool.refresh_tokens[refresh_token] = None
    user = pool._get_user(username)
    groups = {"cognito:groups": [g.group_name for g in user.groups]} if user.groups else {}
    access, lifetime = pool.create_jwt(
        client.id, username, "access", extra_data={**groups, "origin_jti": origin_jti, "scope": " ".join(scopes)}
    )
    pool.access_tokens[access] = (client.id, username)  # so sign-out and revocation reach it
    answer["access_token"] = access
    if OPENID in scopes:
        extra: dict[str, Any] = pool.get_user_extra_data_by_client_id(client.id, username)
        extra.update({a["Name"]: a["Value"] for a in user.attributes if a["Name"].startswith("custom:")})
        extra.update(groups)
        extra.update({"origin_jti": origin_jti, "at_hash": at_hash(access)})
        if nonce is not None:
            extra["nonce"] = nonce
        id_token, _ = pool.create_jwt(client.id, username, "id", extra_data=extra)
        pool.id_tokens[id_token] = (client.id, username)
        answer["id_token"] = id_token
    answer.update({"token_type": "Bearer", "expires_in": lifetime})
    return answer


def machine_token(
    pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, scopes: tuple[str, ...]
) -> dict[str, Any]:
    now = int(time.time())
    lifetime = validity.lifetime_seconds(client.extended_config, "access")
    claims = {
        "sub": client.id,
        "token_use": "access",
        "scope": " ".join(scopes),
        "auth_time": now,
        "iss": issuer.issuer_of(pool),
        "exp": now + lifetime,
        "iat": now,
        "version": 2,
        "jti": str(uuid.uuid4()),
        "client_id": client.id,
    }
    return {"access_token": keys.sign(pool, "access", claims), "expires_in": lifetime, "token_type": "Bearer"}
