"""The token pool's Cognito policy over real HTTP: throttling retried with jitter within a budget,
wrong passwords never retried, refresh in one call per user, users deleted."""

from __future__ import annotations

import time

import pytest
from loadsuite.cognito import AuthRejected, Cognito, RetryBudget
from loadsuite.errors import SetupError
from loadsuite.pool import TokenPool

pytestmark = pytest.mark.load

FAST = RetryBudget(attempts=8, seconds=10, base_delay=0.01, max_delay=0.05)


@pytest.fixture
def cognito(fresh_stack, monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)

    def make(budget: RetryBudget = FAST) -> Cognito:
        return Cognito(
            region="us-east-1",
            user_pool_id=fresh_stack.user_pool_id,
            client_id=fresh_stack.client_id,
            endpoint_url=fresh_stack.cognito.url,
            budget=budget,
        )

    return make


def test_throttled_calls_are_retried_and_the_pool_still_fills(fresh_stack, cognito):
    fresh_stack.cognito.reset(throttle=0.4)
    pool = TokenPool(cognito(), "t1", concurrency=2)
    try:
        pool.fill(4)
        assert len(pool.users) == 4 and all(u.access_token for u in pool.users)
        assert fresh_stack.cognito.throttled > 0, "the proxy throttled some calls"
        assert pool.cognito.stats.throttled == fresh_stack.cognito.throttled
        assert pool.cognito.stats.total == sum(fresh_stack.cognito.calls.values()), "every attempt is counted"
    finally:
        fresh_stack.cognito.reset()
        pool.delete_all()
    assert fresh_stack.pool_usernames() == []


def test_throttling_beyond_the_budget_is_one_clear_error(fresh_stack, cognito):
    fresh_stack.cognito.reset(throttle=1.0)
    client = cognito(RetryBudget(attempts=3, seconds=10, base_delay=0.01, max_delay=0.05))
    started = time.monotonic()
    with pytest.raises(SetupError, match=r"still throttled after 3 attempts"):
        client.create_user("e2e-load-throttled")
    assert time.monotonic() - started < 2
    assert fresh_stack.cognito.calls["AdminCreateUser"] == 3


def test_a_wrong_password_is_never_retried(fresh_stack, cognito):
    client = cognito(RetryBudget(attempts=8, seconds=30))
    who = client.create_user("e2e-load-wrong-password")
    try:
        who.password = "Wrong-password-1!"
        with pytest.raises(AuthRejected, match="not retried"):
            client.sign_in(who)
        assert fresh_stack.cognito.calls["AdminInitiateAuth"] == 1
    finally:
        client.delete_user(who.username)


def test_refresh_is_one_call_per_user_and_gives_new_tokens(fresh_stack, cognito):
    pool = TokenPool(cognito(), "t2")
    try:
        pool.fill(2)
        before = [e.token for e in pool.entries()]
        time.sleep(1.1)  # token iat has second resolution
        fresh_stack.cognito.reset()
        pool.refresh_all()
        assert dict(fresh_stack.cognito.calls) == {"InitiateAuth": 2}
        after = [e.token for e in pool.entries()]
        assert not set(before) & set(after)
        assert [e.sub for e in pool.entries()] == [u.sub for u in pool.users], "order and identities kept"
        assert 0 < pool.next_refresh_in(0.7) <= 0.7 * 3600
    finally:
        pool.delete_all()


def test_full_jitter_delays_stay_within_the_cap_and_vary():
    budget = RetryBudget(base_delay=0.2, max_delay=5.0)
    delays = [budget.delay(attempt) for attempt in range(10) for _ in range(20)]
    assert all(0 <= d <= 5.0 for d in delays)
    assert len(set(delays)) > 100
    assert max(budget.delay(0) for _ in range(200)) <= 0.2
