"""AWS timing of Lambda logs on the twin: each log stream reaches CloudWatch Logs on its own delay, in its own
order, streams overtaking each other; and the reject round's grace window catches a rejected request whose line
comes after the control probe's (real runner, real shipper process, real control plane).

The delay rules run on a fake clock; the twin-level tests wait for states (a stream listed, a probe seen) and
force the delays that matter (a stream held for an hour, released only by the shipper's last round)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from fixtures.reject_round import read_round_logs
from tests.twin.gateway.gateway_support import REGION, create_function
from twin.lambdas import LambdaRunner
from twin.lambdas.logdelay import FORCED_ENV, MAX_ENV, MIN_ENV, SEED_ENV, LogDelay, LogDelayError
from twin.lambdas.logship import DelayedStreams, Shipper, parse

ROOT = Path(__file__).resolve().parents[3]
HOLD_S = 3600.0  # "for ever" within a test: such a stream ships only in the shipper's last round

PROBE_SOURCE = """
import json, os, time

def handler(event, context):
    print(json.dumps({"probe": event["probe"]}))
    gate = event.get("gate")
    while gate and not os.path.exists(gate):  # holds this environment busy until the test opens the gate
        time.sleep(0.01)
    return {"stream": context.log_stream_name}
"""


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


# --- the delay rules ---------------------------------------------------------------------------------------


def test_forced_delays_go_to_streams_in_the_order_they_are_first_seen() -> None:
    held = DelayedStreams(LogDelay(1.0, 2.0, forced=(5.0, 0.0), seed=7), Clock())
    for name in ("a", "b", "c", "d"):
        assert held.add(("fn", name), [(0, name)]) is True
    assert held.add(("fn", "a"), [(0, "again")]) is False
    assert (held.delay_of(("fn", "a")), held.delay_of(("fn", "b"))) == (5.0, 0.0)
    drawn = [held.delay_of(("fn", "c")), held.delay_of(("fn", "d"))]
    assert all(d is not None and 1.0 <= d <= 2.0 for d in drawn)
    # Same seed, same draws: a run can be repeated exactly.
    again = DelayedStreams(LogDelay(1.0, 2.0, forced=(5.0, 0.0), seed=7), Clock())
    for name in ("a", "b", "c", "d"):
        again.add(("fn", name), [])
    assert [again.delay_of(("fn", "c")), again.delay_of(("fn", "d"))] == drawn


def test_each_stream_keeps_its_order_and_streams_overtake() -> None:
    clock = Clock()
    held = DelayedStreams(LogDelay(forced=(3.0, 0.5)), clock)
    held.add(("fn", "slow"), [(1, "slow 1")])
    clock.now = 1.0
    held.add(("fn", "slow"), [(2, "slow 2")])
    held.add(("fn", "fast"), [(3, "fast 1")])  # written last, due first (at 1.5)
    assert held.next_due() == 1.5
    assert held.release() == []
    clock.now = 1.5
    assert held.release() == [("fn", "fast", [(3, "fast 1")])]
    clock.now = 3.0
    assert held.release() == [("fn", "slow", [(1, "slow 1")])]
    clock.now = 4.0
    assert held.release() == [("fn", "slow", [(2, "slow 2")])]
    assert held.next_due() is None


def test_the_last_round_ships_everything_held_in_order() -> None:
    clock = Clock()
    held = DelayedStreams(LogDelay(forced=(HOLD_S,)), clock)
    held.add(("fn", "s"), [(1, "one")])
    held.add(("fn", "s"), [(2, "two")])
    assert held.release() == []
    assert held.release(flush=True) == [("fn", "s", [(1, "one"), (2, "two")])]


class FlakyLogs:
    """put_log_events fails for `failing` streams while `down`; records what was shipped."""

    def __init__(self) -> None:
        self.down: set[str] = set()
        self.shipped: list[tuple[str, list[str]]] = []

    def create_log_group(self, **_: Any) -> None:
        pass

    def create_log_stream(self, **_: Any) -> None:
        pass

    def put_log_events(self, logGroupName: str, logStreamName: str, logEvents: list[dict[str, Any]]) -> None:
        if logStreamName in self.down:
            raise ConnectionError("control plane away")
        self.shipped.append((logStreamName, [e["message"] for e in logEvents]))


def test_a_stream_that_could_not_be_shipped_keeps_its_order() -> None:
    logs = FlakyLogs()
    shipper = Shipper(logs)
    logs.down = {"a"}
    shipper.ship([("fn", "a", [(1, "a1")]), ("fn", "b", [(1, "b1")]), ("fn", "a", [(2, "a2")])])
    assert logs.shipped == [("b", ["b1"])]  # a2 waits behind a1 instead of overtaking it
    logs.down = set()
    shipper.ship([("fn", "a", [(3, "a3")])])
    assert logs.shipped == [("b", ["b1"]), ("a", ["a1"]), ("a", ["a2"]), ("a", ["a3"])]


def test_settings_from_the_environment() -> None:
    assert LogDelay.from_env({}) == LogDelay(0.2, 1.5)
    env = {MIN_ENV: "0", MAX_ENV: "0.5", FORCED_ENV: "4, 0", SEED_ENV: "3"}
    assert LogDelay.from_env(env) == LogDelay(0.0, 0.5, (4.0, 0.0), 3)
    assert LogDelay.from_env(env, min_s=0.1, max_s=0.2) == LogDelay(0.1, 0.2, (4.0, 0.0), 3)  # flags win
    assert LogDelay.from_env({MIN_ENV: "3"}) == LogDelay(3.0, 3.0)  # a minimum alone is the whole range
    assert LogDelay(0, 0).off and not LogDelay(0, 0, (1.0,)).off
    for bad, message in [
        ({MIN_ENV: "abc"}, f"{MIN_ENV} must be a number of seconds, got 'abc'"),
        ({MAX_ENV: "-1"}, f"{MAX_ENV} must be between 0 and 3600 seconds, got '-1'"),
        ({MIN_ENV: "2", MAX_ENV: "1"}, "the minimum log delay (2 s) is above the maximum (1 s)"),
        ({FORCED_ENV: "1,x"}, f"{FORCED_ENV} must be a number of seconds, got 'x'"),
        ({SEED_ENV: "1.5"}, f"{SEED_ENV} must be an integer, got '1.5'"),
    ]:
        with pytest.raises(LogDelayError) as info:
            LogDelay.from_env(bad)
        assert str(info.value) == message


@pytest.mark.parametrize("settings", [LogDelay(0.1, 0.2), LogDelay(0.0, 0.0, (HOLD_S, 0.0), 5)])
def test_the_runner_hands_the_shipper_exactly_its_settings(settings: LogDelay) -> None:
    # Every setting goes on the command line, so the shipper's environment cannot add to them.
    base = ["--control-url", "http://127.0.0.1:9", "--region", REGION, "--log-dir", "/nonexistent"]
    env = {MIN_ENV: "7", MAX_ENV: "8", FORCED_ENV: "9", SEED_ENV: "1"}
    assert parse([*base, *settings.args()], env)[1] == settings


def test_the_shipper_refuses_a_bad_delay_in_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "twin.lambdas.logship",
            "--control-url",
            "http://127.0.0.1:9",
            "--region",
            REGION,
            "--log-dir",
            str(tmp_path),
            "--delay-max",
            "soon",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        "python -m twin.lambdas.logship: error: argument --delay-max: --delay-max must be a number of seconds, "
        "got 'soon'"
    )
    assert "Traceback" not in proc.stderr


# --- on the twin --------------------------------------------------------------------------------------------


def stream_count(logs: Any, function: str) -> int:
    try:
        return len(logs.describe_log_streams(logGroupName=f"/aws/lambda/{function}")["logStreams"])
    except logs.exceptions.ResourceNotFoundException:
        return 0


async def until(check: Any, what: str, timeout: float = 60.0) -> None:
    """Wait for a state (generous ceiling: a cold start on a busy machine takes seconds)."""
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        await asyncio.sleep(0.05)


class ControlWatch:
    """A logs client that tells when a page first held the control probe (so the test releases the slow stream
    only after the round has seen the control, which is the case the grace window is for)."""

    def __init__(self, logs: Any, control: str) -> None:
        self._logs, self._control = logs, control
        self.seen = threading.Event()

    def filter_log_events(self, **kwargs: Any) -> Any:
        page = self._logs.filter_log_events(**kwargs)
        if any(self._control in e["message"] for e in page.get("events", [])):
            self.seen.set()
        return page


def test_a_leak_in_a_slow_stream_is_missed_without_grace_and_caught_with_it(
    control_url: str, clients: dict[str, Any], tmp_path: Path
) -> None:
    function = f"lt-{uuid.uuid4().hex[:8]}"
    create_function(clients, function, PROBE_SOURCE, timeout=120)
    leak, control = f"e2e-lt-leak-{uuid.uuid4().hex[:6]}", f"e2e-lt-control-{uuid.uuid4().hex[:6]}"
    gate = tmp_path / "gate"
    since_ms = int(time.time() * 1000) - 60_000
    logs = clients["logs"]

    async def body() -> tuple[set[str], set[str], str, str]:
        # The first stream the shipper sees is held an hour, the second not at all.
        runner = LambdaRunner(
            control_url,
            REGION,
            tmp_path / "state",
            max_concurrency=2,
            log_delay=LogDelay(0.0, 0.0, forced=(HOLD_S, 0.0)),
        )
        closed = False
        try:
            # The "rejected" request that reached the Lambda: its environment stays busy until the gate opens,
            # so the control request must start a second environment, with a stream of its own.
            leaked = asyncio.create_task(
                runner.invoke(function, json.dumps({"probe": leak, "gate": str(gate)}).encode(), 120)
            )
            await until(lambda: stream_count(logs, function) == 1, "the leak's stream seen by the shipper")
            answer = await runner.invoke(function, json.dumps({"probe": control}).encode(), 120)
            gate.touch()
            leaked_answer = await leaked
            assert answer.ok and leaked_answer.ok, (answer, leaked_answer)
            streams = json.loads(leaked_answer.payload)["stream"], json.loads(answer.payload)["stream"]
            without = await asyncio.to_thread(
                read_round_logs,
                logs,
                function,
                {leak},
                control,
                since_ms=since_ms,
                wait_s=60,
                grace_s=0.0,
                interval_s=0.2,
            )
            watch = ControlWatch(logs, control)
            # A long grace as a ceiling: the read ends as soon as every probe is in.
            reader = asyncio.create_task(
                asyncio.to_thread(
                    read_round_logs,
                    watch,
                    function,
                    {leak},
                    control,
                    since_ms=since_ms,
                    wait_s=60,
                    grace_s=120.0,
                    interval_s=0.2,
                )
            )
            assert await asyncio.to_thread(watch.seen.wait, 60)
            await runner.close()  # the shipper's last round ships the held stream: after the control was seen
            closed = True
            return without, await reader, *streams
        finally:
            if not closed:
                await runner.close()

    without, with_grace, leak_stream, control_stream = asyncio.run(body())
    assert leak_stream != control_stream
    assert without == {control}  # the round without a grace stops at the control probe: the leak is missed
    assert with_grace == {leak, control}  # with the grace it is caught
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]
    streams_of = {p: {e["logStreamName"] for e in events if p in e["message"]} for p in (leak, control)}
    assert streams_of == {leak: {leak_stream}, control: {control_stream}}


def test_with_random_delays_every_stream_keeps_its_order(
    control_url: str, clients: dict[str, Any], tmp_path: Path
) -> None:
    function = f"lt-{uuid.uuid4().hex[:8]}"
    create_function(clients, function, PROBE_SOURCE, timeout=60)
    probes = [f"p{i:02d}-{uuid.uuid4().hex[:6]}" for i in range(12)]
    logs = clients["logs"]

    async def body() -> list[Any]:
        runner = LambdaRunner(
            control_url, REGION, tmp_path / "state", max_concurrency=3, log_delay=LogDelay(0.2, 1.5, seed=17)
        )
        try:
            answers = []
            for i in range(0, len(probes), 3):  # three at a time: up to three environments, three streams
                answers += await asyncio.gather(
                    *(runner.invoke(function, json.dumps({"probe": p}).encode(), 60) for p in probes[i : i + 3])
                )
            return answers
        finally:
            await runner.close()

    answers = asyncio.run(body())
    assert all(a.ok for a in answers)
    # Per stream, in the stream's own order: every invocation's START, probe line, END and REPORT, contiguous,
    # and the probes in the order that environment served them (its request ids in invocation order).
    by_stream: dict[str, list[str]] = {}
    for answer in answers:
        by_stream.setdefault(json.loads(answer.payload)["stream"], []).append(answer.request_id)
    for stream, request_ids in by_stream.items():
        messages = [
            e["message"]
            for e in logs.get_log_events(
                logGroupName=f"/aws/lambda/{function}", logStreamName=stream, startFromHead=True
            )["events"]
        ]
        starts = [m.split()[2] for m in messages if m.startswith("START RequestId: ")]
        assert starts == request_ids, stream
        for rid in request_ids:
            at = messages.index(f"START RequestId: {rid} Version: $LATEST")
            assert json.loads(messages[at + 1])["probe"] in probes
            assert messages[at + 2] == f"END RequestId: {rid}"
            assert messages[at + 3].startswith(f"REPORT RequestId: {rid}\t")
