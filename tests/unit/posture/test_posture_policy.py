"""The identity-pool policy evaluator against good and bad trust and permission documents."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from fixtures.posture.policy import (
    PolicyError,
    glob_covers,
    glob_match,
    parse_policy,
    trust_findings,
    trust_reaches_pool,
    uncovered_grants,
    wildcard_findings,
)

POOL = "us-east-1:11111111-2222-3333-4444-555555555555"
OTHER_POOL = "us-east-1:99999999-2222-3333-4444-555555555555"


ASSUME = "sts:AssumeRoleWithWebIdentity"
AMR = "cognito-identity.amazonaws.com:amr"


def trust(condition: dict | None, *, principal: object = None, action: object = ASSUME) -> dict:
    statement: dict = {
        "Effect": "Allow",
        "Principal": principal if principal is not None else {"Federated": "cognito-identity.amazonaws.com"},
        "Action": action,
    }
    if condition is not None:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


GOOD_AUTH_TRUST = trust(
    {
        "StringEquals": {"cognito-identity.amazonaws.com:aud": POOL},
        "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
    }
)


def allow(actions: object, resources: object, **extra: object) -> dict:
    statement = {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}
    return {"Version": "2012-10-17", "Statement": [statement]}


# --- parsing -------------------------------------------------------------------------------------


def test_parse_accepts_dict_json_and_url_encoded_text() -> None:
    as_json = json.dumps(GOOD_AUTH_TRUST)
    for doc in (GOOD_AUTH_TRUST, as_json, urllib.parse.quote(as_json)):
        (s,) = parse_policy(doc)
        assert s.effect == "Allow"
        assert s.principals == {"Federated": ("cognito-identity.amazonaws.com",)}
        assert s.conditions["stringequals"]["cognito-identity.amazonaws.com:aud"] == (POOL,)


def test_parse_single_statement_object_and_string_fields() -> None:
    (s,) = parse_policy({"Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Sid": "x"}})
    assert (s.effect, s.actions, s.resources, s.sid) == ("Deny", ("s3:*",), ("*",), "x")


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ("{not json", "not JSON"),
        ("[]", "not a JSON object"),
        ({"Version": "2012-10-17"}, "no Statement"),
        ({"Statement": [{"Effect": "Maybe"}]}, "Effect"),
        ({"Statement": [{"Effect": "Allow", "Action": 5}]}, "Action"),
        ({"Statement": "x"}, "Statement must be"),
    ],
)
def test_parse_rejects_malformed_documents_with_one_line(doc: str | dict[str, object], needle: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(doc)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


# --- globs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("general", "specific", "expected"),
    [
        ("*", "s3:GetObject", True),
        ("s3:*", "s3:GetObject", True),
        ("s3:*", "s3:Get*", True),
        ("s3:Get*", "s3:*", False),
        ("s3:GetObject", "s3:GetObject", True),
        ("s3:GetObject", "s3:GetObject*", False),
        ("s3:Get?bject", "s3:GetObject", True),
        ("s3:Get?bject", "s3:Get*bject", False),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/u/*", True),
        ("arn:aws:s3:::b/u/*", "arn:aws:s3:::b/*", False),
        ("a*b*c", "a*x*b*y*c", True),
        ("a*c", "ab", False),
    ],
)
def test_glob_covers(general: str, specific: str, expected: bool) -> None:
    assert glob_covers(general, specific) is expected


def test_glob_match_treats_value_literally() -> None:
    assert glob_match("us-east-1:*", POOL)
    assert not glob_match("eu-west-1:*", POOL)
    assert glob_match("S3:get*", "s3:GetObject", case_sensitive=False)
    assert not glob_match("a.c", "abc")


# --- trust policies ------------------------------------------------------------------------------


def test_good_authenticated_trust_has_no_findings() -> None:
    assert trust_findings(parse_policy(GOOD_AUTH_TRUST), "auth", POOL, authenticated=True) == []


def test_unauthenticated_role_needs_only_the_aud_binding() -> None:
    doc = trust(
        {
            "StringEquals": {"cognito-identity.amazonaws.com:aud": POOL},
            "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "unauthenticated"},
        }
    )
    assert trust_findings(parse_policy(doc), "unauth", POOL, authenticated=False) == []


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        (trust({"ForAnyValue:StringLike": {AMR: "authenticated"}}), "no aud condition"),
        (
            trust(
                {
                    "StringLike": {"cognito-identity.amazonaws.com:aud": "us-east-1:*"},
                    "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
                }
            ),
            "only StringLike",
        ),
        (
            trust(
                {
                    "StringEquals": {"cognito-identity.amazonaws.com:aud": [POOL, OTHER_POOL]},
                    "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
                }
            ),
            "instead of only",
        ),
        (trust({"StringEquals": {"cognito-identity.amazonaws.com:aud": POOL}}), "no amr condition"),
        (
            trust(
                {
                    "StringEquals": {"cognito-identity.amazonaws.com:aud": POOL},
                    "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "*"},
                }
            ),
            "amr ['*']",
        ),
        (
            trust(
                {
                    "StringEquals": {"cognito-identity.amazonaws.com:aud": POOL},
                    "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "unauthenticated"},
                }
            ),
            "guest",
        ),
        (trust(None, principal="*"), "any principal"),
        (trust(None, principal={"Service": "lambda.amazonaws.com"}, action="sts:AssumeRole"), "does not let"),
    ],
)
def test_bad_authenticated_trust_is_reported(doc: dict, needle: str) -> None:
    findings = trust_findings(parse_policy(doc), "auth", POOL, authenticated=True)
    assert any(needle in f for f in findings), findings
    assert all("\n" not in f for f in findings)


def test_condition_keys_are_case_insensitive() -> None:
    doc = trust(
        {
            "StringEquals": {"Cognito-Identity.amazonaws.com:AUD": POOL},
            "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
        }
    )
    assert trust_findings(parse_policy(doc), "auth", POOL, authenticated=True) == []


def test_trust_reaches_pool() -> None:
    assert trust_reaches_pool(parse_policy(GOOD_AUTH_TRUST), POOL)
    assert not trust_reaches_pool(parse_policy(GOOD_AUTH_TRUST), OTHER_POOL)
    unbound = trust({"ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}})
    assert trust_reaches_pool(parse_policy(unbound), OTHER_POOL)
    like = trust({"StringLike": {"cognito-identity.amazonaws.com:aud": "us-east-1:*"}})
    assert trust_reaches_pool(parse_policy(like), POOL)
    lam = trust(None, principal={"Service": "lambda.amazonaws.com"}, action="sts:AssumeRole")
    assert not trust_reaches_pool(parse_policy(lam), POOL)
    assert trust_reaches_pool(parse_policy(trust(None, principal={"AWS": "*"})), POOL)


# --- permission policies -------------------------------------------------------------------------


def test_scoped_grants_have_no_wildcard_findings() -> None:
    doc = allow(
        ["s3:GetObject", "s3:PutObject"],
        "arn:aws:s3:::learninghub-uploads/private/${cognito-identity.amazonaws.com:sub}/*",
    )
    assert wildcard_findings(parse_policy(doc), "auth") == []


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        (allow("*", "arn:aws:s3:::b/x"), "wildcard actions ['*']"),
        (allow("s3:*", "arn:aws:s3:::b/x"), "wildcard actions ['s3:*']"),
        (allow("s3:Get*", "arn:aws:s3:::b/x"), "wildcard actions"),
        (allow("s3:GetObject", "*"), "every resource;"),
        (allow("s3:GetObject", "arn:aws:s3:::*"), "every resource of s3"),
        (allow("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:*:table/t"), "any account"),
        (allow("s3:GetObject", "arn:aws:*:::b"), "any service"),
        ({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::b/x"}]}, "NotAction"),
        (
            {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::b/x"}]},
            "NotResource",
        ),
    ],
)
def test_wildcard_grants_are_reported(doc: dict, needle: str) -> None:
    findings = wildcard_findings(parse_policy(doc), "auth")
    assert any(needle in f for f in findings), findings


def test_deny_statements_are_not_wildcard_findings() -> None:
    deny_all = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    assert wildcard_findings(parse_policy(deny_all), "r") == []


def test_unauthenticated_grants_covered_by_authenticated_ones() -> None:
    auth = parse_policy(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::b/*"))
    unauth = parse_policy(allow("s3:getobject", "arn:aws:s3:::b/public/*"))
    assert uncovered_grants(unauth, auth) == []


@pytest.mark.parametrize(
    ("unauth_doc", "needle"),
    [
        (allow("s3:DeleteObject", "arn:aws:s3:::b/x"), "s3:DeleteObject on arn:aws:s3:::b/x"),
        (allow("s3:GetObject", "arn:aws:s3:::other/x"), "s3:GetObject on arn:aws:s3:::other/x"),
        (allow("s3:*", "arn:aws:s3:::b/x"), "s3:* on"),
        ({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}, "by exclusion"),
    ],
)
def test_unauthenticated_grants_beyond_authenticated_are_reported(unauth_doc: dict, needle: str) -> None:
    auth = parse_policy(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::b/*"))
    leftover = uncovered_grants(parse_policy(unauth_doc), auth)
    assert any(needle in item for item in leftover), leftover


def test_authenticated_grant_by_exclusion_covers_nothing() -> None:
    # Conservative: NotAction on the broad side is never taken as proof of coverage.
    auth = parse_policy({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]})
    assert uncovered_grants(parse_policy(allow("s3:GetObject", "arn:aws:s3:::b/x")), auth) != []
