"""fixtures/hosted_signin.py driven in headless Chromium against the twin's hosted endpoints: the sign-in the e2e
check does (from the SPA's origin, code + PKCE, the code exchanged), and the ways it must fail, each in one line:
a wrong code_verifier, a code used twice, a redirect_uri the client does not list, a wrong password, a domain
with no login page. Why here: the e2e check passes on a clean twin, so these show it can fail, and how it says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
import pytest

from fixtures.hosted_signin import AuthorizeRequest, browser_code, exchange_code, new_request, origin_of
from tests.e2e.browser.chromium import chromium_missing
from tests.e2e.browser.spa import browser_on_origin
from tests.twin.controlplane.oauth_support import CALLBACK, OAuthPool, make_oauth_pool
from twin.controlplane import ControlPlane

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

FAILED = pytest.fail.Exception
SCOPES = ("openid", "email")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    missing = chromium_missing()
    if missing:
        pytest.skip(missing)
    profile = Path(tmp_path_factory.mktemp("chromium-hosted"))
    with browser_on_origin(origin_of(CALLBACK), profile, loopback_only=True) as context:
        yield context


@pytest.fixture
def pool(idp: Any, control_plane: ControlPlane) -> OAuthPool:
    """A pool of its own per test: a sign-in session of one test (cookie on its domain) skips nobody's form."""
    return make_oauth_pool(idp, control_plane.url)


def code_of(browser: BrowserContext, request: AuthorizeRequest, username: str, password: str) -> str:
    page = browser.new_page()
    try:
        return browser_code(page, request, username, password, origin=origin_of(CALLBACK))
    finally:
        page.close()


def one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(exc.value)
    assert "\n" not in message, message
    return message


def test_signs_in_from_the_spa_origin_and_exchanges_the_code(browser: BrowserContext, pool: OAuthPool) -> None:
    request = new_request(pool.base, pool.spa_id, CALLBACK, SCOPES)
    code = code_of(browser, request, pool.username, pool.password)
    tokens = exchange_code(f"{pool.base}/oauth2/token", request, code)
    id_claims = jwt.decode(tokens.id_token, options={"verify_signature": False})
    access_claims = jwt.decode(tokens.access_token, options={"verify_signature": False})
    assert (id_claims["sub"], id_claims["aud"], id_claims["token_use"]) == (pool.sub, pool.spa_id, "id")
    assert access_claims["client_id"] == pool.spa_id
    assert access_claims["scope"].split() == list(SCOPES)
    assert tokens.refresh_token and tokens.token_type == "Bearer"


def test_a_wrong_verifier_fails_in_one_line(browser: BrowserContext, pool: OAuthPool) -> None:
    request = new_request(pool.base, pool.spa_id, CALLBACK, SCOPES)
    code = code_of(browser, request, pool.username, pool.password)
    with pytest.raises(FAILED) as failed:
        exchange_code(f"{pool.base}/oauth2/token", request, code, verifier="w" * 43)
    assert f"/oauth2/token answered 400 'invalid_grant' to the authorization code of client {pool.spa_id}" in (
        one_line(failed)
    )


def test_a_code_works_once(browser: BrowserContext, pool: OAuthPool) -> None:
    request = new_request(pool.base, pool.spa_id, CALLBACK, SCOPES)
    code = code_of(browser, request, pool.username, pool.password)
    exchange_code(f"{pool.base}/oauth2/token", request, code)
    with pytest.raises(FAILED) as failed:
        exchange_code(f"{pool.base}/oauth2/token", request, code)
    assert "answered 400 'invalid_grant'" in one_line(failed)


def test_an_unregistered_redirect_uri_fails_in_one_line(browser: BrowserContext, pool: OAuthPool) -> None:
    request = new_request(pool.base, pool.spa_id, CALLBACK + "/elsewhere", SCOPES)
    with pytest.raises(FAILED) as failed:
        code_of(browser, request, pool.username, pool.password)
    message = one_line(failed)
    assert message.startswith(
        "the hosted sign-in page is not what the harness expects: no visible input[name=username] on "
        f"{pool.base}/error (title 'Error'; says: An error was encountered with the requested page.; "
    ), message
    assert "redirect_mismatch" not in message  # the query (error, client_id, state...) is never shown


def test_a_wrong_password_fails_in_one_line(browser: BrowserContext, pool: OAuthPool) -> None:
    request = new_request(pool.base, pool.spa_id, CALLBACK, SCOPES)
    with pytest.raises(FAILED) as failed:
        code_of(browser, request, pool.username, "Wr0ng#Passw0rd!")
    message = one_line(failed)
    assert message.startswith(
        f"the hosted sign-in of {pool.username} did not come back to the callback {CALLBACK} (the page shows an "
        f"error: the credentials, or the user, were refused); the browser is on {pool.base}/login (title 'Signin'; "
    ), message
    assert "Wr0ng#Passw0rd!" not in message
    # The fields are named, never their values: the username field is shown by type, name and id only.
    assert "input[type=text name=username id=signInFormUsername]" in message


def test_a_page_without_the_form_fails_in_one_line(browser: BrowserContext, pool: OAuthPool) -> None:
    """A domain the twin does not know answers a plain-text 404: no form at all."""
    base = pool.base.replace(pool.domain, pool.domain + "-gone")
    request = new_request(base, pool.spa_id, CALLBACK, SCOPES)
    with pytest.raises(FAILED) as failed:
        code_of(browser, request, pool.username, pool.password)
    assert one_line(failed).startswith(
        f"the hosted sign-in page is not what the harness expects: no visible input[name=username] on {base}"
        "/oauth2/authorize (title ''; says: no heading or alert; fields: no form fields)"
    )
