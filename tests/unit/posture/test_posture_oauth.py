"""The OAuth attack rules (fixtures/posture/oauth.py): each look-alike class is a near miss that a careless check
would accept, and the judges find only the harmful answers (a redirect to the look-alike, tokens where none may
be), never a refusal however it is worded."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from fixtures.config import load_config
from fixtures.posture.cognito import RedirectExpectation, redirect_findings
from fixtures.posture.expect import redirect_expectation
from fixtures.posture.oauth import (
    ATTACKER_HOST,
    LOOKALIKE_KINDS,
    fragment_tokens,
    implicit_finding,
    lands_on,
    logout_lookalike_finding,
    lookalike,
    lookalike_finding,
    lookalikes,
    public_client_finding,
    refused,
    reuse_finding,
    verifier_finding,
)

CALLBACK = "https://app.learninghub.test/callback"
CLIENT = "app client spa (abc)"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("other host", f"https://{ATTACKER_HOST}/callback"),
        ("other scheme", "http://app.learninghub.test/callback"),
        ("added path", "https://app.learninghub.test/callback/stackcheck"),
        ("added query", "https://app.learninghub.test/callback?next=https%3A%2F%2Fattacker.stackcheck.invalid%2F"),
        ("userinfo trick", f"https://app.learninghub.test@{ATTACKER_HOST}/callback"),
    ],
)
def test_each_lookalike_is_a_near_miss(kind: str, expected: str) -> None:
    assert lookalike(CALLBACK, kind) == expected
    assert lookalike(CALLBACK, kind) != CALLBACK


def test_lookalikes_keep_ports_queries_and_flip_schemes() -> None:
    assert lookalike("http://localhost:3000/cb", "other host") == f"http://{ATTACKER_HOST}:3000/cb"
    assert lookalike("http://localhost:3000/cb", "other scheme") == "https://localhost:3000/cb"
    assert lookalike("myapp://cb", "other scheme") == "https://cb"
    assert lookalike("https://app.test/", "added path") == "https://app.test/stackcheck"
    assert lookalike("https://app.test/cb?x=1", "added query").startswith("https://app.test/cb?x=1&next=")
    # the userinfo trick: a prefix match sees the app's host, the browser goes to the attacker's
    assert urlsplit(lookalike(CALLBACK, "userinfo trick")).hostname == ATTACKER_HOST
    with pytest.raises(ValueError, match="unknown look-alike kind"):
        lookalike(CALLBACK, "homograph")


def test_a_lookalike_that_is_registered_is_not_tried() -> None:
    registered = [CALLBACK, f"{CALLBACK}/stackcheck", CALLBACK]
    assert lookalikes(registered, "added path") == [(f"{CALLBACK}/stackcheck", f"{CALLBACK}/stackcheck/stackcheck")]
    assert [near for _, near in lookalikes(registered, "other host")] == [
        f"https://{ATTACKER_HOST}/callback",
        f"https://{ATTACKER_HOST}/callback/stackcheck",
    ]


@pytest.mark.parametrize("kind", LOOKALIKE_KINDS)
def test_a_redirect_to_the_lookalike_is_a_finding_and_the_error_page_is_not(kind: str) -> None:
    near = lookalike(CALLBACK, kind)
    sep = "&" if "?" in near else "?"
    finding = lookalike_finding(CLIENT, kind, CALLBACK, near, f"{near}{sep}code=abc&state=s")
    assert finding is not None
    assert finding.startswith(f"{CLIENT}: /oauth2/authorize redirected to the look-alike redirect_uri {near}")
    assert "with an authorization code" in finding
    assert lookalike_finding(CLIENT, kind, CALLBACK, near, None) is None  # ended on the domain's error page
    assert lookalike_finding(CLIENT, kind, CALLBACK, near, f"{CALLBACK}?error=invalid_scope") is None
    assert logout_lookalike_finding(CLIENT, kind, CALLBACK, near, near) is not None
    assert logout_lookalike_finding(CLIENT, kind, CALLBACK, near, "https://auth.example/error?e=1") is None


def test_lands_on_compares_scheme_authority_path_and_the_targets_query() -> None:
    assert lands_on(f"{CALLBACK}?code=1", CALLBACK)
    assert lands_on("HTTPS://APP.learninghub.test/callback?code=1", CALLBACK)
    assert not lands_on(f"{CALLBACK}/x?code=1", CALLBACK)
    assert not lands_on("http://app.learninghub.test/callback?code=1", CALLBACK)
    assert not lands_on(f"{CALLBACK}?code=1", f"{CALLBACK}?next=x")
    assert lands_on(f"{CALLBACK}?next=x&code=1", f"{CALLBACK}?next=x")
    assert lands_on(f"https://{ATTACKER_HOST}/anything", CALLBACK)  # any redirect to the attacker's host
    assert not lands_on(None, CALLBACK)


def test_implicit_tokens_in_the_fragment_are_a_finding_an_error_is_not() -> None:
    location = f"{CALLBACK}#id_token=a&access_token=b&token_type=Bearer&expires_in=3600&state=s"
    assert fragment_tokens(location) == ["access_token", "id_token"]
    finding = implicit_finding(CLIENT, location)
    assert finding is not None and "access_token and id_token" in finding and "access_token=b" not in finding
    assert "implicit_grant_allowed" in finding
    assert implicit_finding(CLIENT, f"{CALLBACK}?error=unauthorized_client&state=s") is None
    assert implicit_finding(CLIENT, None) is None


def test_token_answers_are_refusals_unless_they_carry_a_token() -> None:
    assert refused(400, {"error": "invalid_grant"})
    assert refused(200, {"error": "invalid_grant"})
    assert refused(200, None)
    assert refused(302, {"access_token": "x"})
    assert not refused(200, {"access_token": "x", "token_type": "Bearer"})
    granted = {"id_token": "x", "access_token": "y"}
    for judge in (reuse_finding, lambda c, s, b: verifier_finding(c, "wrong", s, b)):
        assert judge(CLIENT, 400, {"error": "invalid_grant"}) is None
        assert judge(CLIENT, 400, {"error": "invalid_request"}) is None  # refused, whatever the code
        found = judge(CLIENT, 200, granted)
        assert found is not None and found.startswith(CLIENT)


def test_the_spa_client_must_redeem_its_code_without_a_secret() -> None:
    assert public_client_finding(CLIENT, 200, {"access_token": "x"}) is None
    secret = public_client_finding(CLIENT, 400, {"error": "invalid_client"})
    assert secret is not None and "client secret" in secret and "--no-generate-secret" in secret
    broken = public_client_finding(CLIENT, 400, {"error": "invalid_grant"})
    assert broken is not None and "'invalid_grant'" in broken and "sign-in through the hosted UI is broken" in broken


def test_the_implicit_grant_key_is_read_and_honoured_by_the_posture_rule() -> None:
    example = Path(__file__).resolve().parents[3] / "env" / "example.toml"
    assert load_config(example, environ={}).cognito.implicit_grant_allowed is False
    allowed = load_config(example, environ={"E2E_COGNITO__IMPLICIT_GRANT_ALLOWED": "true"})
    assert redirect_expectation(allowed).implicit_ok is True
    client = {"ClientId": "abc", "ClientName": "spa", "AllowedOAuthFlows": ["code", "implicit"]}
    [finding] = redirect_findings(client, RedirectExpectation())
    assert "allows the implicit grant" in finding and "implicit_grant_allowed = true" in finding
    assert redirect_findings(client, RedirectExpectation(implicit_ok=True)) == []
