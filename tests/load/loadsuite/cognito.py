"""Cognito calls of the load suite: create the pool's users, sign them in, refresh, delete them.

Hand-written (not pycognito, not botocore's retry modes) because the retry policy is the point:
throttling is retried with full-jitter exponential backoff inside a budget of attempts and
seconds, while a rejected password is never retried, since a few bad sign-ins lock a Cognito
user. botocore's own retries are switched off so that every call is seen, counted and budgeted
here. These calls never go through Locust's HTTP client, so they never enter the API statistics.
"""

from __future__ import annotations

import logging
import random
import secrets
import string
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from fixtures.redaction import register_secret
from loadsuite.errors import SetupError

THROTTLE_CODES = frozenset({"TooManyRequestsException", "ThrottlingException", "RequestLimitExceeded"})
# Cognito's allowed password symbols; one of each class satisfies any password policy.
SYMBOLS = "^$*.[]{}()?!@#%&/,><:;|_~=+-"
log = logging.getLogger("loadsuite.cognito")

# botocore logs request bodies (passwords, tokens) at DEBUG; keep that out of `--loglevel DEBUG`.
for _name in ("botocore", "boto3", "urllib3"):
    logging.getLogger(_name).setLevel(logging.WARNING)


class AuthRejected(SetupError):
    """Cognito refused the credentials (NotAuthorizedException): never retried."""


