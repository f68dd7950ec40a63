"""LambdaRunner against a control plane holding real zips: warm and cold environments, the function's Timeout,
bounded concurrency, error objects, environment variables, and logs in CloudWatch Logs and under DIR/logs."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.twin.gateway.gateway_support import REGION, create_function, eventually, zip_of
from twin.lambdas import Invocation, LambdaRunner
from twin.state import StateLayout, alive

STATEFUL = """
import json, os, sys, time
import boto3
COUNT = 0

def handler(event, context):
    global COUNT
    COUNT += 1
    print("count", COUNT, "probe", event.get("probe"))
    print("to stderr", file=sys.stderr)
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("raise"):
        raise KeyError("missing thing")
    if event.get("unserializable"):
        return {1, 2}
    if event.get("whoami"):
        name = boto3.client("lambda").get_function_configuration(FunctionName=context.function_name)["FunctionName"]
        return {"whoami": name}
    keys = ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_LAMBDA_LOG_GROUP_NAME",
            "AWS_LAMBDA_LOG_STREAM_NAME", "LAMBDA_TASK_ROOT", "FOO")
    return {"count": COUNT, "pid": os.getpid(), "env": {k: os.environ.get(k) for k in keys},
            "request_id": context.aws_request_id, "memory": context.memory_limit_in_mb,
            "remaining": context.get_remaining_time_in_millis(), "cwd": os.getcwd(), "path0": sys.path[0]}
