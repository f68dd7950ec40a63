"""Per-pool OIDC discovery and JWKS documents, answered before moto sees the request.

Hand-written: moto serves one shared key for every path (even unknown pools); the twin serves each
pool's own two public keys (`patches/keys.py`) and answers an unknown pool with 404, as Cognito
does. The issuer stays the AWS URL (it must equal the tokens' `iss`); `jwks_uri` points at this
control plane, because the twin has no DNS for amazonaws.com.
"""

from __future__ import annotations

import json
import re
from typing import Any

from moto.cognitoidp.models import CognitoIdpUserPool, cognitoidp_backends

from .patches import keys

# Any /{x}/.well-known/... path is answered here, so moto's shared key is never served.
PATH = re.compile(r"^/(?P<pool>[^/]+)/\.well-known/(?P<doc>jwks\.json|openid-configuration)$")
POOL_ID = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d_[0-9A-Za-z]+$")


def find_pool(pool_id: str) -> CognitoIdpUserPool | None:
    region = pool_id.split("_", 1)[0]
    for account_backends in list(cognitoidp_backends.values()):
        backend = dict(account_backends).get(region)
        if backend is not None and pool_id in backend.user_pools:
            return backend.user_pools[pool_id]
    return None


def document(path: str, host: str) -> tuple[int, dict[str, Any]] | None:
    """(status, JSON body) for an OIDC path, or None when the path is not one."""
    match = PATH.match(path)
    if match is None:
        return None
    pool_id, doc = match["pool"], match["doc"]
    pool = find_pool(pool_id) if POOL_ID.match(pool_id) else None
    if pool is None:
        return 404, {"message": f"User pool {pool_id} does not exist."}
    if doc == "jwks.json":
        return 200, keys.pool_keys(pool).jwks()
    issuer = f"https://cognito-idp.{pool.region}.amazonaws.com/{pool.id}"
    return 200, {
        "issuer": issuer,
        "jwks_uri": f"http://{host}/{pool.id}/.well-known/jwks.json",
        "response_types_supported": ["code", "token"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }


def render(status_and_body: tuple[int, dict[str, Any]]) -> tuple[int, bytes]:
    status, body = status_and_body
    return status, json.dumps(body).encode()
