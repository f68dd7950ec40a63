"""CloudWatch Logs: keep the newest events of each log stream only, so the control plane's memory is bounded.

moto 5.2.5 keeps every event of every stream in a Python list forever. The Lambda runner ships four or more
events per invocation, so a 10-minute soak at 200 rps grew the control plane by more than half its size and
made filter_log_events slower with every request. AWS keeps events for the log group's retention period (by
default forever, billed by the byte); the twin keeps the newest MAX_EVENTS_PER_STREAM of each stream instead,
far more than any check reads back (the e2e suite reads the events of its own last seconds). A deviation from
AWS, listed in twin/README.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.logs.models import LogStream

from ._guard import replace, require

MAX_EVENTS_PER_STREAM = 10_000  # the most one put_log_events call may carry

require("log_retention", LogStream, [("put_log_events", ("self", "log_events"))])


def _capped(original: Callable[..., str]) -> Callable[..., str]:
    def put_log_events(self: LogStream, log_events: list[dict[str, Any]]) -> str:
        token = original(self, log_events)
        excess = len(self.events) - MAX_EVENTS_PER_STREAM
        if excess > 0:
            del self.events[:excess]  # moto appends in arrival order: the oldest are first
        return token

    return put_log_events


def apply() -> None:
    replace(LogStream, "put_log_events", _capped, "log_retention")
