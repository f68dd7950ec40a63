"""Revocation exposure: the JWT authorizer verifies tokens itself, so a signed-out (revoked) access token keeps
opening the API until it expires, while Cognito's own API refuses it at once (AWS documents both). The check
makes the window visible in the report as a known risk; it fails only where the env file says the window must
be shorter ([cognito] revocation_exposure_max_minutes)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import allure
import pytest
from botocore.exceptions import ClientError

from fixtures.api import ApiClient
from fixtures.config import EnvConfig
from fixtures.harness import Harness
from fixtures.oidc import unverified_claims
from fixtures.posture.verdict import fail, skip_if_denied
from fixtures.users import CognitoUsers

pytestmark = pytest.mark.authorizer
SIGN_OUT_CEILING_S = 60  # Cognito refuses a signed-out token at once; this only bounds a hang
MITIGATION = (
    "shorten the app client's access token validity, or check revocation in the function (GetUser with the "
    "token, or a deny list keyed by origin_jti) for routes where a signed-out session must stop at once"
)


def _refused_by_cognito(idp: Any, access_token: str) -> bool:
    try:
        idp.get_user(AccessToken=access_token)
    except ClientError as exc:
        return exc.response.get("Error", {}).get("Code") == "NotAuthorizedException"
    return False


@allure.title("A signed-out user's access token: refused by Cognito, and the API's exposure window is reported")
def test_revoked_access_token_exposure_is_reported(
    env_config: EnvConfig,
    cognito_users: CognitoUsers,
    aws_client: Callable[[str], Any],
    api_client: ApiClient,
    control_route: tuple[str, str],
    harness: Harness,
) -> None:
    idp = aws_client("cognito-idp")
    user = cognito_users.create("revoked")  # its own user: signing out must not touch the tokens other tests use
    tokens = user.sign_in_fresh()
    method, path = control_route
    before = api_client.request(method, path, token=tokens.access_token).status_code
    if before != 200:
        pytest.skip(f"{method} {path} refused a fresh access token ({before}): the authorizer checks say why")
    with skip_if_denied("sign a test user out (cognito-idp:AdminUserGlobalSignOut)"):
        idp.admin_user_global_sign_out(UserPoolId=env_config.cognito.user_pool_id, Username=user.username)
    deadline = time.monotonic() + SIGN_OUT_CEILING_S
    while not _refused_by_cognito(idp, tokens.access_token):
        if time.monotonic() > deadline:
            fail(
                f"Cognito's GetUser still accepts the access token {SIGN_OUT_CEILING_S} s after a global "
                "sign-out: the pool did not revoke the user's tokens"
            )
        time.sleep(0.5)

    after = api_client.request(method, path, token=tokens.access_token).status_code
    claims = unverified_claims(tokens.access_token)
    window_min = (int(claims["exp"]) - int(claims["iat"])) / 60
    if after != 200:
        allure.attach(
            f"{method} {path} refused the signed-out user's access token with {after}: no exposure.",
            name="revocation exposure",
            attachment_type=allure.attachment_type.TEXT,
        )
        return
    risk = (
        f"revocation exposure: a signed-out user's access token still opened {method} {path} (the JWT "
        f"authorizer checks signature and expiry only); the window is the token's lifetime, {window_min:g} "
        f"minutes; mitigation: {MITIGATION}"
    )
    allure.attach(risk, name="revocation exposure (known risk)", attachment_type=allure.attachment_type.TEXT)
    harness.notes.append(risk)
    limit = env_config.cognito.revocation_exposure_max_minutes
    if limit is not None and window_min > limit:
        fail(
            f"a signed-out user's access token keeps opening {method} {path} for up to {window_min:g} "
            f"minutes, more than [cognito] revocation_exposure_max_minutes = {limit}: {MITIGATION}"
        )
