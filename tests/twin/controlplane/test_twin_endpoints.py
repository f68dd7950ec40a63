"""/_twin/* endpoints: health, stored Lambda code, Cognito throttling (ratio and quota), outages."""

from __future__ import annotations

import base64
import hashlib

import boto3
import pytest
import requests
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError


def test_health(control_plane):
    response = requests.get(f"{control_plane.url}/_twin/health", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "moto": "5.2.5"}


def test_lambda_code_is_the_stored_zip_with_its_sha(aws, control_plane, make_zip, make_function):
    first, second = make_zip("v = 1\n"), make_zip("v = 2\n")
    created = make_function(first)
    name = created["FunctionName"]
    response = requests.get(f"{control_plane.url}/_twin/lambda/{name}/code", timeout=10)
    assert response.status_code == 200 and response.content == first
    assert response.headers["x-code-sha256"] == created["CodeSha256"]
    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(first).digest()).decode()
    updated = aws("lambda").update_function_code(FunctionName=name, ZipFile=second)
    response = requests.get(f"{control_plane.url}/_twin/lambda/{name}/code", timeout=10)
    assert response.content == second and response.headers["x-code-sha256"] == updated["CodeSha256"]


def test_lambda_code_of_unknown_function_is_404(control_plane):
    response = requests.get(f"{control_plane.url}/_twin/lambda/no-such-function/code", timeout=10)
    assert response.status_code == 404


def test_throttle_answers_share_of_cognito_calls_as_cognito_does(control_plane, idp, aws):
    url = f"{control_plane.url}/_twin/throttle"
    assert requests.post(url, json={"service": "cognito-idp", "ratio": 0.5, "seed": 7}, timeout=10).ok
    try:
        outcomes = []
        for _ in range(40):
            try:
                idp.list_user_pools(MaxResults=1)
                outcomes.append("ok")
            except ClientError as exc:
                assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 400
                assert exc.response["Error"]["Code"] == "TooManyRequestsException"
                outcomes.append("throttled")
        assert 8 <= outcomes.count("throttled") <= 32
        aws("sts").get_caller_identity()  # other services are untouched
    finally:
        assert requests.post(url, json={"service": "cognito-idp", "ratio": 0}, timeout=10).ok
    for _ in range(10):
        idp.list_user_pools(MaxResults=1)


def _pattern(idp, calls: int) -> list[bool]:
    outcomes = []
    for _ in range(calls):
        try:
            idp.list_user_pools(MaxResults=1)
            outcomes.append(False)
        except ClientError:
            outcomes.append(True)
    return outcomes


def test_same_seed_repeats_the_same_throttle_pattern_and_ratio_one_throttles_all(control_plane, idp):
    url = f"{control_plane.url}/_twin/throttle"
    try:
        requests.post(url, json={"service": "cognito-idp", "ratio": 0.5, "seed": 3}, timeout=10)
        first = _pattern(idp, 20)
        requests.post(url, json={"service": "cognito-idp", "ratio": 0.5, "seed": 3}, timeout=10)
        assert _pattern(idp, 20) == first and any(first) and not all(first)
        requests.post(url, json={"service": "cognito-idp", "ratio": 1}, timeout=10)
        assert all(_pattern(idp, 5))
        assert requests.get(url, timeout=10).json()["throttle"]["cognito-idp"]["ratio"] == 1.0
    finally:
        requests.post(url, json={"service": "cognito-idp", "ratio": 0}, timeout=10)
    assert requests.get(url, timeout=10).json() == {"throttle": {}}


@pytest.mark.parametrize(
    "body",
    [{"service": "s3", "ratio": 0.1}, {"service": "cognito-idp", "ratio": 2}, {"service": "cognito-idp"}, [1, 2]],
)
def test_throttle_rejects_bad_settings(control_plane, body):
    response = requests.post(f"{control_plane.url}/_twin/throttle", json=body, timeout=10)
    assert response.status_code == 400 and response.json()["message"]


