"""The SPA's real sign-in, end to end in headless Chromium: a test user signs in on the pool's hosted page with the
authorization code grant + PKCE, starting from the SPA's origin, the code is exchanged at /oauth2/token, and the
API accepts the tokens on every protected route.

Why in a browser: the other authorizer checks sign in through the user pools API, which proves the pool and the
authorizer agree but not that the page real users see works: the domain, the app client's OAuth settings
(code grant, COGNITO as a provider, the callback URL), the form, the redirect with code and state, and the
token endpoint's PKCE check. The same test runs on the twin (its login page has the classic hosted UI's form)
and on a real deployment's classic hosted UI or managed login. The fields it relies on (fixtures/hosted_signin.py
says more): the visible `input[name="username"]`, a visible `input[name="password"]` or `input[type="password"]`
in the same form (or, when there is none, after a first submit: a two-step page), and a submit
`input[name="signInSubmitButton"]`, `button[type="submit"]` or `input[type="submit"]`. These are the classic
hosted UI's fields (two copies of its form, one hidden by CSS: only visible fields count); that managed login
uses the same names is assumed, not confirmed against AWS. A page without them fails in one line naming the
page and the fields it has instead (type, name and id, never a value).

The SPA's origin is the origin of the app client's callback URL (one on an origin of [api] allowed_origins,
https first), served on this machine as the CORS browser check serves it (tests/e2e/browser/spa.py), so the
browser really leaves the SPA's origin for the pool's domain and really comes back to the callback. It skips
only when the env file names no hosted UI ([cognito] domain / hosted_ui_url) or Chromium is missing. No
screenshot is taken and no token or password is printed or attached: the attachment lists statuses only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import allure
import pytest

from fixtures.api import ApiClient
from fixtures.config import EnvConfig
from fixtures.hosted_signin import (
    SpaClient,
    browser_code,
    config_request,
    describe_spa_client,
    exchange_code,
    hosted_ui_missing,
    login_name,
    origin_of,
    pick_callback,
)
from fixtures.oauth import hosted_base, token_endpoint
from fixtures.oidc import unverified_claims
from fixtures.posture.verdict import aws_errors_fail, fail, fail_on
from fixtures.reject_round import body_for
from fixtures.users import TestUser
from tests.e2e.browser.chromium import chromium_missing, is_loopback
from tests.e2e.browser.spa import browser_on_origin

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

pytestmark = [pytest.mark.authorizer, pytest.mark.browser]

TOKEN_KINDS = ("id_token", "access_token")
FIX_DESCRIBE = "grant the runner cognito-idp:DescribeUserPoolClient and DescribeUserPool on the pool"


@pytest.fixture(scope="module")
def spa_client(env_config: EnvConfig, aws_client: Callable[[str], Any]) -> SpaClient:
    missing = hosted_ui_missing(env_config) or chromium_missing()
    if missing:
        pytest.skip(f"hosted sign-in check skipped: {missing}")
    cognito = env_config.cognito
    client: SpaClient | None = None
    with aws_errors_fail(f"describing the SPA's app client {cognito.client_id}", FIX_DESCRIBE):
        client = describe_spa_client(aws_client("cognito-idp"), cognito.user_pool_id, cognito.client_id)
    assert client is not None  # aws_errors_fail fails the test on an AWS error
    return client


@pytest.fixture(scope="module")
def typed_username(env_config: EnvConfig, aws_client: Callable[[str], Any], test_user: TestUser) -> str:
    """What the user types in the username field (the e-mail address on a pool that signs in by e-mail)."""
    pool: dict[str, Any] = {}
    with aws_errors_fail(f"describing the user pool {env_config.cognito.user_pool_id}", FIX_DESCRIBE):
        pool = aws_client("cognito-idp").describe_user_pool(UserPoolId=env_config.cognito.user_pool_id)["UserPool"]
    return login_name(pool, test_user.username, test_user.email)


@pytest.fixture(scope="module")
def hosted_browser(
    spa_client: SpaClient, env_config: EnvConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowserContext | None]:
    """Chromium with the callback's origin served here; None when the client has no callback URL at all."""
    callback = pick_callback(spa_client.callback_urls, env_config.api.allowed_origins)
    if callback is None:
        yield None
        return
    hosts = (urlsplit(env_config.api.base_url).hostname or "", urlsplit(hosted_base(env_config)).hostname or "")
    profile = Path(tmp_path_factory.mktemp("chromium-hosted-signin"))
    with browser_on_origin(origin_of(callback), profile, loopback_only=all(is_loopback(h) for h in hosts)) as ctx:
        yield ctx


@allure.title("A user signed in on the hosted page (code + PKCE, real browser) is accepted on every protected route")
def test_hosted_signin_tokens_accepted_on_every_protected_route(
    spa_client: SpaClient,
    hosted_browser: BrowserContext | None,
    typed_username: str,
    env_config: EnvConfig,
    api_client: ApiClient,
    test_user: TestUser,
    protected_requests: list[tuple[str, str, str]],
) -> None:
    """The sign-in a real user does, then each protected route called with its ID token and its access token."""
    refusal = spa_client.refusal()
    if refusal or hosted_browser is None:
        fail(refusal or f"the SPA's app client {spa_client.client_id} has no callback URL")
    callback = pick_callback(spa_client.callback_urls, env_config.api.allowed_origins)
    assert callback is not None  # hosted_browser is None otherwise
    request = config_request(env_config, spa_client, callback)
    page = hosted_browser.new_page()
    try:
        # The password goes into the page's field only: TestUser keeps it private to the harness's fixtures.
        code = browser_code(page, request, typed_username, test_user.password, origin=origin_of(callback))
    finally:
        page.close()
    tokens = exchange_code(token_endpoint(env_config), request, code)

    findings: list[str] = []
    claims = unverified_claims(tokens.id_token)
    if claims.get("sub") != test_user.sub:
        findings.append(
            f"the hosted sign-in's ID token is for sub {claims.get('sub')!r}, not the signed-in user's {test_user.sub}"
        )
    granted = set(str(unverified_claims(tokens.access_token).get("scope", "")).split())
    statuses: dict[str, dict[str, int]] = {}
    not_sent: list[str] = []
    for key, method, path in protected_requests:
        needed = set(env_config.api.scoped_routes.get(key, []))
        if not needed <= granted:
            not_sent.append(f"{key} (needs {sorted(needed)}; the SPA client may ask for {sorted(granted)})")
            continue
        for kind in TOKEN_KINDS:
            if needed and kind == "id_token":
                continue  # a scoped route takes access tokens only: an ID token carries no scope
            token = getattr(tokens, kind)
            status = api_client.request(method, path, token=token, json=body_for(method, env_config)).status_code
            statuses.setdefault(key, {})[kind] = status
            if status in (401, 403):
                findings.append(
                    f"a valid Cognito {kind.replace('_', ' ')} from the hosted sign-in (code + PKCE) was refused "
                    f"with {status} on {key}: the authorizer's audience must include {spa_client.client_id} and "
                    f"its issuer must be {env_config.issuer}"
                )
    allure.attach(
        "\n".join(
            [f"{key}: {answers}" for key, answers in statuses.items()] + [f"not sent: {line}" for line in not_sent]
        ),
        name="status per protected route (hosted sign-in tokens)",
        attachment_type=allure.attachment_type.TEXT,
    )
    if not statuses:
        findings.append("no protected route could be called with the hosted sign-in's tokens: " + "; ".join(not_sent))
    fail_on(findings)
