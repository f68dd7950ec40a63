"""CloudWatch Logs on the twin keeps the newest 10,000 events of a stream and drops the oldest."""

from __future__ import annotations

import time
import uuid

BATCH = 6_000


def test_a_stream_keeps_its_newest_events_only(aws):
    logs = aws("logs")
    group, stream = f"/aws/lambda/f-{uuid.uuid4().hex[:6]}", "2026/11/26/[$LATEST]abc"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    for batch in range(2):
        events = [{"timestamp": now + batch * BATCH + i, "message": f"event {batch * BATCH + i}"} for i in range(BATCH)]
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)

    oldest = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True, limit=1)["events"]
    assert oldest[0]["message"] == f"event {2 * BATCH - 10_000}"
    newest = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=False, limit=1)["events"]
    assert newest[0]["message"] == f"event {2 * BATCH - 1}"
    found = logs.filter_log_events(logGroupName=group, filterPattern='"event 11999"')["events"]
    assert [e["message"] for e in found] == ["event 11999"]


def test_log_events_are_not_kept_by_moto_s_instance_tracker(aws):
    from moto.logs.models import LogEvent

    logs = aws("logs")
    group = f"/aws/lambda/f-{uuid.uuid4().hex[:6]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    tracked = len(vars(LogEvent)["instances_tracked"])
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now + i, "message": f"e{i}"} for i in range(100)],
    )
    assert len(vars(LogEvent)["instances_tracked"]) == tracked
