"""Per-pool OIDC discovery and JWKS documents, answered before moto sees the request.

Hand-written: moto serves one shared key for every path (even unknown pools); the twin serves each
pool's own two public keys (`patches/keys.py`) and answers an unknown pool with 404, as Cognito
does. Two forms, one per issuer type (`patches/issuer.py`), because the twin has no DNS for
amazonaws.com:

- ORIGINAL issuer `https://cognito-idp.<region>.amazonaws.com/<pool>` -> `/<pool>/.well-known/...`
- UPDATED issuer `https://issuer-cognito-idp.<region>.amazonaws.com/<pool>` ->
  `/issuer-cognito-idp/<pool>/.well-known/...`; a pool that is not UPDATED (or unknown) gets 403 there,
  as AWS answers the issuer-cognito-idp JWKS of a pool still on ORIGINAL (aws-jwt-verify issue #279).

The discovery document's `issuer` is the pool's current issuer (it must equal the tokens' `iss`);
`jwks_uri` points at this control plane, next to the discovery document it came with.
"""

from __future__ import annotations

import json
import re
from typing import Any

from moto.cognitoidp.models import CognitoIdpUserPool, cognitoidp_backends

from .hosted import routing
from .patches import issuer, keys

UPDATED_PREFIX = "/issuer-cognito-idp"
# Any /{x}/.well-known/... path is answered here, so moto's shared key is never served.
PATH = re.compile(r"^/(?P<pool>[^/]+)/\.well-known/(?P<doc>jwks\.json|openid-configuration)$")
UPDATED_PATH = re.compile(
    r"^/issuer-cognito-idp/(?P<pool>[^/]+)/\.well-known/(?P<doc>jwks\.json|openid-configuration)$"
)
POOL_ID = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d_[0-9A-Za-z]+$")
FORBIDDEN = {"message": "Forbidden"}  # the body AWS sends with this 403 is not published: unconfirmed


def find_pool(pool_id: str) -> CognitoIdpUserPool | None:
    if not POOL_ID.match(pool_id):
        return None
    region = pool_id.split("_", 1)[0]
    for account_backends in list(cognitoidp_backends.values()):
        backend = dict(account_backends).get(region)
        if backend is not None and pool_id in backend.user_pools:
            return backend.user_pools[pool_id]
    return None


def document(path: str, host: str) -> tuple[int, dict[str, Any]] | None:
    """(status, JSON body) for an OIDC path of either form, or None when the path is not one."""
    match = UPDATED_PATH.match(path)
    if match is not None:
        pool = find_pool(match["pool"])
        if pool is None or issuer.issuer_type(pool) != issuer.UPDATED:
            return 403, dict(FORBIDDEN)
        return 200, _body(pool, match["doc"], f"http://{host}{UPDATED_PREFIX}/{pool.id}", host)
    match = PATH.match(path)
    if match is None:
        return None
    pool = find_pool(match["pool"])
    if pool is None:
        return 404, {"message": f"User pool {match['pool']} does not exist."}
    # An UPDATED pool keeps its original-form documents (what AWS does there is unconfirmed).
    return 200, _body(pool, match["doc"], f"http://{host}/{pool.id}", host)


def _body(pool: CognitoIdpUserPool, doc: str, base: str, host: str) -> dict[str, Any]:
    if doc == "jwks.json":
        return keys.pool_keys(pool).jwks()
    return {
        **_hosted_endpoints(pool, host),
        "issuer": issuer.issuer_of(pool),
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "response_types_supported": ["code", "token"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }


def _hosted_endpoints(pool: CognitoIdpUserPool, host: str) -> dict[str, str]:
    """The OAuth endpoints of the pool's domain (path-prefix form, hosted/routing.py); none without a domain."""
    if pool.domain is None:
        return {}
    base = routing.base_url(host, pool.domain.domain)
    return {
        "authorization_endpoint": f"{base}/oauth2/authorize",
        "token_endpoint": f"{base}/oauth2/token",
        "userinfo_endpoint": f"{base}/oauth2/userInfo",
        "revocation_endpoint": f"{base}/oauth2/revoke",
    }


def render(status_and_body: tuple[int, dict[str, Any]]) -> tuple[int, bytes]:
    status, body = status_and_body
    return status, json.dumps(body).encode()
