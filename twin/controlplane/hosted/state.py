"""What the hosted endpoints remember, kept on the moto user pool so a moto reset forgets it too.

- authorization codes: single use, valid five minutes (the authorize endpoint's documented lifetime);
- sign-in sessions: the `cognito` cookie of the domain after a login, until /logout;
- grants: the scopes a refresh token (by its origin_jti) was issued with, for the refresh_token grant.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from dataclasses import dataclass

from moto.cognitoidp.models import CognitoIdpUserPool, CognitoIdpUserPoolClient, cognitoidp_backends

CODE_LIFETIME_S = 300
_CODES = "_twin_oauth_codes"
_SESSIONS = "_twin_oauth_sessions"
_GRANTS = "_twin_oauth_grants"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Code:
    client_id: str
    username: str
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str | None
    nonce: str | None
    auth_time: int
    expires_at: float


@dataclass(frozen=True)
class Session:
    username: str
    auth_time: int


def pool_of_domain(domain: str) -> CognitoIdpUserPool | None:
    for account_backends in list(cognitoidp_backends.values()):
        for backend in list(dict(account_backends).values()):
            found = backend.user_pool_domains.get(domain)
            if found is not None and found.user_pool_id in backend.user_pools:
                return backend.user_pools[found.user_pool_id]
    return None


def client_of(pool: CognitoIdpUserPool, client_id: str | None) -> CognitoIdpUserPoolClient | None:
    return pool.clients.get(client_id or "")


def new_code(pool: CognitoIdpUserPool, code: Code) -> str:
    value = str(uuid.uuid4())  # Cognito's codes look like a UUID
    with _LOCK:
        pool.__dict__.setdefault(_CODES, {})[value] = code
    return value


def take_code(pool: CognitoIdpUserPool, value: str) -> Code | None:
    """The code's grant, once: a second exchange or an expired code finds nothing."""
    with _LOCK:
        code: Code | None = pool.__dict__.setdefault(_CODES, {}).pop(value, None)
    if code is None or code.expires_at < time.time():
        return None
    return code


def new_session(pool: CognitoIdpUserPool, username: str) -> str:
    sid = secrets.token_urlsafe(32)
    with _LOCK:
        pool.__dict__.setdefault(_SESSIONS, {})[sid] = Session(username, int(time.time()))
    return sid


def session(pool: CognitoIdpUserPool, sid: str | None) -> Session | None:
    found: Session | None = pool.__dict__.get(_SESSIONS, {}).get(sid or "")
    user = pool._get_user(found.username) if found is not None else None
    if user is None or not user.enabled:  # a deleted or disabled user's session signs no one in
        return None
    return found


def end_session(pool: CognitoIdpUserPool, sid: str | None) -> None:
    with _LOCK:
        pool.__dict__.setdefault(_SESSIONS, {}).pop(sid or "", None)


def remember_grant(pool: CognitoIdpUserPool, origin_jti: str, scopes: tuple[str, ...]) -> None:
    with _LOCK:
        pool.__dict__.setdefault(_GRANTS, {})[origin_jti] = scopes


def grant_scopes(pool: CognitoIdpUserPool, origin_jti: str) -> tuple[str, ...] | None:
    """The scopes of a hosted sign-in; None for a refresh token the user pools API issued."""
    grants: dict[str, tuple[str, ...]] = pool.__dict__.get(_GRANTS, {})
    return grants.get(origin_jti)
