"""/_twin/* endpoints: health, stored Lambda code, Cognito throttling."""

from __future__ import annotations

import base64
import hashlib

import pytest
import requests
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


@pytest.mark.parametrize("body", [{"service": "s3", "ratio": 0.1}, {"service": "cognito-idp", "ratio": 2},
                                  {"service": "cognito-idp"}, [1, 2]])
def test_throttle_rejects_bad_settings(control_plane, body):
    response = requests.post(f"{control_plane.url}/_twin/throttle", json=body, timeout=10)
    assert response.status_code == 400 and response.json()["message"]
