"""The authorization code grant through the hosted endpoints, over real HTTP: /oauth2/authorize redirects to the
login page, its HTML form posts back and redirects to the callback with the code and state; /oauth2/token
exchanges the code (with the PKCE verifier) for tokens shaped like an API sign-in's and signed with the pool's
keys; the sign-in session skips the login page until /logout."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
import requests

from tests.twin.controlplane.oauth_support import (
    CALLBACK,
    LOGOUT,
    READ,
    OAuthPool,
    authorize_params,
    claims,
    code_for,
    login,
    make_oauth_pool,
    parse_form,
    pkce,
    query_of,
    token_request,
)
from twin.controlplane import ControlPlane


@pytest.fixture
def pool(idp: Any, control_plane: ControlPlane) -> OAuthPool:
    return make_oauth_pool(idp, control_plane.url)


@pytest.fixture
def sign_in_api(idp: Any) -> Any:
    """The user pools API's sign-in of the pool's user (AuthenticationResult)."""

    def run(pool: OAuthPool) -> dict[str, Any]:
        return idp.admin_initiate_auth(
            UserPoolId=pool.id,
            ClientId=pool.spa_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": pool.username, "PASSWORD": pool.password},
        )["AuthenticationResult"]

    return run


def exchange(pool: OAuthPool, code: str, verifier: str | None = None, **extra: str) -> requests.Response:
    data = {
        "grant_type": "authorization_code",
        "client_id": pool.spa_id,
        "code": code,
        "redirect_uri": CALLBACK,
        **({"code_verifier": verifier} if verifier else {}),
        **extra,
    }
    return token_request(pool, data)


def test_the_login_page_is_a_real_form_with_the_fields_it_needs(pool: OAuthPool) -> None:
    browser = requests.Session()
    first = browser.get(
        f"{pool.base}/oauth2/authorize", params=authorize_params(pool, state="s1"), allow_redirects=False
    )
    assert first.status_code == 302
    assert first.headers["Location"].startswith(f"{pool.base}/login?")
    assert query_of(first.headers["Location"])["state"] == "s1"  # the same parameters, carried on
    page = browser.get(first.headers["Location"], allow_redirects=False)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    form = parse_form(page.text)
    assert form.method == "post" and form.action == first.headers["Location"]
    assert set(form.fields) >= {"_csrf", "username", "password", "signInSubmitButton"}
    assert form.fields["_csrf"]["type"] == "hidden" and form.fields["_csrf"]["value"] == browser.cookies["XSRF-TOKEN"]
    assert form.fields["password"]["type"] == "password"


def test_code_grant_with_pkce_gives_tokens_the_pool_signed(
    pool: OAuthPool, idp: Any, control_plane: ControlPlane, sign_in_api: Any
) -> None:
    verifier, challenge = pkce()
    answer = login(
        requests.Session(),
        pool,
        state="xyz",
        nonce="n-0S6",
        scope="openid email",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(CALLBACK + "?")
    params = query_of(location)
    assert params["state"] == "xyz" and params["code"]

    tokens = exchange(pool, params["code"], verifier)
    assert tokens.status_code == 200, tokens.text
    assert tokens.headers["Content-Type"].startswith("application/json")
    body = tokens.json()
    assert set(body) == {"id_token", "access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600

    jwks = requests.get(f"{control_plane.url}/{pool.id}/.well-known/jwks.json", timeout=10).json()
    keys = {k["kid"]: jwt.PyJWK(k) for k in jwks["keys"]}
    for kind in ("id_token", "access_token"):
        kid = jwt.get_unverified_header(body[kind])["kid"]
        jwt.decode(body[kind], keys[kid].key, algorithms=["RS256"], options={"verify_aud": False})

    access, id_claims = claims(body["access_token"]), claims(body["id_token"])
    assert access["scope"] == "openid email"
    assert access["token_use"] == "access" and access["client_id"] == pool.spa_id
    assert access["username"] == pool.username and access["sub"] == pool.sub and access["iss"] == pool.issuer
    assert access["version"] == 2
    assert id_claims["token_use"] == "id" and id_claims["aud"] == pool.spa_id and id_claims["nonce"] == "n-0S6"
    assert id_claims["cognito:username"] == pool.username and id_claims["email_verified"] is True
    assert "at_hash" in id_claims
    assert access["origin_jti"] == id_claims["origin_jti"] and access["event_id"] == id_claims["event_id"]
    assert access["auth_time"] == id_claims["auth_time"]
    # the same claim names as an API sign-in's tokens, plus the OIDC ones of a hosted sign-in
    api = sign_in_api(pool)
    assert set(claims(api["AccessToken"])) == set(access)
    assert set(claims(api["IdToken"])) | {"at_hash", "nonce"} == set(id_claims)


def test_without_a_scope_the_client_gets_all_its_scopes(pool: OAuthPool) -> None:
    body = exchange(pool, code_for(pool)).json()
    assert claims(body["access_token"])["scope"].split() == ["openid", "email", "profile", READ]


def test_without_openid_there_is_no_id_token(pool: OAuthPool) -> None:
    body = exchange(pool, code_for(pool, scope=READ)).json()
    assert "id_token" not in body and claims(body["access_token"])["scope"] == READ


def test_a_code_works_once(pool: OAuthPool) -> None:
    code = code_for(pool)
    assert exchange(pool, code).status_code == 200
    again = exchange(pool, code)
    assert (again.status_code, again.json()) == (400, {"error": "invalid_grant"})


def test_an_expired_code_is_refused(pool: OAuthPool, monkeypatch: pytest.MonkeyPatch) -> None:
    from twin.controlplane.hosted import state

    monkeypatch.setattr(state, "CODE_LIFETIME_S", -1)
    refused = exchange(pool, code_for(pool))
    assert (refused.status_code, refused.json()) == (400, {"error": "invalid_grant"})


@pytest.mark.parametrize("verifier", ["wrong-verifier-" + "x" * 40, None])
def test_a_wrong_or_missing_verifier_is_refused(pool: OAuthPool, verifier: str | None) -> None:
    _, challenge = pkce()
    code = code_for(pool, code_challenge=challenge, code_challenge_method="S256")
    refused = exchange(pool, code, verifier)
    assert (refused.status_code, refused.json()) == (400, {"error": "invalid_grant"})


def test_the_token_request_must_name_the_same_redirect_uri(pool: OAuthPool) -> None:
    refused = exchange(pool, code_for(pool), redirect_uri=CALLBACK + "/other")
    assert (refused.status_code, refused.json()) == (400, {"error": "invalid_grant"})


def test_a_code_of_another_client_is_refused(pool: OAuthPool, idp: Any) -> None:
    other = idp.create_user_pool_client(
        UserPoolId=pool.id,
        ClientName="other",
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid"],
        AllowedOAuthFlowsUserPoolClient=True,
        CallbackURLs=[CALLBACK],
    )["UserPoolClient"]["ClientId"]
    refused = exchange(pool, code_for(pool), client_id=other)
    assert (refused.status_code, refused.json()) == (400, {"error": "invalid_grant"})


def test_a_wrong_password_shows_the_form_again(pool: OAuthPool) -> None:
    answer = login(requests.Session(), pool, password="Not-the-passw0rd!")
    assert answer.status_code == 200
    assert "Incorrect username or password." in answer.text
    assert parse_form(answer.text).fields["_csrf"]["type"] == "hidden"


def test_a_password_of_any_characters_is_compared_not_crashed_on(pool: OAuthPool) -> None:
    answer = login(requests.Session(), pool, password="Pässwörd-✓-1234")
    assert answer.status_code == 200 and "Incorrect username or password." in answer.text


def test_a_disabled_users_session_signs_no_one_in(pool: OAuthPool, idp: Any) -> None:
    browser = requests.Session()
    assert login(browser, pool).status_code == 302
    idp.admin_disable_user(UserPoolId=pool.id, Username=pool.username)
    again = browser.get(f"{pool.base}/oauth2/authorize", params=authorize_params(pool), allow_redirects=False)
    assert again.headers["Location"].startswith(f"{pool.base}/login?")


def test_a_post_without_the_csrf_token_is_refused(pool: OAuthPool) -> None:
    browser = requests.Session()
    first = browser.get(f"{pool.base}/oauth2/authorize", params=authorize_params(pool), allow_redirects=False)
    refused = browser.post(
        first.headers["Location"], data={"username": pool.username, "password": pool.password}, allow_redirects=False
    )
    assert refused.status_code == 403 and "Location" not in refused.headers


def test_the_session_skips_the_login_page_until_logout(pool: OAuthPool) -> None:
    browser = requests.Session()
    assert login(browser, pool).status_code == 302
    again = browser.get(
        f"{pool.base}/oauth2/authorize", params=authorize_params(pool, state="2"), allow_redirects=False
    )
    assert again.status_code == 302 and again.headers["Location"].startswith(CALLBACK + "?code=")
    assert query_of(again.headers["Location"])["state"] == "2"

    out = browser.get(
        f"{pool.base}/logout", params={"client_id": pool.spa_id, "logout_uri": LOGOUT}, allow_redirects=False
    )
    assert (out.status_code, out.headers["Location"]) == (302, LOGOUT)
    after = browser.get(f"{pool.base}/oauth2/authorize", params=authorize_params(pool), allow_redirects=False)
    assert after.headers["Location"].startswith(f"{pool.base}/login?")


def test_logout_to_an_unregistered_uri_goes_to_the_error_page(pool: OAuthPool) -> None:
    out = requests.get(
        f"{pool.base}/logout",
        params={"client_id": pool.spa_id, "logout_uri": "https://evil.test/"},
        allow_redirects=False,
        timeout=10,
    )
    assert out.status_code == 302
    assert out.headers["Location"] == f"{pool.base}/error?error=redirect_mismatch&client_id={pool.spa_id}"


def test_logout_with_redirect_uri_shows_the_login_page_again(pool: OAuthPool) -> None:
    browser = requests.Session()
    login(browser, pool)
    out = browser.get(f"{pool.base}/logout", params=authorize_params(pool), allow_redirects=False)
    assert out.status_code == 302 and out.headers["Location"].startswith(f"{pool.base}/login?")
    assert "cognito" not in browser.cookies


def test_refresh_token_grant_keeps_the_sign_in(pool: OAuthPool) -> None:
    first = exchange(pool, code_for(pool, scope="openid " + READ)).json()
    refreshed = token_request(
        pool, {"grant_type": "refresh_token", "client_id": pool.spa_id, "refresh_token": first["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    assert set(body) == {"id_token", "access_token", "token_type", "expires_in"}  # no new refresh token
    before, after = claims(first["access_token"]), claims(body["access_token"])
    assert after["scope"] == before["scope"] == "openid " + READ
    assert (after["origin_jti"], after["auth_time"]) == (before["origin_jti"], before["auth_time"])


def test_an_unknown_or_revoked_refresh_token_is_refused(pool: OAuthPool, idp: Any) -> None:
    unknown = token_request(
        pool, {"grant_type": "refresh_token", "client_id": pool.spa_id, "refresh_token": "not-a-token"}
    )
    assert (unknown.status_code, unknown.json()) == (400, {"error": "invalid_grant"})
    refresh = exchange(pool, code_for(pool)).json()["refresh_token"]
    idp.revoke_token(Token=refresh, ClientId=pool.spa_id)
    revoked = token_request(pool, {"grant_type": "refresh_token", "client_id": pool.spa_id, "refresh_token": refresh})
    assert (revoked.status_code, revoked.json()) == (400, {"error": "invalid_grant"})


def test_the_host_header_form_reaches_the_same_endpoints(pool: OAuthPool, control_plane: ControlPlane) -> None:
    host = f"{pool.domain}.auth.us-east-1.amazoncognito.com"
    first = requests.get(
        f"{control_plane.url}/oauth2/authorize",
        params=authorize_params(pool),
        headers={"Host": host},
        allow_redirects=False,
        timeout=10,
    )
    assert first.status_code == 302
    assert first.headers["Location"].startswith(f"http://{host}/login?")
