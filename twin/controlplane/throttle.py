"""Answer Cognito calls with TooManyRequestsException (reliability tests): a seeded share, or quota-shaped.

Hand-written: a tiny seeded coin per service and one token bucket per Cognito quota category; no library injects
AWS-shaped throttling into moto, and a rate limiter library would hide the one choice that matters here (which
operation spends which category's tokens, with RespondToAuthChallenge's separate allowance).

- ratio mode: each call is throttled with probability `ratio`; the sequence is reproducible for a given seed.
- quota mode (cognito-idp only): per category, a bucket refilled at `default RPS x quota_scale` tokens a second
  and holding one second of that rate (at least one token); a call of an empty category is throttled. As on AWS
  the quota is per account and Region, so one bucket per category serves every user pool.

`ratio: 0` turns either mode off. The clock is injectable so tests can move time instead of sleeping.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

SERVICES = ("cognito-idp", "cognito-identity")

# Amazon Cognito developer guide, "Quotas in Amazon Cognito": default request rate (RPS) of each user pool API
# category, per account and Region.
CATEGORY_RPS = {
    "UserAuthentication": 120,
    "UserCreation": 50,
    "UserFederation": 25,
    "UserAccountRecovery": 30,
    "UserRead": 120,
    "UserUpdate": 25,
    "UserResourceRead": 50,
    "UserResourceUpdate": 25,
    "UserList": 30,
    "UserPoolRead": 15,
    "UserPoolUpdate": 15,
    "UserPoolResourceRead": 20,
    "UserPoolResourceUpdate": 15,
    "UserPoolClientRead": 15,
    "UserPoolClientUpdate": 15,
    "UserToken": 120,
}
# The challenge answers have their own allowance of 3x UserAuthentication; what exceeds it counts towards
# UserAuthentication (documented: "Amazon Cognito user pools API operations with special request rate handling").
CHALLENGE_CATEGORY = "UserAuthenticationChallenge"
CHALLENGE_FACTOR = 3
CHALLENGE_OPERATIONS = frozenset({"RespondToAuthChallenge", "AdminRespondToAuthChallenge"})
# Operation -> category. Documented: the UserAuthentication and UserCreation rows. Every other assignment follows
# the category's documented description and is unconfirmed (controlplane/README.md lists each one).
OPERATION_CATEGORY = {
    **dict.fromkeys(["AdminInitiateAuth", "InitiateAuth", *CHALLENGE_OPERATIONS], "UserAuthentication"),
    **dict.fromkeys(["SignUp", "ConfirmSignUp", "AdminCreateUser", "AdminConfirmSignUp"], "UserCreation"),
    "AdminSetUserPassword": "UserAccountRecovery",
    **dict.fromkeys(["AdminGetUser", "GetUser"], "UserRead"),
    "AdminDeleteUser": "UserUpdate",
    "AdminAddUserToGroup": "UserResourceUpdate",
    "ListUsers": "UserList",
    **dict.fromkeys(["DescribeUserPool", "ListUserPools"], "UserPoolRead"),
    **dict.fromkeys(["CreateUserPool", "DeleteUserPool"], "UserPoolUpdate"),
    **dict.fromkeys(["GetGroup", "ListGroups"], "UserPoolResourceRead"),
    **dict.fromkeys(["CreateGroup", "UpdateGroup", "DeleteGroup"], "UserPoolResourceUpdate"),
    **dict.fromkeys(["DescribeUserPoolClient", "ListUserPoolClients"], "UserPoolClientRead"),
    **dict.fromkeys(["CreateUserPoolClient", "UpdateUserPoolClient", "DeleteUserPoolClient"], "UserPoolClientUpdate"),
    **dict.fromkeys(
        ["GetTokensFromRefreshToken", "RevokeToken", "GlobalSignOut", "AdminUserGlobalSignOut"], "UserToken"
    ),
}


class ThrottleError(ValueError):
    """A throttle setting that cannot be applied."""


@dataclass
class Bucket:
    rate: float  # tokens a second
    depth: float
    tokens: float
    updated: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.depth, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class Ratio:
    ratio: float
    seed: int | None
    rng: random.Random = field(repr=False)

    def state(self) -> dict[str, object]:
        return {"ratio": self.ratio, "seed": self.seed}

    def throttles(self, operation: str | None, now: float) -> bool:
        return self.rng.random() < self.ratio


@dataclass
class Quota:
    scale: float
    buckets: dict[str, Bucket]

    @classmethod
    def start(cls, scale: float, now: float) -> Quota:
        rates = {name: rps * scale for name, rps in CATEGORY_RPS.items()}
        rates[CHALLENGE_CATEGORY] = rates["UserAuthentication"] * CHALLENGE_FACTOR
        # AWS does not document the burst a category allows: one second of its rate (unconfirmed).
        return cls(scale, {name: Bucket(rate, max(1.0, rate), max(1.0, rate), now) for name, rate in rates.items()})

    def state(self) -> dict[str, object]:
        return {
            "quota_scale": self.scale,
            "categories": {name: {"rps": b.rate, "depth": b.depth} for name, b in self.buckets.items()},
        }

    def throttles(self, operation: str | None, now: float) -> bool:
        category = OPERATION_CATEGORY.get(operation or "")
        if category is None:  # an operation of no known category is not throttled
            return False
        if operation in CHALLENGE_OPERATIONS and self.buckets[CHALLENGE_CATEGORY].take(now):
            return False
        return not self.buckets[category].take(now)


class Throttle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._settings: dict[str, Ratio | Quota] = {}

    def configure(self, body: dict[str, object]) -> dict[str, object]:
        """Apply a POST /_twin/throttle body; returns the setting as applied."""
        service, seed = body.get("service"), body.get("seed")
        if service not in SERVICES:
            raise ThrottleError(f"service must be one of {list(SERVICES)}")
        if ("ratio" in body) == ("quota_scale" in body):
            raise ThrottleError(
                "give either ratio (0 to 1; 0 turns throttling off) or quota_scale (more than 0, "
                "at most 1), not both or neither"
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ThrottleError("seed must be an integer")
        name = str(service)
        if "ratio" in body:
            ratio = body["ratio"]
            if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 <= ratio <= 1:
                raise ThrottleError("ratio must be a number from 0 to 1")
            setting: Ratio | Quota | None = Ratio(float(ratio), seed, random.Random(seed)) if ratio else None
        else:
            scale = body["quota_scale"]
            if isinstance(scale, bool) or not isinstance(scale, int | float) or not 0 < scale <= 1:
                raise ThrottleError(
                    "quota_scale must be a number more than 0 and at most 1 (ratio 0 turns throttling off)"
                )
            if name != "cognito-idp":
                raise ThrottleError("quota_scale models the user pool API categories: service must be cognito-idp")
            if seed is not None:
                raise ThrottleError("seed applies to ratio only; quota throttling draws nothing")
            setting = Quota.start(float(scale), self.clock())
        with self._lock:
            if setting is None:
                self._settings.pop(name, None)
                return {"service": name, "ratio": 0.0, "seed": seed}
            self._settings[name] = setting
        return {"service": name, **setting.state()}

    def state(self) -> dict[str, dict[str, object]]:
        with self._lock:
            return {name: s.state() for name, s in self._settings.items()}

    def should_throttle(self, service: str | None, operation: str | None) -> bool:
        if service is None or not self._settings:
            return False
        with self._lock:
            setting = self._settings.get(service)
            return setting is not None and setting.throttles(operation, self.clock())


ERROR_BODY = b'{"__type":"TooManyRequestsException","message":"Rate exceeded"}'
ERROR_HEADERS = [
    ("Content-Type", "application/x-amz-json-1.1"),
    ("x-amzn-ErrorType", "TooManyRequestsException:"),
]
