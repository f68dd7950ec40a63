"""JWT authorizer rejects a token that Cognito really issued and that really expired."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import allure
import pytest

from fixtures.api import ApiClient
from fixtures.oidc import unverified_claims
from fixtures.posture.verdict import fail, fail_on

if TYPE_CHECKING:
    from tests.e2e.conftest import MintedTokens

pytestmark = [pytest.mark.authorizer, pytest.mark.slow]
SKEW_S = 5  # API Gateway's clock leeway is undocumented; wait a little past exp
LONGEST_WAIT_S = 6 * 60


@allure.title("A really expired Cognito token is rejected (401)")
@pytest.mark.timeout(LONGEST_WAIT_S + 120)
def test_really_expired_token_rejected(
    expiring_tokens: MintedTokens, api_client: ApiClient, control_route: tuple[str, str]
) -> None:
    """Design: a re-signed token with a past `exp` would only test our own signing, so this check uses
    the expiry-probe app client (`[cognito] expiry_client_id`, ID/access validity 5 minutes, listed in
    the authorizer's audience). Its tokens are minted when the session starts (an autouse fixture in
    conftest) and checked as accepted right then; the check itself is sorted last, so by the time it
    runs most of the 5 minutes have passed while other tests ran, and it sleeps only the remainder
    (plus a few seconds of clock skew). Both tokens must then get 401."""
    minted = expiring_tokens
    if minted.tokens is None:
        pytest.skip(minted.why_missing)
    if minted.status_when_minted in (401, 403):
        fail(
            f"a fresh token of the expiry client got {minted.status_when_minted} right after sign-in: add "
            "[cognito] expiry_client_id to the authorizer's audience"
        )
    exp = unverified_claims(minted.tokens.access_token)["exp"]
    validity = exp - unverified_claims(minted.tokens.access_token)["iat"]
    if validity > LONGEST_WAIT_S:
        pytest.skip(f"the expiry client's tokens live {validity // 60} minutes: set its validity to 5 minutes")
    wait = exp + SKEW_S - time.time()
    allure.dynamic.parameter("waited seconds", round(max(wait, 0)), excluded=True)
    if wait > 0:
        time.sleep(wait)
    method, path = control_route
    findings: list[str] = []
    for kind in ("id_token", "access_token"):
        status = api_client.request(method, path, token=getattr(minted.tokens, kind)).status_code
        if status != 401:
            findings.append(
                f"an expired {kind.replace('_', ' ')} (exp passed {time.time() - exp:.0f} s ago) got {status}, "
                "expected 401: the route must use a JWT authorizer, which checks exp"
            )
    fail_on(findings)
