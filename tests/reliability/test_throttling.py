"""Throttling and flaky calls: the whole e2e suite stays green while the twin throttles 30 % of the
Cognito calls (seeded) and while every 4th connection to the AWS endpoint is dropped; a refused
sign-in is never retried, even between throttled answers; a user whose creation answer was lost is
taken, not refused as already existing."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from pool_views import NOTHING, cognito, leftovers, run_users
from reliability_runs import Twin, pytest_cmd, run, write_env
from wire_proxy import WireProxy

from fixtures.aws import COUNTER
from fixtures.config import load_config
from fixtures.signin import sign_in
from fixtures.users import CognitoUsers

THROTTLED_RE = re.compile(r"cognito-idp calls: (\d+) .*; (\d+) answered with throttling and retried")


def set_throttle(twin: Twin, ratio: float, seed: int = 1) -> None:
    body: dict[str, str | float] = {"service": "cognito-idp", "ratio": ratio, "seed": seed}
    requests.post(f"{twin.control_url}/_twin/throttle", json=body, timeout=10).raise_for_status()


@pytest.fixture
def throttled(twin: Twin) -> Iterator[Twin]:
    """The shared twin with 30 % of cognito-idp calls answered TooManyRequestsException (this
    process runs one test at a time, so nothing else meets the throttle)."""
    set_throttle(twin, 0.3)
    yield twin
    set_throttle(twin, 0)


def test_the_e2e_suite_is_green_while_cognito_throttles_30_percent(throttled: Twin, tmp_path: Path) -> None:
    done = run(pytest_cmd("tests/e2e", "--env-file", str(throttled.env_file), "-n", "2", basetemp=tmp_path / "bt"))
    assert done.returncode == 0, done.stdout[-4000:]
    counts = THROTTLED_RE.search(done.stdout)
    assert counts, "the run reports how many Cognito answers were throttled:\n" + done.stdout[-2000:]
    calls, throttled_answers = map(int, counts.groups())
    assert throttled_answers >= 5, f"only {throttled_answers} of {calls} calls were throttled"
    state = requests.get(f"{throttled.control_url}/_twin/throttle", timeout=10).json()["throttle"]
    assert state == {"cognito-idp": {"ratio": 0.3, "seed": 1}}, "the throttle stayed on for the whole run"


def test_the_e2e_suite_is_green_under_cognitos_quota_shapes(twin: Twin, tmp_path: Path) -> None:
    """Token buckets per documented quota category (UserCreation, UserAuthentication, UserPoolClientRead ...)
    at a twentieth of the default rates: the run's bursts are throttled and outlasted, and nothing is left."""
    url = f"{twin.control_url}/_twin/throttle"
    requests.post(url, json={"service": "cognito-idp", "quota_scale": 0.05}, timeout=10).raise_for_status()
    try:
        done = run(
            pytest_cmd("tests/e2e", "--env-file", str(twin.env_file), "-n", "2", basetemp=tmp_path / "bt"),
            E2E_RUN_ID=(run_id := f"quota{secrets.token_hex(3)}"),
        )
    finally:
        set_throttle(twin, 0)
    assert done.returncode == 0, done.stdout[-4000:]
    counts = THROTTLED_RE.search(done.stdout)
    assert counts and int(counts[2]) >= 1, "the bursts met the quotas:\n" + done.stdout[-2000:]
    assert leftovers(cognito(twin.env_file), twin.pool_id, run_id) == NOTHING


def test_a_refused_sign_in_is_never_retried_even_between_throttled_answers(throttled: Twin, idp: Any) -> None:
    config = load_config(throttled.env_file, environ={})
    users = CognitoUsers(config, idp, run_id=f"notauth{secrets.token_hex(3)}", worker="gw0")
    user = users.create()
    saw_throttling = False
    try:
        for _ in range(12):  # until one refused sign-in met a throttled answer first (seeded: a few tries)
            before = COUNTER.snapshot()
            with pytest.raises(ClientError) as refused:
                sign_in(idp, config.cognito.user_pool_id, config.cognito.client_id, user.username, "Wrong-password-1!")
            after = COUNTER.snapshot()
            attempts = after.get("cognito-idp:AdminInitiateAuth", 0) - before.get("cognito-idp:AdminInitiateAuth", 0)
            throttled_now = after.get("throttled:cognito-idp", 0) - before.get("throttled:cognito-idp", 0)
            assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
            assert attempts == throttled_now + 1, "throttled answers are retried; the refusal ends the call at once"
            saw_throttling |= throttled_now > 0
            if saw_throttling:
                break
    finally:
        users.cleanup()
    assert saw_throttling, "no refused sign-in met a throttled answer: the throttle did not work"


def test_the_e2e_suite_is_green_when_every_4th_aws_connection_drops(twin: Twin, tmp_path: Path) -> None:
    proxy = WireProxy(twin.control_url, drop_every=4).start()
    try:
        env = write_env(twin.env_file, tmp_path / "env.toml", aws__endpoint_url=proxy.url)
        done = run(pytest_cmd("tests/e2e", "--env-file", str(env), "-n", "2", basetemp=tmp_path / "bt"))
    finally:
        proxy.stop()
    assert done.returncode == 0, done.stdout[-4000:]
    assert proxy.dropped >= 20, f"only {proxy.dropped} of {proxy.connections} connections dropped"
    assert proxy.forwarded >= 3 * proxy.dropped - 3


def test_a_user_whose_creation_answer_was_lost_is_taken_not_refused(twin: Twin, idp: Any, tmp_path: Path) -> None:
    proxy = WireProxy(twin.control_url, lose_first_answer_of="AdminCreateUser").start()
    run_id = f"lost{secrets.token_hex(3)}"
    try:
        config = load_config(write_env(twin.env_file, tmp_path / "env.toml", aws__endpoint_url=proxy.url), environ={})
        users = CognitoUsers(config, cognito(tmp_path / "env.toml"), run_id=run_id, worker="gw0")
        try:
            user = users.create("lost")
            assert proxy.lost == ["AdminCreateUser"], "the first creation's answer must have been lost"
            direct = idp.admin_get_user(UserPoolId=config.cognito.user_pool_id, Username=user.username)
            assert user.sub == next(a["Value"] for a in direct["UserAttributes"] if a["Name"] == "sub")
            assert users.sign_in(user).access_token, "the taken user has the harness's password"
        finally:
            users.cleanup()
    finally:
        proxy.stop()
    assert run_users(idp, twin.pool_id, run_id) == []