class FrozenClock:
    """Stands in for the control plane's clock: time moves only when a test moves it."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_quota_throttling_over_http_a_burst_is_throttled_and_passes_once_refilled(control_plane, idp, monkeypatch):
    url = f"{control_plane.url}/_twin/throttle"
    clock = FrozenClock(0.0)
    monkeypatch.setattr(control_plane.app.throttle, "clock", clock)
    try:
        applied = requests.post(url, json={"service": "cognito-idp", "quota_scale": 0.05}, timeout=10).json()
        assert applied["quota_scale"] == 0.05
        assert applied["categories"]["UserPoolRead"] == {"rps": 0.75, "depth": 1.0}
        assert requests.get(url, timeout=10).json()["throttle"]["cognito-idp"] == {
            key: applied[key] for key in ("quota_scale", "categories")
        }
        assert _pattern(idp, 5) == [False, True, True, True, True]  # UserPoolRead holds one token
        with pytest.raises(ClientError) as caught:
            idp.list_user_pools(MaxResults=1)
        assert caught.value.response["Error"]["Code"] == "TooManyRequestsException"
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        clock.now += 4 / 3 + 0.01  # 0.75 tokens a second: one token back
        assert _pattern(idp, 2) == [False, True]
    finally:
        requests.post(url, json={"service": "cognito-idp", "ratio": 0}, timeout=10)
    assert requests.get(url, timeout=10).json() == {"throttle": {}}


def test_quota_throttling_on_the_real_clock_throttles_a_burst_far_above_the_rate(control_plane, idp):
    url = f"{control_plane.url}/_twin/throttle"
    try:
        # UserPoolRead at 0.015 calls a second: the second of 10 calls is throttled unless they take over 66 s.
        assert requests.post(url, json={"service": "cognito-idp", "quota_scale": 0.001}, timeout=10).ok
        outcomes = _pattern(idp, 10)
        assert not outcomes[0] and any(outcomes)
    finally:
        requests.post(url, json={"service": "cognito-idp", "ratio": 0}, timeout=10)


@pytest.mark.parametrize(
    "body",
    [
        {"service": "cognito-idp", "quota_scale": 0},
        {"service": "cognito-idp", "quota_scale": 0.1, "ratio": 0.1},
        {"service": "cognito-identity", "quota_scale": 0.1},
    ],
)
def test_throttle_rejects_bad_quota_settings(control_plane, body):
    response = requests.post(f"{control_plane.url}/_twin/throttle", json=body, timeout=10)
    assert response.status_code == 400 and response.json()["message"]
    assert requests.get(f"{control_plane.url}/_twin/throttle", timeout=10).json() == {"throttle": {}}


# One call per service, and the error each answers during an outage (botocore parses the code from the answer).
OUTAGE_CALLS = {
    "cognito-idp": (lambda c: c.list_user_pools(MaxResults=1), "InternalErrorException"),
    "cognito-identity": (lambda c: c.list_identity_pools(MaxResults=1), "InternalErrorException"),
    "lambda": (lambda c: c.list_functions(MaxItems=1), "ServiceException"),
    "apigatewayv2": (lambda c: c.get_apis(), "InternalFailure"),
    "logs": (lambda c: c.describe_log_groups(limit=1), "InternalFailure"),
    "iam": (lambda c: c.list_roles(MaxItems=1), "InternalFailure"),
    "sts": (lambda c: c.get_caller_identity(), "InternalFailure"),
    "ec2": (lambda c: c.describe_vpcs(), "InternalFailure"),
    "secretsmanager": (lambda c: c.list_secrets(MaxResults=1), "InternalFailure"),
}


def _outage(control_plane, service: str, seconds: float) -> dict:
    response = requests.post(
        f"{control_plane.url}/_twin/outage", json={"service": service, "seconds": seconds}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("service", list(OUTAGE_CALLS))
def test_an_outage_answers_every_call_of_the_service_as_aws_answers_an_internal_error(control_plane, aws, service):
    call, code = OUTAGE_CALLS[service]
    bystander = "sts" if service != "sts" else "iam"
    assert _outage(control_plane, service, 60) == {"service": service, "seconds": 60.0}
    try:
        for _ in range(2):
            with pytest.raises(ClientError) as caught:
                call(aws(service))
            assert caught.value.response["Error"]["Code"] == code
            assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        OUTAGE_CALLS[bystander][0](aws(bystander))  # other services are untouched
        state = requests.get(f"{control_plane.url}/_twin/outage", timeout=10).json()
        assert list(state["active"]) == [service] and 0 < state["active"][service]["seconds_left"] <= 60
        assert state["answered"][service] == 2
    finally:
        _outage(control_plane, service, 0)
    call(aws(service))
    assert requests.get(f"{control_plane.url}/_twin/outage", timeout=10).json()["active"] == {}


def test_an_outage_reaches_unsigned_cognito_calls_and_all_services_but_not_the_twin_endpoints(control_plane, aws):
    unsigned = boto3.client(
        "cognito-idp",
        region_name="us-east-1",
        endpoint_url=control_plane.url,
        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}),
    )
    _outage(control_plane, "*", 60)
    try:
        with pytest.raises(ClientError) as caught:
            unsigned.initiate_auth(
                ClientId="any", AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": "u", "PASSWORD": "p"}
            )
        assert caught.value.response["Error"]["Code"] == "InternalErrorException"
        for service, (call, code) in OUTAGE_CALLS.items():
            with pytest.raises(ClientError, match=code):
                call(aws(service))
        assert requests.get(f"{control_plane.url}/_twin/health", timeout=10).status_code == 200
    finally:
        _outage(control_plane, "*", 0)
    for service, (call, _) in OUTAGE_CALLS.items():
        call(aws(service))


def test_an_outage_ends_at_its_deadline_and_comes_before_throttling(control_plane, idp, monkeypatch):
    clock = FrozenClock(0.0)
    monkeypatch.setattr(control_plane.app.outages, "clock", clock)
    throttle = f"{control_plane.url}/_twin/throttle"
    requests.post(throttle, json={"service": "cognito-idp", "ratio": 1}, timeout=10)
    try:
        _outage(control_plane, "cognito-idp", 5)
        with pytest.raises(ClientError) as caught:
            idp.list_user_pools(MaxResults=1)
        assert caught.value.response["Error"]["Code"] == "InternalErrorException"
        clock.now += 5
        with pytest.raises(ClientError) as caught:
            idp.list_user_pools(MaxResults=1)
        assert caught.value.response["Error"]["Code"] == "TooManyRequestsException"
        state = requests.get(f"{control_plane.url}/_twin/outage", timeout=10).json()
        assert state["active"] == {} and state["answered"]["cognito-idp"] == 1
    finally:
        requests.post(throttle, json={"service": "cognito-idp", "ratio": 0}, timeout=10)
        _outage(control_plane, "cognito-idp", 0)


@pytest.mark.parametrize(
    "body",
    [
        {"service": "s3", "seconds": 5},
        {"service": "lambda", "seconds": 301},
        {"service": "lambda", "seconds": -1},
        {"service": "lambda"},
        {"service": "lambda", "seconds": "5"},
        [1, 2],
        "not json",
    ],
)
def test_outage_rejects_bad_bodies(control_plane, body):
    if body == "not json":
        response = requests.post(f"{control_plane.url}/_twin/outage", data=b"{", timeout=10)
    else:
        response = requests.post(f"{control_plane.url}/_twin/outage", json=body, timeout=10)
    assert response.status_code == 400 and response.json()["message"]
    assert requests.get(f"{control_plane.url}/_twin/outage", timeout=10).json()["active"] == {}
