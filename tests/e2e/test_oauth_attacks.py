"""OAuth 2.0 attacks on the pool's hosted domain, over real HTTP, for every app client of the pool.

Why: test_cognito_posture.py reads the clients' settings (callback and logout URLs https and on the app's hosts,
no implicit grant, no secret on the SPA client); these checks ask the deployment itself, as an attacker would,
whether the settings hold where it matters: the hosted UI refuses a redirect_uri that only looks like a callback
URL (another host, another scheme, an added path, an added query, the userinfo trick) at /oauth2/authorize and at
/logout, answers response_type=token with no tokens unless the env file allows the implicit grant, redeems a code
once, refuses a PKCE code without its verifier, and lets the SPA's client redeem its code with its client_id alone.
A proxy, a custom domain or an edge function in front of the hosted UI can break what the settings promise.

Each check judges broadly (fixtures/posture/oauth.py): it fails only when the harmful thing happened (a redirect
to the look-alike, tokens in the fragment, tokens for a spent code or a wrong verifier), never on the exact
wording of a refusal. The code grant is driven without a browser (fixtures/oauth_flow.py) through the classic
hosted UI's form; where the domain serves managed login (a JavaScript page) the checks that need a sign-in skip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import allure
import pytest

from fixtures.config import ConfigError, EnvConfig
from fixtures.oauth_flow import (
    CodeNotIssued,
    Credentials,
    HostedUI,
    LoginFormMissing,
    OAuthApp,
    code_apps,
    credentials_of,
    pkce_pair,
    pool_apps,
)
from fixtures.posture.oauth import (
    LOOKALIKE_KINDS,
    implicit_finding,
    logout_lookalike_finding,
    lookalike_finding,
    lookalikes,
    public_client_finding,
    reuse_finding,
    verifier_finding,
)
from fixtures.posture.verdict import fail, fail_on
from fixtures.users import TestUser

pytestmark = pytest.mark.cognito

NO_FORM = "the hosted domain cannot be signed in to without a browser here"


@pytest.fixture(scope="module")
def hosted_ui(env_config: EnvConfig) -> HostedUI:
    try:
        return HostedUI.of(env_config)
    except ConfigError as exc:
        pytest.skip(f"no hosted domain to attack: {exc}")


@pytest.fixture(scope="module")
def apps(env_config: EnvConfig, aws_client: Callable[[str], Any]) -> list[OAuthApp]:
    """Every app client of the pool, described once for this module."""
    return pool_apps(aws_client("cognito-idp"), env_config.cognito.user_pool_id)


@pytest.fixture(scope="module")
def sign_in(test_user: TestUser) -> Credentials:
    return credentials_of(test_user)


def signing_in(apps: list[OAuthApp]) -> list[OAuthApp]:
    """The clients an authorize request can be made for (OAuth on, a callback URL, the pool's own users)."""
    found = [app for app in apps if app.signs_in_here and app.response_type]
    if not found:
        pytest.skip("no app client of the pool uses the hosted UI (OAuth flows, callback URLs, COGNITO provider)")
    return found


def redeemable(apps: list[OAuthApp]) -> list[OAuthApp]:
    found = code_apps(apps)
    if not found:
        pytest.skip("no app client of the pool allows the code grant on the hosted UI")
    return found


@allure.title("A look-alike redirect_uri ({kind}) gets no code and no redirect, for every app client")
@pytest.mark.parametrize("kind", LOOKALIKE_KINDS)
def test_lookalike_redirect_uri_is_refused(
    kind: str, hosted_ui: HostedUI, apps: list[OAuthApp], sign_in: Credentials
) -> None:
    """/oauth2/authorize with a near miss of each registered callback URL: the browser must end on Cognito's
    error page (error=redirect_mismatch), never at the look-alike; if the login form shows, the test user signs
    in, so a deployment that checks late is caught too."""
    findings: list[str] = []
    for app in signing_in(apps):
        for registered, near in lookalikes(app.callback_urls, kind):
            try:
                landing = hosted_ui.authorize(app, near, sign_in)
            except LoginFormMissing:
                continue  # the form never showed, so no code went anywhere
            finding = lookalike_finding(app.label, kind, registered, near, landing.location)
            findings += [finding] if finding else []
    fail_on(findings)


@allure.title("/logout redirects to no look-alike logout_uri ({kind}), for every app client")
@pytest.mark.parametrize("kind", LOOKALIKE_KINDS)
def test_lookalike_logout_uri_is_refused(kind: str, hosted_ui: HostedUI, apps: list[OAuthApp]) -> None:
    """/logout?client_id&logout_uri with a near miss of each registered logout URL: no open redirect on the
    sign-in domain (only LogoutURLs may be redirected to)."""
    clients = [app for app in apps if app.oauth and app.logout_urls]
    if not clients:
        pytest.skip("no app client of the pool has logout URLs")
    findings: list[str] = []
    for app in clients:
        for registered, near in lookalikes(app.logout_urls, kind):
            finding = logout_lookalike_finding(app.label, kind, registered, near, hosted_ui.logout(app, near).location)
            findings += [finding] if finding else []
    fail_on(findings)


@allure.title("response_type=token gets no tokens unless the env file allows the implicit grant")
def test_implicit_grant_is_refused(
    env_config: EnvConfig, hosted_ui: HostedUI, apps: list[OAuthApp], sign_in: Credentials
) -> None:
    """Each client that signs in on the hosted UI is asked for the implicit grant at its own callback URL (Cognito
    answers unauthorized_client without 'implicit' in AllowedOAuthFlows); the test user signs in if the form shows,
    and no access or ID token may come back in the fragment."""
    if env_config.cognito.implicit_grant_allowed:
        pytest.skip("the env file allows the implicit grant ([cognito] implicit_grant_allowed = true)")
    findings: list[str] = []
    skipped: list[str] = []
    for app in signing_in(apps):
        try:
            landing = hosted_ui.authorize(app, app.callback_urls[0], sign_in, response_type="token")
        except LoginFormMissing as exc:
            skipped.append(f"{app.label}: {exc}")
            continue
        finding = implicit_finding(app.label, landing.location)
        findings += [finding] if finding else []
    fail_on(findings)
    if skipped:
        pytest.skip(f"{NO_FORM}: {skipped[0]}")


@allure.title("An authorization code is redeemed once, for every app client with the code grant")
def test_authorization_code_works_once(hosted_ui: HostedUI, apps: list[OAuthApp], sign_in: Credentials) -> None:
    """A fresh PKCE code is redeemed (the flow works), then redeemed again: the second answer has no tokens
    (Cognito: invalid_grant, "Authorization code has been consumed already or does not exist")."""
    findings: list[str] = []
    unusable: list[str] = []
    tested = 0
    for app in redeemable(apps):
        verifier, challenge = pkce_pair()
        try:
            code, redirect_uri = hosted_ui.code(app, sign_in, challenge)
        except (LoginFormMissing, CodeNotIssued) as exc:
            unusable.append(str(exc))
            continue
        first = hosted_ui.exchange(app, code, redirect_uri, verifier)
        if first.status != 200:
            unusable.append(f"{app.label}: its fresh code was refused ({first.status})")
            continue
        second = hosted_ui.exchange(app, code, redirect_uri, verifier)
        tested += 1
        finding = reuse_finding(app.label, second.status, second.body)
        findings += [finding] if finding else []
    fail_on(findings)
    if not tested:
        pytest.skip(f"no client gave a code to reuse: {'; '.join(unusable)}")


@allure.title("A PKCE code is refused with a {case} code_verifier, for every app client with the code grant")
@pytest.mark.parametrize("case", ["wrong", "missing"])
def test_pkce_code_needs_its_verifier(
    case: str, hosted_ui: HostedUI, apps: list[OAuthApp], sign_in: Credentials
) -> None:
    """A code asked for with an S256 challenge is redeemed with another verifier, or none: no tokens (Cognito:
    code_verifier is required for a code requested with PKCE)."""
    findings: list[str] = []
    unusable: list[str] = []
    tested = 0
    for app in redeemable(apps):
        _, challenge = pkce_pair()
        try:
            code, redirect_uri = hosted_ui.code(app, sign_in, challenge)
        except (LoginFormMissing, CodeNotIssued) as exc:
            unusable.append(str(exc))
            continue
        other = pkce_pair()[0] if case == "wrong" else None
        answer = hosted_ui.exchange(app, code, redirect_uri, other)
        tested += 1
        finding = verifier_finding(app.label, case, answer.status, answer.body)
        findings += [finding] if finding else []
    fail_on(findings)
    if not tested:
        pytest.skip(f"no client gave a PKCE code: {'; '.join(unusable)}")


@allure.title("The SPA's app client redeems its code with its client_id alone (a public client)")
def test_spa_client_is_public(
    env_config: EnvConfig, hosted_ui: HostedUI, apps: list[OAuthApp], sign_in: Credentials
) -> None:
    """The env file's client signs the test user in on the hosted UI and redeems the code with client_id, the
    verifier and the redirect_uri, no secret: what the browser app does. A client with a secret gets
    invalid_client."""
    app = next((a for a in apps if a.client_id == env_config.cognito.client_id), None)
    if app is None:
        fail(f"[cognito] client_id {env_config.cognito.client_id} is no app client of the pool; fix the env file.")
    if not (app.signs_in_here and "code" in app.flows):
        pytest.skip(f"{app.label} does not use the code grant on the hosted UI")
    verifier, challenge = pkce_pair()
    try:
        code, redirect_uri = hosted_ui.code(app, sign_in, challenge)
    except LoginFormMissing as exc:
        pytest.skip(f"{NO_FORM}: {exc}")
    except CodeNotIssued as exc:
        if exc.landing.location is None:  # another page after the form (MFA, a new password, threat protection)
            pytest.skip(f"{NO_FORM}: {exc}")
        fail(f"{exc}: the app's sign-in through the hosted UI is broken.")
    answer = hosted_ui.exchange(replace(app, secret=None), code, redirect_uri, verifier)  # what the browser sends
    finding = public_client_finding(app.label, answer.status, answer.body)
    fail_on([finding] if finding else [])
