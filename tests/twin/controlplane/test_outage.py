"""Outage state and service identification, in-process with a fake clock (no sleeps, no timing assertions)."""

from __future__ import annotations

import pytest

from twin.controlplane.app import aws_call
from twin.controlplane.outage import SERVICES, OutageError, Outages


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_an_outage_answers_its_service_until_its_deadline_and_counts_the_answers(clock: FakeClock) -> None:
    outages = Outages(clock)
    assert outages.start({"service": "lambda", "seconds": 5}) == {"service": "lambda", "seconds": 5.0}
    assert outages.hit("lambda") and outages.hit("lambda")
    assert not outages.hit("iam") and not outages.hit(None)
    clock.now += 2
    assert outages.state() == {"active": {"lambda": {"seconds_left": 3.0}}, "answered": {"lambda": 2}}
    clock.now += 3 - 1e-6
    assert outages.hit("lambda")
    clock.now += 1e-6
    assert not outages.hit("lambda")
    assert outages.state() == {"active": {}, "answered": {"lambda": 3}}  # the count outlives the outage


def test_star_breaks_every_service_and_seconds_zero_ends_an_outage_at_once(clock: FakeClock) -> None:
    outages = Outages(clock)
    outages.start({"service": "*", "seconds": 300})
    assert all(outages.hit(name) for name in SERVICES)
    assert not outages.hit("s3")
    outages.start({"service": "iam", "seconds": 0})
    assert not outages.hit("iam") and outages.hit("sts")
    outages.start({"service": "*", "seconds": 0})
    assert not any(outages.hit(name) for name in SERVICES)
    assert outages.state()["active"] == {}


def test_a_new_outage_replaces_the_deadline_and_restarts_the_count(clock: FakeClock) -> None:
    outages = Outages(clock)
    outages.start({"service": "ec2", "seconds": 100})
    outages.hit("ec2")
    outages.start({"service": "ec2", "seconds": 1})
    assert outages.state() == {"active": {"ec2": {"seconds_left": 1.0}}, "answered": {"ec2": 0}}
    clock.now += 1
    assert not outages.hit("ec2")


@pytest.mark.parametrize(
    "body",
    [
        {"service": "s3", "seconds": 5},
        {"service": "lambda", "seconds": 301},
        {"service": "lambda", "seconds": -1},
        {"service": "lambda"},
        {"service": "lambda", "seconds": "5"},
        {"service": "lambda", "seconds": True},
        {"service": "lambda", "seconds": float("nan")},
        {"service": "lambda", "seconds": float("inf")},
        {"seconds": 5},
    ],
)
def test_bad_outages_are_refused_and_change_nothing(clock: FakeClock, body: dict) -> None:
    outages = Outages(clock)
    with pytest.raises(OutageError):
        outages.start(body)
    assert outages.state() == {"active": {}, "answered": {}}


SIGNED = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=0"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"HTTP_X_AMZ_TARGET": "AWSCognitoIdentityProviderService.InitiateAuth"}, ("cognito-idp", "InitiateAuth")),
        ({"HTTP_X_AMZ_TARGET": "AWSCognitoIdentityService.GetId"}, ("cognito-identity", "GetId")),
        (
            {"HTTP_X_AMZ_TARGET": "Logs_20140328.PutLogEvents", "HTTP_AUTHORIZATION": SIGNED.format("logs")},
            ("logs", "PutLogEvents"),
        ),
        ({"HTTP_X_AMZ_TARGET": "secretsmanager.GetSecretValue"}, ("secretsmanager", "GetSecretValue")),
        ({"HTTP_AUTHORIZATION": SIGNED.format("lambda")}, ("lambda", None)),
        ({"HTTP_AUTHORIZATION": SIGNED.format("apigateway")}, ("apigatewayv2", None)),
        ({"HTTP_AUTHORIZATION": SIGNED.format("sts")}, ("sts", None)),
        ({}, (None, None)),  # unsigned and untargeted (e.g. STS AssumeRoleWithWebIdentity): not identified
        ({"HTTP_AUTHORIZATION": "Bearer abc"}, (None, None)),
    ],
)
def test_the_service_of_a_call(headers: dict, expected: tuple) -> None:
    assert aws_call(headers) == expected
