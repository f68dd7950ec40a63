"""Turns a list of findings, or an AWS error in the middle of a check, into one test failure that a
reader can act on."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from fixtures.preflight import DENIED_CODES, POLICY_FIX, describe_aws_error

MAX_SHOWN = 25
# Codes a runner gets for a call its policy refuses (Cognito says NotAuthorizedException for some).
DENIED = {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "NotAuthorizedException"}
FIX_FUNCTION_NAME = "set [lambda] function_name to the API's integration target (Lambda > Functions)"


def fail_on(findings: Iterable[str], *, limit: int = MAX_SHOWN) -> None:
    """Fail the test with one line per finding (duplicates dropped, long lists cut), or do nothing."""
    unique = list(dict.fromkeys(findings))
    if not unique:
        return
    shown = unique[:limit]
    more = len(unique) - len(shown)
    tail = [f"... and {more} more finding(s) of the same check"] if more else []
    pytest.fail("\n".join([*shown, *tail]), pytrace=False)


@contextmanager
def aws_errors_fail(what: str, fix: str) -> Iterator[None]:
    """An AWS error inside the block fails the test in one line: `what` was being done, the error, and
    `fix` (the CI policy instead when access was denied). A traceback from botocore names no env key."""
    try:
        yield
    except ClientError as exc:
        denied = exc.response.get("Error", {}).get("Code") in DENIED_CODES
        pytest.fail(f"{what}: {describe_aws_error(exc)}: {POLICY_FIX if denied else fix}", pytrace=False)
    except BotoCoreError as exc:
        pytest.fail(f"{what}: {describe_aws_error(exc)}: {fix}", pytrace=False)


@contextmanager
def skip_if_denied(what: str) -> Iterator[None]:
    """A call the runner's policy refuses skips the check, naming the right; any other error propagates."""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code in DENIED:
            pytest.skip(f"the runner may not {what} ({code}): grant it to run this check")
        raise