@dataclass(frozen=True)
class RetryBudget:
    """How long throttled calls are retried: at most `attempts` tries within `seconds`."""

    attempts: int = 8
    seconds: float = 60.0
    base_delay: float = 0.2
    max_delay: float = 5.0

    def delay(self, attempt: int) -> float:
        """Full jitter (AWS Architecture Blog): uniform in [0, min(cap, base * 2^attempt)]."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


@dataclass
class Identity:
    """One pool member. Secrets are excluded from repr so a stray log line cannot carry them."""

    username: str
    sub: str
    password: str = field(repr=False)
    id_token: str = field(default="", repr=False)
    access_token: str = field(default="", repr=False)
    refresh_token: str = field(default="", repr=False)
    issued_at: float = 0.0
    lifetime: float = 0.0

    def bearer(self, token_use: str) -> str:
        return self.id_token if token_use == "id" else self.access_token


@dataclass
class CallStats:
    """Every Cognito call attempt by operation, plus how many were throttled."""

    calls: Counter[str] = field(default_factory=Counter)
    throttled: int = 0

    @property
    def total(self) -> int:
        return sum(self.calls.values())


class Cognito:
    """The user pool and app client of one env, with the suite's retry policy on every call."""

    def __init__(
        self,
        *,
        region: str,
        user_pool_id: str,
        client_id: str,
        endpoint_url: str | None = None,
        profile: str | None = None,
        auth_flows: list[str] | None = None,
        password_min_length: int = 12,
        budget: RetryBudget | None = None,
    ) -> None:
        session = boto3.Session(profile_name=profile, region_name=region)
        config = Config(
            retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=15, max_pool_connections=16
        )
        self._idp = session.client("cognito-idp", endpoint_url=endpoint_url, config=config)
        self.user_pool_id = user_pool_id
        self.client_id = client_id
        self.endpoint = endpoint_url or f"cognito-idp.{region}.amazonaws.com"
        flows = set(auth_flows or [])
        # Admin sign-in needs no client-side flow other than IAM; USER_PASSWORD_AUTH is the fallback.
        self.admin_auth = not flows or "ALLOW_ADMIN_USER_PASSWORD_AUTH" in flows
        self.refresh_allowed = not flows or "ALLOW_REFRESH_TOKEN_AUTH" in flows
        self.password_length = max(password_min_length, 20)
        self.budget = budget or RetryBudget()
        self.stats = CallStats()

    def create_user(self, username: str) -> Identity:
        """AdminCreateUser without an invitation, then a permanent password (no challenge)."""
        password = self._new_password()
        register_secret(password)
        reply = self._call(
            "AdminCreateUser",
            self._idp.admin_create_user,
            UserPoolId=self.user_pool_id,
            Username=username,
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": f"{username}@example.invalid"},
                {"Name": "email_verified", "Value": "true"},
            ],
        )
        attributes = {a["Name"]: a["Value"] for a in reply["User"].get("Attributes", [])}
        self._call(
            "AdminSetUserPassword",
            self._idp.admin_set_user_password,
            UserPoolId=self.user_pool_id,
            Username=username,
            Password=password,
            Permanent=True,
        )
        return Identity(username=username, sub=attributes.get("sub", username), password=password)

    def sign_in(self, who: Identity) -> None:
        """Password sign-in; a rejection raises AuthRejected at once (no retry, no lockout)."""
        params = {"USERNAME": who.username, "PASSWORD": who.password}
        if self.admin_auth:
            reply = self._call(
                "AdminInitiateAuth",
                self._idp.admin_initiate_auth,
                UserPoolId=self.user_pool_id,
                ClientId=self.client_id,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters=params,
            )
        else:
            reply = self._call(
                "InitiateAuth",
                self._idp.initiate_auth,
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters=params,
            )
        self._store(who, reply, who.username)

    def refresh(self, who: Identity) -> None:
        """New ID and access tokens from the refresh token (same quota as sign-in, one call)."""
        if not self.refresh_allowed or not who.refresh_token:
            self.sign_in(who)
            return
        reply = self._call(
            "InitiateAuth",
            self._idp.initiate_auth,
            ClientId=self.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": who.refresh_token},
        )
        self._store(who, reply, who.username)

    def delete_user(self, username: str) -> None:
        try:
            self._call(
                "AdminDeleteUser", self._idp.admin_delete_user, UserPoolId=self.user_pool_id, Username=username
            )
        except SetupError as exc:
            if "UserNotFoundException" not in str(exc):
                raise

    def _store(self, who: Identity, reply: dict[str, Any], username: str) -> None:
        result = reply.get("AuthenticationResult")
        if not result:
            challenge = reply.get("ChallengeName", "none")
            raise SetupError(f"Cognito sign-in of {username} answered challenge {challenge}, not tokens")
        who.id_token = result["IdToken"]
        who.access_token = result["AccessToken"]
        who.refresh_token = result.get("RefreshToken", who.refresh_token)
        for token in (who.id_token, who.access_token, who.refresh_token):
            register_secret(token)
        who.issued_at = time.time()
        who.lifetime = float(result.get("ExpiresIn", 3600))

    def _call(self, op: str, fn: Callable[..., dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
        deadline = time.monotonic() + self.budget.seconds
        for attempt in range(self.budget.attempts):
            self.stats.calls[op] += 1
            try:
                return fn(**kwargs)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code == "NotAuthorizedException":
                    raise AuthRejected(
                        f"Cognito {op} refused the credentials ({code}); not retried, to avoid locking the user"
                    ) from None
                if code not in THROTTLE_CODES:
                    message = exc.response.get("Error", {}).get("Message", "")
                    raise SetupError(f"Cognito {op} failed: {code}: {message}") from None
                self.stats.throttled += 1
                pause = self.budget.delay(attempt)
                if attempt + 1 >= self.budget.attempts or time.monotonic() + pause > deadline:
                    break
                time.sleep(pause)
            except EndpointConnectionError:
                raise SetupError(f"cannot reach Cognito at {self.endpoint}: check [aws] endpoint_url/region") from None
            except BotoCoreError as exc:
                raise SetupError(f"Cognito {op} failed: {type(exc).__name__}: {exc}") from None
        raise SetupError(
            f"Cognito {op} still throttled after {self.budget.attempts} attempts / {self.budget.seconds:.0f} s: "
            "lower --pool-size or ask for a higher Cognito quota"
        )

    def _new_password(self) -> str:
        body = secrets.token_urlsafe(self.password_length)[: self.password_length - 4]
        picks = [secrets.choice(s) for s in (string.ascii_uppercase, string.ascii_lowercase, string.digits, SYMBOLS)]
        return body + "".join(picks)
