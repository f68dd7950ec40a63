"""The token pool's Cognito policy over real HTTP: throttling retried within a budget, a refused
password never retried, refresh in one call per user, every attempt counted, users deleted."""

from __future__ import annotations

import time

import pytest
from loadsuite.cognito import AuthRejected, Cognito
from loadsuite.errors import SetupError
from loadsuite.pool import TokenPool

from fixtures import retry
from fixtures.config import load_config

pytestmark = pytest.mark.load


@pytest.fixture
def cognito(fresh_stack, env_file):
    return Cognito(load_config(env_file), run_id="loadtest")


def test_throttled_calls_are_retried_and_the_pool_still_fills(fresh_stack, cognito):
    fresh_stack.cognito.reset(throttle=0.3)
    pool = TokenPool(cognito, concurrency=2)
    try:
        pool.fill(4)
        assert len(pool.users) == 4 and all(m.tokens.access_token for m in pool.users)
        assert fresh_stack.cognito.throttled > 0, "the proxy throttled some calls"
        assert cognito.stats.throttled == fresh_stack.cognito.throttled, "every throttled answer is counted"
        assert cognito.stats.total == sum(fresh_stack.cognito.calls.values()), "every attempt is counted"
    finally:
        fresh_stack.cognito.reset()
        pool.delete_all()
    assert fresh_stack.pool_usernames() == []


@pytest.fixture
def short_budget():
    budget_s = 3.0
    previous = retry.set_budget(budget_s)
    yield budget_s
    retry.set_budget(previous)


def test_throttling_beyond_the_budget_is_one_clear_error(fresh_stack, cognito, short_budget):
    fresh_stack.cognito.reset(throttle=1.0)
    started = time.monotonic()
    with pytest.raises(SetupError, match=r"still throttled after the retry budget") as caught:
        TokenPool(cognito).fill(3)
    # The budget stops the waits, not the call in flight: a generous margin for one slow answer.
    assert time.monotonic() - started < short_budget + 10, "the retry budget bounds the wait"
    assert "\n" not in str(caught.value) and "token pool could not be filled (0/3 users)" in str(caught.value)
    attempts = sum(fresh_stack.cognito.calls.values())
    assert 1 < attempts <= retry.MAX_ATTEMPTS, f"retried within a bounded number of attempts, saw {attempts}"


def test_a_refused_password_is_never_retried(fresh_stack, cognito):
    member = cognito.create_member("wrongpw")
    try:
        # The password changes behind the pool's back (an operator reset): sign-in is refused.
        fresh_stack.idp().admin_set_user_password(
            UserPoolId=fresh_stack.user_pool_id,
            Username=member.user.username,
            Password="Changed-elsewhere-1!",
            Permanent=True,
        )
        fresh_stack.cognito.reset(throttle=0.0)
        with pytest.raises(AuthRejected, match="not retried"):
            cognito.sign_in(member)
        assert dict(fresh_stack.cognito.calls) == {"AdminInitiateAuth": 1}
    finally:
        cognito.delete(member.user)


def test_refresh_is_one_call_per_user_and_gives_new_tokens(fresh_stack, cognito):
    pool = TokenPool(cognito)
    try:
        pool.fill(2)
        before = [e.token for e in pool.entries()]
        time.sleep(1.1)  # token iat has second resolution
        fresh_stack.cognito.reset()
        pool.refresh_all()
        assert dict(fresh_stack.cognito.calls) == {"InitiateAuth": 2}
        after = [e.token for e in pool.entries()]
        assert not set(before) & set(after)
        assert [e.sub for e in pool.entries()] == [m.sub for m in pool.users], "order and identities kept"
        assert 0.6 * 3600 < pool.next_refresh_in(0.7) <= 0.7 * 3600
    finally:
        pool.delete_all()


def test_users_carry_the_harness_naming_so_the_janitor_can_sweep_them(fresh_stack, cognito):
    pool = TokenPool(cognito)
    try:
        pool.fill(1)
        (name,) = fresh_stack.pool_usernames()
        assert name.startswith("e2e-loadtest-load-0000-")
    finally:
        pool.delete_all()
