"""fixtures.posture.verdict: the one way an e2e check fails (a `Failed: ` crash line, no traceback), and a
loop's AWS error collected as a finding unless the environment was unstable (then it fails at once, raised
from the error, so the report still calls it unstable)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from fixtures.posture.verdict import aws_error_finding, aws_errors_collect, aws_errors_fail, fail, fail_on
from fixtures.preflight import POLICY_FIX
from fixtures.unstable import reason


def client_error(code: str, status: int = 400, operation: str = "GetFunction") -> ClientError:
    response = {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, operation)


def test_fail_is_pytest_fail_without_traceback() -> None:
    with pytest.raises(pytest.fail.Exception) as caught:
        fail("route GET /x allows *: fix it")
    assert caught.value.msg == "route GET /x allows *: fix it"
    assert caught.value.pytrace is False
    assert caught.exconly().startswith("Failed: route GET /x")  # what the self-test's outcomes plugin reads


def test_fail_on_fails_once_with_every_finding() -> None:
    fail_on([])
    with pytest.raises(pytest.fail.Exception) as caught:
        fail_on(["a", "b", "a"])
    assert caught.value.msg == "a\nb" and caught.value.pytrace is False


def test_aws_errors_fail_says_what_aws_error_finding_says() -> None:
    exc = client_error("ResourceNotFoundException")
    with pytest.raises(pytest.fail.Exception) as caught, aws_errors_fail("reading function f", "deploy it"):
        raise exc
    assert caught.value.msg == aws_error_finding("reading function f", "deploy it", exc)
    assert caught.value.msg == "reading function f: GetFunction failed with ResourceNotFoundException: m: deploy it"
    assert aws_error_finding("x", "fix", client_error("AccessDeniedException")).endswith(POLICY_FIX)


def test_aws_errors_collect_goes_on_to_the_next_item() -> None:
    findings: list[str] = []
    done = []
    for name in ("a", "b", "c"):
        with aws_errors_collect(findings, f"reading function {name}", "deploy it"):
            if name != "b":
                raise client_error("ResourceNotFoundException")
            done.append(name)
    assert done == ["b"]
    assert findings == [
        "reading function a: GetFunction failed with ResourceNotFoundException: m: deploy it",
        "reading function c: GetFunction failed with ResourceNotFoundException: m: deploy it",
    ]


def test_aws_errors_collect_fails_at_once_when_the_environment_is_unstable() -> None:
    findings: list[str] = []
    with pytest.raises(pytest.fail.Exception) as caught, aws_errors_collect(findings, "reading function a", "fix"):
        raise client_error("ThrottlingException")
    assert not findings
    assert reason(caught.value) is not None  # the report marks it "environment unstable", not a finding
