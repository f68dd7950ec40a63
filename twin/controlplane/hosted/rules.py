"""The checks of an OAuth request against the app client and the pool, without HTTP.

Each refusal is the error code Cognito documents for it (authorize, token and revocation endpoint pages);
the README's "Hosted endpoints" table gives each its status and source.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPool, CognitoIdpUserPoolClient

from ..patches import client_secrets
from .errors import ErrorPage, OAuthError

OPENID = "openid"
SYSTEM_SCOPES = ("openid", "email", "phone", "profile", "aws.cognito.signin.user.admin")
NEEDS_OPENID = ("email", "phone", "profile")  # "can only be requested if openid scope is also requested"
RESPONSE_FLOWS = {"code": "code", "token": "implicit"}


@dataclass(frozen=True)
class AuthorizeRequest:
    client_id: str
    redirect_uri: str
    response_type: str
    scopes: tuple[str, ...]
    state: str | None
    nonce: str | None
    code_challenge: str | None


def oauth_enabled(client: CognitoIdpUserPoolClient) -> bool:
    return bool(client.extended_config.get("AllowedOAuthFlowsUserPoolClient"))


def allowed_flows(client: CognitoIdpUserPoolClient) -> list[str]:
    return list(client.extended_config.get("AllowedOAuthFlows") or []) if oauth_enabled(client) else []


def custom_scopes(pool: CognitoIdpUserPool) -> set[str]:
    """`<resource server identifier>/<scope name>` for every scope of the pool's resource servers."""
    return {
        f"{server.identifier}/{scope['ScopeName']}"
        for server in pool.resource_servers.values()
        for scope in (server.scopes or [])
    }


def redirect_target(
    pool: CognitoIdpUserPool,
    client: CognitoIdpUserPoolClient | None,
    client_id: str,
    redirect_uri: str | None,
    registered: str = "CallbackURLs",
) -> CognitoIdpUserPoolClient:
    """The client, once its redirect URI is exactly one it registered; otherwise Cognito's error page."""
    if client is None:
        raise ErrorPage("invalid_request", client_id)
    if not redirect_uri or redirect_uri not in (client.extended_config.get(registered) or []):
        raise ErrorPage("redirect_mismatch", client_id)
    return client


def check_authorize(
    pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, args: Mapping[str, str]
) -> AuthorizeRequest:
    """An authorize (or login) request whose client and redirect_uri are already valid."""
    response_type = args.get("response_type")
    if response_type not in RESPONSE_FLOWS:
        raise OAuthError("invalid_request")
    if RESPONSE_FLOWS[response_type] not in allowed_flows(client):
        raise OAuthError("unauthorized_client")
    challenge, method = args.get("code_challenge"), args.get("code_challenge_method")
    if (challenge is None) != (method is None) or (method is not None and method != "S256"):
        raise OAuthError("invalid_request")  # Cognito supports only S256
    scopes = user_scopes(pool, client, args.get("scope"))
    return AuthorizeRequest(
        client.id, args["redirect_uri"], response_type, scopes, args.get("state"), args.get("nonce"), challenge
    )


def user_scopes(pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, requested: str | None) -> tuple[str, ...]:
    allowed = [
        s
        for s in client.extended_config.get("AllowedOAuthScopes") or []
        if s in SYSTEM_SCOPES or s in custom_scopes(pool)
    ]
    if requested is None:
        return tuple(allowed)  # "If the client doesn't request any scopes, ... all scopes associated with the client"
    wanted = tuple(dict.fromkeys(requested.split()))
    if not wanted or any(s not in allowed for s in wanted):
        raise OAuthError("invalid_scope")
    if OPENID not in wanted and any(s in NEEDS_OPENID for s in wanted):
        raise OAuthError("invalid_scope")
    return wanted


def machine_scopes(
    pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, requested: str | None
) -> tuple[str, ...]:
    """client_credentials: custom scopes only, each allowed to the client; none asked for means all of them."""
    known = custom_scopes(pool)
    allowed = [s for s in client.extended_config.get("AllowedOAuthScopes") or [] if s in known]
    wanted = allowed if requested is None else list(dict.fromkeys(requested.split()))
    if not wanted or any(s not in allowed for s in wanted):
        raise OAuthError("invalid_scope")
    return tuple(wanted)


def same(a: str, b: str) -> bool:
    """Constant-time equality of two strings of any characters (compare_digest takes only ASCII str)."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def pkce_matches(challenge: str, verifier: str | None) -> bool:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding equals the challenge."""
    if not verifier:
        return False
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return same(base64.urlsafe_b64encode(digest).rstrip(b"=").decode(), challenge)


def basic_credentials(header: str | None, invalid_status: int = 400) -> tuple[str, str] | None:
    """(client_id, client_secret) of `Authorization: Basic base64(id:secret)`; None without one."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", invalid_status) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", invalid_status)
    return client_id, secret


def authenticate_client(
    pool: CognitoIdpUserPool, form: Mapping[str, str], authorization: str | None, invalid_status: int = 400
) -> tuple[CognitoIdpUserPoolClient, str | None]:
    """(client, the secret it proved) by client_secret_basic, client_secret_post, or a public client's
    bare client_id."""
    secret: str | None
    basic = basic_credentials(authorization, invalid_status)
    if basic is not None:
        client_id, secret = basic
        if form.get("client_id") not in (None, client_id):
            raise OAuthError("invalid_client", invalid_status)
    else:
        client_id, secret = form.get("client_id") or "", form.get("client_secret")
    client = pool.clients.get(client_id)
    if client is None:
        raise OAuthError("invalid_client", invalid_status)
    accepted = client_secrets.active_secrets(client)
    if accepted:
        if secret is None or not any(same(secret, s) for s in accepted):
            raise OAuthError("invalid_client", invalid_status)
    elif secret:
        raise OAuthError("invalid_client", invalid_status)  # a public client has no secret to send
    return client, secret


class LoginRefused(Exception):
    """The login form's answer to a failed sign-in: the message the page shows."""


def sign_in(pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, username: str, password: str) -> CognitoIdpUser:
    """The user whose credentials the form carried, as Cognito's password sign-in decides."""
    user = pool._get_user(username) if username else None
    if user is None:
        hidden = client.extended_config.get("PreventUserExistenceErrors") == "ENABLED"
        raise LoginRefused("Incorrect username or password." if hidden else "User does not exist.")
    if not user.enabled:
        raise LoginRefused("User is disabled.")
    if user.status == "UNCONFIRMED":
        raise LoginRefused("User is not confirmed.")
    if user.status == "RESET_REQUIRED":
        raise LoginRefused("Password reset required for the user")
    if not user.password or not same(user.password, password):
        raise LoginRefused("Incorrect username or password.")
    if user.status == "FORCE_CHANGE_PASSWORD":
        raise LoginRefused(
            "twin: this user must set a new password first (the twin's login page offers no "
            "new-password form; use AdminSetUserPassword --permanent)"
        )
    return user
