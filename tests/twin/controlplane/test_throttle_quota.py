"""Quota-shaped throttling of cognito-idp, in-process with a fake clock (no sleeps, no timing assertions)."""

from __future__ import annotations

import pytest

from twin.controlplane.throttle import CATEGORY_RPS, Throttle, ThrottleError


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def quota(clock: FakeClock, scale: float) -> Throttle:
    throttle = Throttle(clock)
    throttle.configure({"service": "cognito-idp", "quota_scale": scale})
    return throttle


def passes(throttle: Throttle, operation: str, calls: int) -> list[bool]:
    return [not throttle.should_throttle("cognito-idp", operation) for _ in range(calls)]


def test_a_category_allows_one_second_of_its_rate_then_refills_at_that_rate(clock: FakeClock) -> None:
    throttle = quota(clock, 0.05)  # UserAuthentication: 120 x 0.05 = 6 a second, 6 deep
    assert passes(throttle, "InitiateAuth", 7) == [True] * 6 + [False]
    clock.now += 1 / 6 - 1e-6
    assert passes(throttle, "AdminInitiateAuth", 1) == [False]
    clock.now += 2e-6
    assert passes(throttle, "AdminInitiateAuth", 2) == [True, False]
    clock.now += 60  # refills to the depth, never beyond it
    assert passes(throttle, "InitiateAuth", 7) == [True] * 6 + [False]


def test_a_slow_category_holds_at_least_one_token(clock: FakeClock) -> None:
    throttle = quota(clock, 0.05)  # UserPoolRead: 15 x 0.05 = 0.75 a second, 1 deep
    assert passes(throttle, "ListUserPools", 2) == [True, False]
    clock.now += 1.33
    assert passes(throttle, "DescribeUserPool", 1) == [False]
    clock.now += 0.01  # 1.34 s x 0.75 > 1 token
    assert passes(throttle, "DescribeUserPool", 2) == [True, False]


def test_categories_are_separate_and_shared_by_their_operations(clock: FakeClock) -> None:
    throttle = quota(clock, 0.05)
    assert passes(throttle, "ListUsers", 2) == [True, False]  # UserList 1.5 a second, 1 deep
    assert passes(throttle, "AdminGetUser", 6) == [True] * 6  # UserRead is another bucket
    assert passes(throttle, "GetUser", 1) == [False]  # ... shared by both user reads
    assert passes(throttle, "CreateGroup", 1) == [True]
    assert passes(throttle, "DeleteGroup", 1) == [False]


def test_challenge_answers_have_three_times_the_allowance_and_spill_into_user_authentication(clock: FakeClock) -> None:
    throttle = quota(clock, 0.05)  # challenges: 18 deep; UserAuthentication: 6 deep
    assert passes(throttle, "RespondToAuthChallenge", 18) == [True] * 18
    assert passes(throttle, "AdminRespondToAuthChallenge", 7) == [True] * 6 + [False]  # the excess spent 6
    assert passes(throttle, "InitiateAuth", 1) == [False]


def test_an_operation_of_no_category_and_other_services_are_never_throttled(clock: FakeClock) -> None:
    throttle = Throttle(clock)
    throttle.configure({"service": "cognito-idp", "quota_scale": 0.001})
    assert passes(throttle, "AdminListDevices", 50) == [True] * 50
    assert not any(throttle.should_throttle("cognito-idp", None) for _ in range(50))
    assert not any(throttle.should_throttle("cognito-identity", "GetId") for _ in range(50))


def test_the_full_quota_and_the_state(clock: FakeClock) -> None:
    throttle = quota(clock, 1)
    assert passes(throttle, "AdminCreateUser", 51) == [True] * 50 + [False]
    state = throttle.state()["cognito-idp"]
    assert state["quota_scale"] == 1.0
    categories = state["categories"]
    assert isinstance(categories, dict)
    assert {name: c["rps"] for name, c in categories.items() if name in CATEGORY_RPS} == CATEGORY_RPS
    assert categories["UserAuthenticationChallenge"] == {"rps": 360, "depth": 360}
    scaled = quota(clock, 0.001).state()["cognito-idp"]["categories"]
    assert isinstance(scaled, dict) and scaled["UserPoolRead"]["depth"] == 1.0


def test_ratio_zero_turns_the_quota_off_and_a_new_setting_replaces_the_old(clock: FakeClock) -> None:
    throttle = quota(clock, 0.001)
    assert passes(throttle, "ListUsers", 2) == [True, False]
    assert throttle.configure({"service": "cognito-idp", "ratio": 0}) == {
        "service": "cognito-idp",
        "ratio": 0.0,
        "seed": None,
    }
    assert throttle.state() == {}
    assert passes(throttle, "ListUsers", 5) == [True] * 5
    throttle.configure({"service": "cognito-idp", "quota_scale": 0.001})
    throttle.configure({"service": "cognito-idp", "ratio": 1})
    assert throttle.state() == {"cognito-idp": {"ratio": 1.0, "seed": None}}
    assert passes(throttle, "AdminListDevices", 1) == [False]  # ratio mode throttles every operation


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"service": "cognito-idp", "quota_scale": 0}, "ratio 0 turns"),
        ({"service": "cognito-idp", "quota_scale": 1.5}, "at most 1"),
        ({"service": "cognito-idp", "quota_scale": -0.1}, "more than 0"),
        ({"service": "cognito-idp", "quota_scale": True}, "quota_scale must be a number"),
        ({"service": "cognito-idp", "quota_scale": "0.1"}, "quota_scale must be a number"),
        ({"service": "cognito-idp", "quota_scale": float("nan")}, "quota_scale must be a number"),
        ({"service": "cognito-idp", "quota_scale": 0.1, "ratio": 0.5}, "not both"),
        ({"service": "cognito-idp"}, "or neither"),
        ({"service": "cognito-idp", "quota_scale": 0.1, "seed": 1}, "seed applies to ratio only"),
        ({"service": "cognito-identity", "quota_scale": 0.1}, "service must be cognito-idp"),
    ],
)
def test_bad_quota_settings_are_refused_and_change_nothing(clock: FakeClock, body: dict, needle: str) -> None:
    throttle = Throttle(clock)
    with pytest.raises(ThrottleError, match=needle):
        throttle.configure(body)
    assert throttle.state() == {}