"""


@pytest.fixture
def function(clients: dict[str, Any]) -> str:
    name = f"rn-{uuid.uuid4().hex[:8]}"
    create_function(clients, name, STATEFUL, timeout=2, env={"FOO": "bar"})
    return name


def run(control_url: str, state_dir: Path, body: Callable[[LambdaRunner], Awaitable[Any]], **kwargs: Any) -> Any:
    async def main() -> Any:
        runner = LambdaRunner(control_url, REGION, state_dir, **kwargs)
        try:
            return await body(runner)
        finally:
            await runner.close()

    return asyncio.run(main())


def payload(**event: Any) -> bytes:
    return json.dumps(event).encode()


def result(inv: Invocation) -> Any:
    return json.loads(inv.payload)


def test_warm_environment_and_lambda_variables(control_url: str, function: str, tmp_path: Path) -> None:
    async def body(runner: LambdaRunner) -> list[Invocation]:
        return [await runner.invoke(function, payload(), 5) for _ in range(3)]

    first, _, third = run(control_url, tmp_path, body)
    assert first.status == third.status == "ok"
    assert result(first)["pid"] == result(third)["pid"]
    assert (result(first)["count"], result(third)["count"]) == (1, 3)
    env = result(first)["env"]
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == REGION
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == function
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"]
    assert env["AWS_ENDPOINT_URL"] == control_url
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{function}"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", env["AWS_LAMBDA_LOG_STREAM_NAME"])
    assert env["FOO"] == "bar"
    assert result(first)["cwd"] == result(first)["path0"] == env["LAMBDA_TASK_ROOT"]
    assert Path(env["LAMBDA_TASK_ROOT"]).is_relative_to(tmp_path / "lambda" / function)
    assert result(first)["request_id"] == first.request_id
    assert result(first)["memory"] == "128"
    assert 0 < result(first)["remaining"] <= 2000


def test_boto3_in_the_function_reaches_the_control_plane(control_url: str, function: str, tmp_path: Path) -> None:
    async def body(runner: LambdaRunner) -> Invocation:
        return await runner.invoke(function, payload(whoami=True), 15)

    inv = run(control_url, tmp_path, body)
    assert inv.status == "ok", inv.payload
    assert result(inv) == {"whoami": function}


def test_update_starts_cold(control_url: str, function: str, clients: dict[str, Any], tmp_path: Path) -> None:
    async def body(runner: LambdaRunner) -> tuple[Any, Any, Any]:
        before = result(await runner.invoke(function, payload(), 5))
        clients["lambda"].update_function_configuration(FunctionName=function, Environment={"Variables": {"FOO": "v2"}})

        async def until(wanted: Callable[[Any], bool], what: str) -> Any:
            # A deadline, not a count of tries: on a busy machine one cold start can take seconds.
            deadline = time.monotonic() + 30
            while not wanted(out := result(await runner.invoke(function, payload(), 15))):
                if time.monotonic() > deadline:
                    raise AssertionError(f"{what} not picked up (last: {out!r})")
                await asyncio.sleep(0.05)
            return out

        after_config = await until(lambda out: out.get("env", {}).get("FOO") == "v2", "configuration change")
        clients["lambda"].update_function_code(
            FunctionName=function, ZipFile=zip_of({"app.py": "def handler(e, c):\n    return {'v': 3}\n"})
        )
        return before, after_config, await until(lambda out: out == {"v": 3}, "code change")

    before, after_config, after_code = run(control_url, tmp_path, body)
    assert after_config["pid"] != before["pid"]
    assert after_config["count"] == 1  # fresh module state
    assert after_code == {"v": 3}
    assert not alive(before["pid"])


def test_function_timeout_kills_and_replaces(control_url: str, function: str, tmp_path: Path) -> None:
    async def body(runner: LambdaRunner) -> tuple[Any, Invocation, float, Any]:
        first = result(await runner.invoke(function, payload(), 5))
        started = time.monotonic()
        timed_out = await runner.invoke(function, payload(sleep=10), 30)  # Timeout is 2 s
        elapsed = time.monotonic() - started
        return first, timed_out, elapsed, result(await runner.invoke(function, payload(), 5))

    first, timed_out, elapsed, after = run(control_url, tmp_path, body)
    assert timed_out.status == "error"
    assert re.search(r"Task timed out after 2\.00 seconds", result(timed_out)["errorMessage"])
    assert 1.9 < elapsed < 4
    assert not alive(first["pid"])
    assert after["pid"] != first["pid"]


def test_caller_timeout_leaves_the_function_running(control_url: str, function: str, tmp_path: Path) -> None:
    async def body(runner: LambdaRunner) -> tuple[Invocation, float, Any]:
        await runner.invoke(function, payload(), 5)  # warm: the caller's timeout then only covers the run
        started = time.monotonic()
        inv = await runner.invoke(function, payload(sleep=1), 0.2)
        elapsed = time.monotonic() - started
        # One environment at most, so this call waits until the abandoned invocation has ended and its
        # environment is free (no fixed sleep that a slow machine could outrun).
        return inv, elapsed, result(await runner.invoke(function, payload(), 30))

    inv, elapsed, after = run(control_url, tmp_path, body, max_concurrency=1)
    assert inv.status == "timeout"
    assert inv.payload == b""
    assert elapsed < 0.6
    assert after["count"] == 3  # the abandoned invocation ran to its end in the same environment


def test_concurrency_is_bounded_and_queued(control_url: str, function: str, tmp_path: Path) -> None:
    async def body(runner: LambdaRunner) -> tuple[list[Invocation], float, int]:
        await runner.invoke(function, payload(), 5)  # warm one up so timing is not dominated by cold starts
        started = time.monotonic()
        invs = await asyncio.gather(*(runner.invoke(function, payload(sleep=0.4), 10) for _ in range(6)))
        return list(invs), time.monotonic() - started, runner.pool_size(function)

    invs, elapsed, size = run(control_url, tmp_path, body, max_concurrency=2)
    assert all(inv.status == "ok" for inv in invs)
    assert len({result(inv)["pid"] for inv in invs}) <= 2
    assert size <= 2
    assert elapsed >= 1.2  # 6 invocations of 0.4 s, two at a time


@pytest.mark.parametrize(
    ("event", "error_type", "message"),
    [
        ({"raise": True}, "KeyError", "'missing thing'"),
        ({"unserializable": True}, "Runtime.MarshalError", "Unable to marshal response"),
    ],
)
def test_function_errors(
    control_url: str, function: str, tmp_path: Path, event: dict[str, Any], error_type: str, message: str
) -> None:
    async def body(runner: LambdaRunner) -> Invocation:
        return await runner.invoke(function, payload(**event), 5)

    inv = run(control_url, tmp_path, body)
    assert inv.status == "error"
    error = result(inv)
    assert error["errorType"] == error_type
    assert message in error["errorMessage"]
    assert error["requestId"] == inv.request_id


@pytest.mark.parametrize(
    ("files", "handler_error"),
    [
        ({"other.py": "x = 1\n"}, "Runtime.ImportModuleError"),
        ({"app.py": "x = 1\n"}, "Runtime.HandlerNotFound"),
        ({"app.py": "raise RuntimeError('init failed')\n"}, "RuntimeError"),
    ],
)
def test_init_errors(
    control_url: str, clients: dict[str, Any], tmp_path: Path, files: dict[str, str], handler_error: str
) -> None:
    name = f"rn-bad-{uuid.uuid4().hex[:8]}"
    create_function(clients, name, "x = 1\n")
    clients["lambda"].update_function_code(FunctionName=name, ZipFile=zip_of(files))

    async def body(runner: LambdaRunner) -> Invocation:
        return await runner.invoke(name, payload(), 5)

    inv = run(control_url, tmp_path, body)
    assert inv.status == "error"
    assert result(inv)["errorType"] == handler_error


def test_unknown_function(control_url: str, tmp_path: Path) -> None:
    async def body(runner: LambdaRunner) -> Invocation:
        return await runner.invoke("arn:aws:lambda:us-east-1:123456789012:function:nope", payload(), 5)

    inv = run(control_url, tmp_path, body)
    assert inv.status == "error"
    assert result(inv)["errorType"] == "ResourceNotFoundException"


def test_logs_reach_cloudwatch_and_files(
    control_url: str, function: str, clients: dict[str, Any], tmp_path: Path
) -> None:
    probe = uuid.uuid4().hex

    async def body(runner: LambdaRunner) -> Invocation:
        return await runner.invoke(function, payload(probe=probe), 5)

    inv = run(control_url, tmp_path, body)

    def messages() -> list[str]:
        events = clients["logs"].filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]
        return [e["message"] for e in events]

    # The REPORT line is the invocation's last: waiting for the probe line alone could stop before END/REPORT.
    lines = eventually(
        lambda: (m := messages()) and any(x.startswith(f"REPORT RequestId: {inv.request_id}") for x in m) and m
    )
    rid = inv.request_id
    start = lines.index(f"START RequestId: {rid} Version: $LATEST")
    assert lines[start + 1] == f"count 1 probe {probe}"
    assert "to stderr" in lines
    end = lines.index(f"END RequestId: {rid}")
    assert re.fullmatch(
        rf"REPORT RequestId: {rid}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\t"
        r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms",
        lines[end + 1],
    )
    streams = clients["logs"].describe_log_streams(logGroupName=f"/aws/lambda/{function}")["logStreams"]
    assert len(streams) == 1
    files = list((StateLayout(tmp_path).lambda_logs / function).glob("*.log"))
    assert len(files) == 1
    assert f"count 1 probe {probe}" in files[0].read_text()
    date, _, hex_id = streams[0]["logStreamName"].partition("/[$LATEST]")
    assert files[0].name == f"{date.replace('/', '')}-{hex_id}.log"


def test_close_ends_every_worker(control_url: str, function: str, tmp_path: Path) -> None:
    async def body(runner: LambdaRunner) -> set[int]:
        invs = await asyncio.gather(*(runner.invoke(function, payload(sleep=0.2), 5) for _ in range(3)))
        return {result(inv)["pid"] for inv in invs}

    pids = run(control_url, tmp_path, body)
    assert pids
    assert not any(alive(pid) for pid in pids)
