"""Cognito user pool and app client posture from describe_user_pool / describe_user_pool_client answers.

Hand-written because Prowler's cognito checks (password policy, PreventUserExistenceErrors, token
revocation, self-registration, temporary password expiry, deletion protection) run only as a whole
scanner with fixed thresholds, while here the thresholds come from the env file, and the checks
Prowler lacks for a browser app client are added: no client secret, no implicit grant, https
callback URLs on the app's own hosts, exactly the expected auth flows and bounded token lifetimes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tests.e2e.posture.policy import glob_match

UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# Cognito's defaults when a validity is not set: access/id 60 minutes, refresh 30 days.
DEFAULTS = {"AccessToken": (1, "hours"), "IdToken": (1, "hours"), "RefreshToken": (30, "days")}
VALIDITY_FIELDS = {"AccessToken": "AccessTokenValidity", "IdToken": "IdTokenValidity",
                   "RefreshToken": "RefreshTokenValidity"}
ONE_DAY = 86400
PASSWORD_CLASSES = {"uppercase": "RequireUppercase", "lowercase": "RequireLowercase",
                    "numbers": "RequireNumbers", "symbols": "RequireSymbols"}
MAX_TEMPORARY_PASSWORD_DAYS = 7  # Prowler cognito_user_pool_temporary_password_expiration


@dataclass(frozen=True)
class RedirectExpectation:
    localhost_ok: bool = False
    # Hosts (globs such as *.example.com allowed) that callback and logout URLs may use; empty: any https host.
    hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClientExpectation:
    auth_flows: tuple[str, ...]
    redirects: RedirectExpectation = RedirectExpectation()
    max_refresh_days: int = 30
    prevent_user_existence_errors: bool = True
    token_revocation: bool = True


@dataclass(frozen=True)
class PoolExpectation:
    min_password_length: int
    password_classes: tuple[str, ...] = tuple(PASSWORD_CLASSES)
    self_signup: bool = False
    deletion_protection: bool = False


def token_seconds(client: Mapping[str, Any], token: str) -> int:
    """A token's validity in seconds, honouring TokenValidityUnits and Cognito's defaults."""
    value, unit = DEFAULTS[token]
    if client.get(VALIDITY_FIELDS[token]) is not None:
        value = int(client[VALIDITY_FIELDS[token]])
        unit = (client.get("TokenValidityUnits") or {}).get(token) or DEFAULTS[token][1]
    return value * UNIT_SECONDS[unit]


def _client_name(client: Mapping[str, Any]) -> str:
    return f"app client {client.get('ClientName', '?')} ({client.get('ClientId', '?')})"


def _url_findings(name: str, field: str, urls: Iterable[str], expect: RedirectExpectation) -> list[str]:
    out = []
    for url in urls:
        parts = urlsplit(url)
        host = parts.hostname or ""
        local = host in ("localhost", "127.0.0.1", "::1")
        if local and not expect.localhost_ok:
            out.append(f"{name} lists the local URL {url} in {field}; remove it (or set "
                       "callback_localhost_allowed = true in the env file for a development pool).")
        elif parts.scheme != "https" and not local:
            out.append(f"{name} lists the non-https URL {url} in {field}, so codes and tokens travel in clear; "
                       "use https URLs only.")
        elif not local and expect.hosts and not any(glob_match(h, host, case_sensitive=False) for h in expect.hosts):
            # Whoever controls that host receives users' authorization codes (or is sent users after sign-out).
            out.append(f"{name} lists {url} in {field}, on {host}, which is none of the app's hosts "
                       f"{list(expect.hosts)}; remove it, or add the host to [cognito] redirect_hosts in the env "
                       "file if the app really lives there.")
    return out


def redirect_findings(client: Mapping[str, Any], expect: RedirectExpectation) -> list[str]:
    """Implicit grant and callback/logout URLs: checked for every client in the pool."""
    name = _client_name(client)
    out: list[str] = []
    if "implicit" in (client.get("AllowedOAuthFlows") or []):
        out.append(f"{name} allows the implicit grant, which puts tokens in the URL fragment; remove "
                   "'implicit' from AllowedOAuthFlows and use the code grant with PKCE.")
    out += _url_findings(name, "CallbackURLs", client.get("CallbackURLs") or [], expect)
    out += _url_findings(name, "LogoutURLs", client.get("LogoutURLs") or [], expect)
    default = client.get("DefaultRedirectURI")
    if default and default not in (client.get("CallbackURLs") or []):
        out.append(f"{name} has DefaultRedirectURI {default} outside CallbackURLs; set it to one of them.")
    return out


def client_findings(client: Mapping[str, Any], expect: ClientExpectation) -> list[str]:
    """Posture of an app client the env file names (a browser client)."""
    name = _client_name(client)
    out: list[str] = []
    if client.get("ClientSecret"):
        out.append(f"{name} has a client secret, which a browser app cannot keep; recreate it with "
                   "--no-generate-secret.")
    out += redirect_findings(client, expect.redirects)
    flows = set(client.get("ExplicitAuthFlows") or [])
    expected = set(expect.auth_flows)
    if flows != expected:
        extra, missing = sorted(flows - expected), sorted(expected - flows)
        detail = "; ".join(x for x in (f"unexpected {extra}" if extra else "",
                                       f"missing {missing}" if missing else "") if x)
        out.append(f"{name} has ExplicitAuthFlows {sorted(flows)} ({detail}); set exactly {sorted(expected)} "
                   "or fix allowed_auth_flows in the env file.")
    for token in ("AccessToken", "IdToken"):
        seconds = token_seconds(client, token)
        if seconds > ONE_DAY:
            out.append(f"{name} issues {token}s valid for {seconds // 3600} h, more than one day; set "
                       f"{VALIDITY_FIELDS[token]} to at most 1 day (60 minutes is the default).")
    refresh = token_seconds(client, "RefreshToken")
    if refresh > expect.max_refresh_days * ONE_DAY:
        out.append(f"{name} issues refresh tokens valid for {refresh // ONE_DAY} days, more than "
                   f"{expect.max_refresh_days}; lower RefreshTokenValidity.")
    if expect.prevent_user_existence_errors and client.get("PreventUserExistenceErrors") != "ENABLED":
        out.append(f"{name} reveals whether a user exists (PreventUserExistenceErrors="
                   f"{client.get('PreventUserExistenceErrors')!r}); set it to ENABLED.")
    if expect.token_revocation and client.get("EnableTokenRevocation") is not True:
        out.append(f"{name} has token revocation off, so sign-out cannot revoke refresh tokens; set "
                   "EnableTokenRevocation to true.")
    return out


def pool_findings(pool: Mapping[str, Any], expect: PoolExpectation) -> list[str]:
    """Password policy, self sign-up and deletion protection of the user pool."""
    name = f"user pool {pool.get('Name', '?')} ({pool.get('Id', '?')})"
    policy = (pool.get("Policies") or {}).get("PasswordPolicy") or {}
    out: list[str] = []
    length = policy.get("MinimumLength", 8)
    if length < expect.min_password_length:
        out.append(f"{name} accepts passwords of {length} characters; set MinimumLength to at least "
                   f"{expect.min_password_length}.")
    for cls in expect.password_classes:
        field = PASSWORD_CLASSES[cls]
        if policy.get(field) is not True:
            out.append(f"{name} does not require {cls} in passwords; set PasswordPolicy {field} to true.")
    days = policy.get("TemporaryPasswordValidityDays", 7)
    if days > MAX_TEMPORARY_PASSWORD_DAYS:
        out.append(f"{name} keeps temporary passwords valid for {days} days; set "
                   f"TemporaryPasswordValidityDays to at most {MAX_TEMPORARY_PASSWORD_DAYS}.")
    admin_only = bool((pool.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly"))
    if not expect.self_signup and not admin_only:
        out.append(f"{name} lets anyone sign up; set AdminCreateUserConfig AllowAdminCreateUserOnly to true "
                   "(or allow self sign-up in the env file).")
    if expect.self_signup and admin_only:
        out.append(f"{name} refuses self sign-up although the env file allows it; set "
                   "AllowAdminCreateUserOnly to false or fix the env file.")
    if expect.deletion_protection and pool.get("DeletionProtection") != "ACTIVE":
        out.append(f"{name} has deletion protection off; set DeletionProtection to ACTIVE (required by "
                   "[cognito] deletion_protection_required, or by [env] protected).")
    return out
