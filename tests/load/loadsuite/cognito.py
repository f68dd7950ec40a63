"""Cognito for the load suite: the harness's users, sign-in and retry policy, as one-line errors, counted.

An adapter only. User creation (names the janitor can sweep, a permanent random password, the
protected-environment refusal), sign-in, refresh and the retry policy (throttling and dropped
connections retried with jittered exponential waits inside a budget; NotAuthorizedException never retried, since
a few bad sign-ins lock a Cognito user) are `fixtures.users`, `fixtures.signin` and
`fixtures.retry`. Added here is what a load run needs on top: every failure as one `SetupError`
line, and a count of calls and throttled answers for the run's summary. These calls never go
through Locust's HTTP client, so they never enter the API statistics.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from fixtures.aws import make_client_factory, make_session
from fixtures.config import EnvConfig
from fixtures.retry import THROTTLING_CODES
from fixtures.signin import SignInError, Tokens
from fixtures.users import CognitoUsers, ProtectedEnvironmentError, TestUser

from .errors import SetupError


class AuthRejected(SetupError):
    """Cognito refused the credentials (NotAuthorizedException): never retried."""


@dataclass
class Member:
    """One pool user and its current tokens (secrets stay out of repr)."""

    user: TestUser
    tokens: Tokens = field(repr=False)
    issued_at: float

    @property
    def sub(self) -> str:
        return self.user.sub

    def bearer(self, token_use: str) -> str:
        return self.tokens.id_token if token_use == "id" else self.tokens.access_token

    def refresh_due(self, fraction: float) -> float:
        """When this member reaches `fraction` of its tokens' lifetime (epoch seconds)."""
        return self.issued_at + fraction * (self.tokens.expires_at - self.issued_at)


@dataclass
class CallStats:
    """Every HTTP attempt to Cognito by operation, and how many were answered with throttling."""

    calls: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def on_send(self, event_name: str = "", **_: Any) -> None:
        with self._lock:
            self.calls[event_name.rsplit(".", 1)[-1]] += 1

    def on_reply(self, parsed: dict[str, Any] | None = None, **_: Any) -> None:
        if (parsed or {}).get("Error", {}).get("Code") in THROTTLING_CODES:
            with self._lock:
                self.throttled += 1


class Cognito:
    """The env's user pool and app client, seen through the harness's user and sign-in code."""

    def __init__(self, config: EnvConfig, *, run_id: str, allow_protected: bool = False) -> None:
        self.config = config
        self.idp = make_client_factory(config, make_session(config))("cognito-idp")
        self.stats = CallStats()
        self.idp.meta.events.register("before-send", self.stats.on_send)
        self.idp.meta.events.register("after-call", self.stats.on_reply)
        flows = config.cognito.allowed_auth_flows
        self.refresh_allowed = "ALLOW_REFRESH_TOKEN_AUTH" in flows
        self.users = CognitoUsers(
            config,
            self.idp,
            run_id=run_id,
            worker="load",
            allow_protected=allow_protected,
        )

    def create_member(self, label: str) -> Member:
        """A new user, signed in; a user whose sign-in fails is deleted again."""
        with self._one_line():
            user = self.users.create(label)
        try:
            return self.sign_in(Member(user, Tokens("", "", None, 0.0), 0.0))
        except SetupError:
            with contextlib.suppress(SetupError):  # the sign-in error is the one to report
                self.delete(user)
            raise

    def sign_in(self, member: Member) -> Member:
        with self._one_line():
            member.issued_at = time.time()
            member.tokens = self.users.sign_in(member.user)
        return member

    def refresh(self, member: Member) -> None:
        """New ID and access tokens: one REFRESH_TOKEN_AUTH call (or a sign-in where refresh is off)."""
        if not self.refresh_allowed or not member.tokens.refresh_token:
            self.sign_in(member)
            return
        with self._one_line():
            issued = time.time()
            member.tokens = self.users.refresh(member.tokens)
            member.issued_at = issued

    def delete(self, user: TestUser) -> None:
        with self._one_line():
            self.users.delete(user)

    @contextmanager
    def _one_line(self) -> Iterator[None]:
        try:
            yield
        except (ProtectedEnvironmentError, SignInError) as exc:
            raise SetupError(str(exc)) from None
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, op = error.get("Code", ""), exc.operation_name
            if code == "NotAuthorizedException":
                raise AuthRejected(
                    f"Cognito {op} refused the credentials ({code}); not retried, to avoid locking the user"
                ) from None
            if code in THROTTLING_CODES:
                raise SetupError(
                    f"Cognito {op} still throttled after the retry budget: lower --pool-size or "
                    "--cognito-concurrency, or ask for a higher Cognito quota"
                ) from None
            raise SetupError(f"Cognito {op} failed: {code}: {error.get('Message', '')}") from None
        except EndpointConnectionError:
            where = self.config.aws.endpoint_url or f"cognito-idp.{self.config.aws.region}.amazonaws.com"
            raise SetupError(f"cannot reach Cognito at {where}: check [aws] endpoint_url and region") from None
        except BotoCoreError as exc:
            raise SetupError(f"Cognito call failed: {type(exc).__name__}: {exc}") from None
