"""/oauth2/authorize's refusals as the authorize endpoint page documents them: an unregistered redirect_uri (or an
unknown client) goes to the domain's error page, never to the URI; once client and redirect_uri are valid, every
other problem is a 302 to the redirect_uri with ?error= (invalid_request, unauthorized_client, invalid_scope);
the implicit grant only where the client allows it, with the tokens in the fragment."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.twin.controlplane.oauth_support import (
    CALLBACK,
    OAuthPool,
    authorize_params,
    claims,
    fragment_of,
    login,
    make_oauth_pool,
    pkce,
    query_of,
)
from twin.controlplane import ControlPlane


@pytest.fixture
def pool(idp: Any, control_plane: ControlPlane) -> OAuthPool:
    return make_oauth_pool(idp, control_plane.url)


def authorize(pool: OAuthPool, **params: str) -> requests.Response:
    return requests.get(f"{pool.base}/oauth2/authorize", params=params, allow_redirects=False, timeout=10)


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.test/callback",  # another host
        "http://app.example.test/callback",  # another scheme
        CALLBACK + "/more",  # an added path
        CALLBACK + "?next=https://evil.test",  # an added query
        "https://app.example.test@evil.test/callback",  # the userinfo trick
        CALLBACK.upper(),  # exact match, not case-insensitive
    ],
)
def test_a_redirect_uri_that_is_not_exactly_a_callback_url_goes_to_the_error_page(
    pool: OAuthPool, redirect_uri: str
) -> None:
    answer = authorize(pool, **authorize_params(pool, redirect_uri=redirect_uri, state="s"))
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"{pool.base}/error?error=redirect_mismatch&client_id={pool.spa_id}"
    page = requests.get(answer.headers["Location"], timeout=10)
    assert page.status_code == 400 and "An error was encountered with the requested page." in page.text


def test_a_missing_redirect_uri_and_an_unknown_client_go_to_the_error_page(pool: OAuthPool) -> None:
    params = authorize_params(pool)
    del params["redirect_uri"]
    missing = authorize(pool, **params)
    assert missing.headers["Location"].startswith(f"{pool.base}/error?error=redirect_mismatch")
    unknown = authorize(pool, **authorize_params(pool, client_id="nosuchclient"))
    assert unknown.headers["Location"] == f"{pool.base}/error?error=invalid_request&client_id=nosuchclient"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"response_type": ""}, "invalid_request"),
        ({"response_type": "id_token"}, "invalid_request"),
        ({"response_type": "token"}, "unauthorized_client"),  # the client allows only the code grant
        ({"code_challenge_method": "plain", "code_challenge": "abc"}, "invalid_request"),  # Cognito supports only S256
        ({"code_challenge": "abc"}, "invalid_request"),  # a challenge without its method
        ({"code_challenge_method": "S256"}, "invalid_request"),  # a method without a challenge
        ({"scope": "openid admin"}, "invalid_scope"),  # unknown
        ({"scope": "openid phone"}, "invalid_scope"),  # known, not allowed to the client
        ({"scope": "email"}, "invalid_scope"),  # email without openid
        ({"scope": "learninghub/courses.write"}, "invalid_scope"),  # a custom scope the client may not ask for
    ],
)
def test_other_problems_are_redirected_to_the_redirect_uri(pool: OAuthPool, change: dict[str, str], error: str) -> None:
    params = authorize_params(pool, state="st")
    params.update(change)
    if params["response_type"] == "":
        del params["response_type"]
    answer = authorize(pool, **params)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(CALLBACK + "?")
    assert query_of(location) == {"error": error, "state": "st"}


def test_s256_is_accepted(pool: OAuthPool) -> None:
    _, challenge = pkce()
    answer = authorize(pool, **authorize_params(pool, code_challenge=challenge, code_challenge_method="S256"))
    assert answer.headers["Location"].startswith(f"{pool.base}/login?")


def test_a_client_not_enabled_for_oauth_is_unauthorized(idp: Any, control_plane: ControlPlane) -> None:
    pool = make_oauth_pool(idp, control_plane.url, AllowedOAuthFlowsUserPoolClient=False)
    answer = authorize(pool, **authorize_params(pool))
    assert query_of(answer.headers["Location"]) == {"error": "unauthorized_client"}


def test_the_implicit_grant_where_the_client_allows_it(idp: Any, control_plane: ControlPlane) -> None:
    pool = make_oauth_pool(idp, control_plane.url, AllowedOAuthFlows=["code", "implicit"])
    answer = login(requests.Session(), pool, response_type="token", scope="openid email", state="i", nonce="nn")
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(CALLBACK + "#")
    fragment = fragment_of(location)
    assert set(fragment) == {"id_token", "access_token", "token_type", "expires_in", "state"}
    assert fragment["state"] == "i" and fragment["expires_in"] == "3600"
    assert claims(fragment["id_token"])["nonce"] == "nn"
    assert claims(fragment["access_token"])["scope"] == "openid email"


def test_an_unknown_domain_is_not_served(control_plane: ControlPlane) -> None:
    answer = requests.get(f"{control_plane.url}/hosted/no-such-domain-x/oauth2/authorize", timeout=10)
    assert answer.status_code == 404 and "no-such-domain-x" in answer.text


def test_authorize_takes_get_only(pool: OAuthPool) -> None:
    answer = requests.post(f"{pool.base}/oauth2/authorize", data=authorize_params(pool), timeout=10)
    assert answer.status_code == 405 and answer.headers["Allow"] == "GET"
