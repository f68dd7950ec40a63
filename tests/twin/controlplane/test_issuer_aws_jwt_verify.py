"""An independent verifier: tokens of ORIGINAL and UPDATED twin pools checked by AWS's own aws-jwt-verify.

The verifier gets only the pool id, the token use and the client id (`CognitoJwtVerifier.create`), as a real
application configures it. Keys come either from `verifier.cacheJwks(jwks)` with the JWKS read from the twin, or
from the library's own fetch of its amazonaws.com JWKS URL mapped to the twin (loopback only, never the network).
aws-jwt-verify accepts both issuer forms of a pool id (PR #239), so the stale-issuer refusal it gives after a flip
comes from the key fetch: the issuer-cognito-idp JWKS of a pool on ORIGINAL answers 403, as on AWS (issue #279).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from tests.twin.controlplane.conftest import POOL_POLICIES, REGION

ROOT = Path(__file__).resolve().parents[3]
MODULES = ROOT / ".tools" / "node_modules"
SCRIPT = Path(__file__).with_name("aws_jwt_verify.js")
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed: aws-jwt-verify runs on Node.js")


def _issuer(kind: str, pool_id: str) -> str:
    host = "issuer-cognito-idp" if kind == "UPDATED" else "cognito-idp"
    return f"https://{host}.{REGION}.amazonaws.com/{pool_id}"


def _jwks(url: str, kind: str, pool_id: str) -> dict[str, Any]:
    """The JWKS the pool's discovery document of this issuer form points to."""
    base = f"{url}/issuer-cognito-idp/{pool_id}" if kind == "UPDATED" else f"{url}/{pool_id}"
    discovery = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()
    return requests.get(discovery["jwks_uri"], timeout=10).json()


def aws_jwt_verify(**request: Any) -> dict[str, Any]:
    if not (MODULES / "aws-jwt-verify" / "package.json").exists():
        pytest.fail(
            "aws-jwt-verify is not installed under .tools: run `make setup` "
            "(or `cd .tools && npm install --prefix . aws-jwt-verify@5.2.1`)"
        )
    assert NODE is not None
    done = subprocess.run(
        [NODE, str(SCRIPT)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
        env={"NODE_PATH": str(MODULES), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _set_type(idp: Any, pool_id: str, kind: str) -> None:
    idp.update_user_pool(UserPoolId=pool_id, Policies=POOL_POLICIES, IssuerConfiguration={"Type": kind})


@pytest.mark.parametrize("kind", ["ORIGINAL", "UPDATED"])
@pytest.mark.parametrize(("token_name", "token_use"), [("IdToken", "id"), ("AccessToken", "access")])
def test_aws_jwt_verify_accepts_the_twins_tokens(control_plane, make_pool, sign_in, kind, token_name, token_use):
    pool = make_pool(issuer_type=kind)
    token = sign_in(pool)[token_name]
    answer = aws_jwt_verify(
        mode="cached",
        userPoolId=pool.id,
        clientId=pool.client_id,
        tokenUse=token_use,
        token=token,
        jwks=_jwks(control_plane.url, kind, pool.id),
    )
    assert answer == {"ok": True, "iss": _issuer(kind, pool.id), "fetched": []}


def test_aws_jwt_verify_refuses_an_updated_token_once_the_pool_is_back_on_original(
    control_plane, idp, make_pool, sign_in
):
    pool = make_pool(issuer_type="UPDATED")
    token = sign_in(pool)["AccessToken"]
    request = {"userPoolId": pool.id, "clientId": pool.client_id, "tokenUse": "access", "token": token}
    live = aws_jwt_verify(mode="fetch", controlUrl=control_plane.url, **request)
    assert live["ok"], live
    assert live["fetched"] == [f"{_issuer('UPDATED', pool.id)}/.well-known/jwks.json"]

    _set_type(idp, pool.id, "ORIGINAL")
    refused = aws_jwt_verify(mode="fetch", controlUrl=control_plane.url, **request)
    assert not refused["ok"]
    assert "Status code is 403" in refused["message"], refused
    # The library does not pin the issuer type: with the JWKS pre-loaded it still accepts the token (same keys).
    cached = aws_jwt_verify(mode="cached", jwks=_jwks(control_plane.url, "ORIGINAL", pool.id), **request)
    assert cached["ok"], cached


def test_an_original_token_keeps_verifying_after_the_pool_moves_to_updated(control_plane, idp, make_pool, sign_in):
    # Twin's choice (unconfirmed on AWS): an UPDATED pool keeps serving its original-form JWKS.
    pool = make_pool()
    token = sign_in(pool)["IdToken"]
    _set_type(idp, pool.id, "UPDATED")
    answer = aws_jwt_verify(
        mode="fetch",
        controlUrl=control_plane.url,
        userPoolId=pool.id,
        clientId=pool.client_id,
        tokenUse="id",
        token=token,
    )
    assert answer == {
        "ok": True,
        "iss": _issuer("ORIGINAL", pool.id),
        "fetched": [f"{_issuer('ORIGINAL', pool.id)}/.well-known/jwks.json"],
    }
    fresh = sign_in(pool)["IdToken"]
    assert jwt.decode(fresh, options={"verify_signature": False})["iss"] == _issuer("UPDATED", pool.id)


def test_aws_jwt_verify_refuses_a_token_of_another_pool(control_plane, make_pool, sign_in):
    # The `iss` check the library does make: the token's issuer must be one of the two forms of the pool id.
    mine, other = make_pool(issuer_type="UPDATED"), make_pool()
    answer = aws_jwt_verify(
        mode="cached",
        userPoolId=mine.id,
        clientId=other.client_id,
        tokenUse="id",
        token=sign_in(other)["IdToken"],
        jwks=_jwks(control_plane.url, "UPDATED", mine.id),
    )
    assert not answer["ok"]
    assert answer["message"] == f"issuer not configured: {_issuer('ORIGINAL', other.id)}", answer
