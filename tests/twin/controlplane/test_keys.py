"""Per-pool signing keys: distinct ID/access keys, pool-scoped JWKS, the moto dummy key never verifies."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
import requests
from jwt import PyJWKClient
from moto.utilities.utils import load_resource


def _jwks(url: str, pool_id: str) -> dict[str, Any]:
    response = requests.get(f"{url}/{pool_id}/.well-known/jwks.json", timeout=10)
    assert response.status_code == 200
    return response.json()


def _verify(url: str, pool_id: str, token: str, **kwargs: Any) -> dict[str, Any]:
    key = PyJWKClient(f"{url}/{pool_id}/.well-known/jwks.json").get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["RS256"], **kwargs)


def test_id_and_access_tokens_verify_with_two_different_keys_of_their_pool(control_plane, make_pool, sign_in):
    pool = make_pool()
    tokens = sign_in(pool)
    assert jwt.get_unverified_header(tokens["IdToken"]).keys() == {"kid", "alg"}
    id_kid = jwt.get_unverified_header(tokens["IdToken"])["kid"]
    access_kid = jwt.get_unverified_header(tokens["AccessToken"])["kid"]
    assert id_kid != access_kid
    assert {k["kid"] for k in _jwks(control_plane.url, pool.id)["keys"]} == {id_kid, access_kid}
    claims = _verify(control_plane.url, pool.id, tokens["IdToken"], audience=pool.client_id, issuer=pool.issuer)
    assert claims["sub"] == pool.sub
    access = _verify(
        control_plane.url, pool.id, tokens["AccessToken"], issuer=pool.issuer, options={"verify_aud": False}
    )
    assert access["client_id"] == pool.client_id


def test_token_of_pool_b_does_not_verify_against_pool_a(control_plane, make_pool, sign_in):
    pool_a, pool_b = make_pool(), make_pool()
    token_b = sign_in(pool_b)["IdToken"]
    kids_a = {k["kid"] for k in _jwks(control_plane.url, pool_a.id)["keys"]}
    assert jwt.get_unverified_header(token_b)["kid"] not in kids_a
    # Even forcing each of pool A's keys onto the token must fail the signature check.
    for jwk in _jwks(control_plane.url, pool_a.id)["keys"]:
        key = jwt.PyJWK(jwk).key
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(token_b, key, algorithms=["RS256"], options={"verify_aud": False})


def test_unknown_pool_answers_404_like_cognito(control_plane):
    for doc in ("jwks.json", "openid-configuration"):
        response = requests.get(f"{control_plane.url}/us-east-1_DOESNOTEXIST/.well-known/{doc}", timeout=10)
        assert response.status_code == 404
        assert response.json() == {"message": "User pool us-east-1_DOESNOTEXIST does not exist."}


def test_openid_configuration_keeps_aws_issuer_and_points_jwks_at_the_twin(control_plane, make_pool):
    pool = make_pool()
    doc = requests.get(f"{control_plane.url}/{pool.id}/.well-known/openid-configuration", timeout=10).json()
    assert doc["issuer"] == pool.issuer
    assert doc["jwks_uri"] == f"{control_plane.url}/{pool.id}/.well-known/jwks.json"
    assert requests.get(doc["jwks_uri"], timeout=10).json() == _jwks(control_plane.url, pool.id)


def test_moto_dummy_key_is_never_served_and_its_forgeries_fail(control_plane, make_pool):
    pool = make_pool()
    served = _jwks(control_plane.url, pool.id)["keys"]
    dummy = load_resource("cognitoidp/resources/jwks-private.json")  # ships in the moto wheel
    assert all(k["kid"] != "dummy" and k["n"] != dummy["n"] for k in served)
    now = int(time.time())
    forged = jwt.encode(
        {"iss": pool.issuer, "aud": pool.client_id, "sub": "mallory", "token_use": "id", "iat": now, "exp": now + 600},
        jwt.PyJWK(dummy).key,
        algorithm="RS256",
        headers={"kid": "dummy"},
    )
    with pytest.raises(jwt.PyJWKClientError):
        _verify(control_plane.url, pool.id, forged, audience=pool.client_id)
    for jwk in served:
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(forged, jwt.PyJWK(jwk).key, algorithms=["RS256"], audience=pool.client_id)
