"""Resource-policy evaluation on its own: the ArnLike/StringEquals slice of IAM the gateway applies."""

from __future__ import annotations

import json

import pytest

from twin.gateway.policy import ResourcePolicy, allows, source_arns

ARNS = source_arns("us-east-1", "123456789012", "abc", "$default", "GET", "/items/{id}", "/items/7")


def policy(*statements: dict[str, object]) -> ResourcePolicy:
    return ResourcePolicy.parse(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))


def grant(source_arn: str, **extra: object) -> dict[str, object]:
    return {
        "Effect": "Allow",
        "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Condition": {"ArnLike": {"AWS:SourceArn": source_arn}},
        **extra,
    }


def test_source_arns() -> None:
    assert ARNS == [
        "arn:aws:execute-api:us-east-1:123456789012:abc/$default/GET/items/{id}",
        "arn:aws:execute-api:us-east-1:123456789012:abc/$default/GET/items/7",
    ]
    default_route = source_arns("r", "1", "abc", "$default", "GET", None, "/x")
    assert default_route == ["arn:aws:execute-api:r:1:abc/$default/$default"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("arn:aws:execute-api:us-east-1:123456789012:abc/*", True),
        ("arn:aws:execute-api:us-east-1:123456789012:abc/*/*/*", True),
        ("arn:aws:execute-api:us-east-1:123456789012:abc/*/GET/items/?", True),
        ("arn:aws:execute-api:us-east-1:123456789012:abc/*/POST/*", False),
        ("arn:aws:execute-api:us-east-1:123456789012:abd/*", False),
        ("arn:aws:execute-api:*:123456789012:abc/*", True),
        ("arn:aws:execute-api:us-east-1*", False),  # a wildcard does not cover the ':' between ARN fields
        ("arn:aws:execute-api:us-east-1:999999999999:abc/*", False),
    ],
)
def test_arn_like(pattern: str, expected: bool) -> None:
    assert allows(policy(grant(pattern)), ARNS, "123456789012") is expected


def test_principal_action_deny_and_unknown_conditions() -> None:
    ok = "arn:aws:execute-api:us-east-1:123456789012:abc/*"
    assert not allows(None, ARNS, "123456789012")
    assert not allows(policy(grant(ok, Principal={"Service": "events.amazonaws.com"})), ARNS, "123456789012")
    assert not allows(policy(grant(ok, Action="lambda:GetFunction")), ARNS, "123456789012")
    assert allows(policy(grant(ok, Action=["lambda:*"])), ARNS, "123456789012")
    assert not allows(policy(grant(ok), {**grant(ok), "Effect": "Deny"}), ARNS, "123456789012")
    odd = grant(ok)
    odd["Condition"] = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    assert not allows(policy(odd), ARNS, "123456789012")
    with_account = grant(ok)
    with_account["Condition"] = {"ArnLike": {"AWS:SourceArn": ok}, "StringEquals": {"AWS:SourceAccount": "1"}}
    assert not allows(policy(with_account), ARNS, "123456789012")
