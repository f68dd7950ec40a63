"""CloudWatch Logs: keep the newest events of each log stream only, so the control plane's memory is bounded.

moto 5.2.5 keeps every event of every stream in a Python list forever, and a second time in
`LogEvent.instances_tracked`: moto's BaseModel appends every model instance it ever makes to its class's
list (for the /moto-api dashboard), so even an event dropped from its stream stays in memory. The Lambda
runner ships four or more events per invocation, so a 10-minute soak at 200 rps grew the control plane by
more than half its size (about 1.4 KB a request) and made filter_log_events slower with every request.
Log events are therefore not tracked (they are not shown on moto's dashboard), and each stream is capped:
AWS keeps events for the log group's retention period (by default forever, billed by the byte); the twin
keeps the newest MAX_EVENTS_PER_STREAM of each stream, far more than any check reads back (the e2e suite
reads the events of its own last seconds). A deviation from AWS, listed in twin/README.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.common_models import BaseModel
from moto.logs.models import LogEvent, LogStream

from ._guard import MotoMismatch, replace, require

MAX_EVENTS_PER_STREAM = 10_000  # the most one put_log_events call may carry

require("log_retention", LogStream, [("put_log_events", ("self", "log_events"))])
require("log_retention", LogEvent, [("instances_tracked", None)])
if LogEvent.__new__ is not BaseModel.__new__ and not getattr(LogEvent.__new__, "__twin_untracked__", False):
    raise MotoMismatch("log_retention: LogEvent.__new__ is no longer BaseModel's; re-check the patch")


def _capped(original: Callable[..., str]) -> Callable[..., str]:
    def put_log_events(self: LogStream, log_events: list[dict[str, Any]]) -> str:
        token = original(self, log_events)
        excess = len(self.events) - MAX_EVENTS_PER_STREAM
        if excess > 0:
            del self.events[:excess]  # moto appends in arrival order: the oldest are first
        return token

    return put_log_events


_NEW = "__new__"  # set with setattr: replacing a method by assignment is what mypy refuses, and is the point here


def _untracked(cls: type, *args: Any, **kwargs: Any) -> Any:
    return object.__new__(cls)  # BaseModel.__new__ minus the append to instances_tracked


vars(_untracked)["__twin_untracked__"] = True  # the mark a second import of this module recognises


def apply() -> None:
    replace(LogStream, "put_log_events", _capped, "log_retention")
    setattr(LogEvent, _NEW, staticmethod(_untracked))
