"""Ships function output to CloudWatch Logs on the control plane and to files under the state folder.

Hand-written because it must never sit on the request path: callers only append to a queue; a background
thread batches the lines every fraction of a second, writes `logs/lambda-<function>.log` and calls
put_log_events (group `/aws/lambda/<function>`, one stream per execution environment, as Lambda does).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from twin.lambdas.aws import control_client, error_code

log = logging.getLogger("twin.lambdas")

FLUSH_INTERVAL_S = 0.3
MAX_BACKLOG = 100_000  # events kept while the control plane is unreachable; the oldest go first
MAX_BATCH_EVENTS = 10_000  # put_log_events limits
MAX_BATCH_BYTES = 1_000_000


class LogShipper:
    """Background batcher of (function, stream, timestamp, message) events."""

    def __init__(self, control_url: str, region: str, log_dir: Path) -> None:
        self._control_url = control_url
        self._region = region
        self._log_dir = log_dir
        self._queue: queue.SimpleQueue[tuple[str, str, int, str]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._created: set[tuple[str, str | None]] = set()
        self._backlog: list[tuple[str, str, int, str]] = []
        self._thread = threading.Thread(target=self._run, name="lambda-log-shipper", daemon=True)
        self._thread.start()

    def emit(self, function: str, stream: str, message: str, timestamp_ms: int | None = None) -> None:
        """Queue one log event; never blocks. Empty messages are dropped (CloudWatch refuses them)."""
        if not message:
            return
        ts = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        self._queue.put((function, stream, ts, message))

    def close(self, timeout_s: float = 5.0) -> None:
        """Ship what is queued (bounded by timeout_s) and stop the thread."""
        self._stop.set()
        self._thread.join(timeout_s)

    def _drain(self) -> list[tuple[str, str, int, str]]:
        events = []
        while True:
            try:
                events.append(self._queue.get_nowait())
            except queue.Empty:
                return events

    def _run(self) -> None:
        client = control_client("logs", self._control_url, self._region, bulk=True)
        while True:
            stopping = self._stop.wait(FLUSH_INTERVAL_S)
            events = self._drain()
            if events:
                self._write_files(events)
                self._backlog.extend(events)
                del self._backlog[:-MAX_BACKLOG]
            if self._backlog:
                self._backlog = self._ship(client, self._backlog)
            if stopping:
                return

    def _write_files(self, events: list[tuple[str, str, int, str]]) -> None:
        by_function: dict[str, list[str]] = defaultdict(list)
        for function, stream, ts, message in events:
            stamp = datetime.fromtimestamp(ts / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            by_function[function].append(f"{stamp} {stream} {message}\n")
        try:
            self._log_dir.mkdir(parents=True, exist_ok=True)
            for function, lines in by_function.items():
                with open(self._log_dir / f"lambda-{function}.log", "a", encoding="utf-8") as fh:
                    fh.writelines(lines)
        except OSError as exc:
            log.warning("cannot write lambda logs: %s", exc)

    def _ship(self, client: Any, events: list[tuple[str, str, int, str]]) -> list[tuple[str, str, int, str]]:
        """put_log_events per stream; returns the events that could not be shipped (kept for the next round)."""
        by_stream: dict[tuple[str, str], list[tuple[str, str, int, str]]] = defaultdict(list)
        for event in events:
            by_stream[(event[0], event[1])].append(event)
        left: list[tuple[str, str, int, str]] = []
        for (function, stream), items in by_stream.items():
            group = f"/aws/lambda/{function}"
            try:
                self._ensure(client, group, stream)
                items.sort(key=lambda e: e[2])
                for batch in _batches(items):
                    client.put_log_events(
                        logGroupName=group,
                        logStreamName=stream,
                        logEvents=[{"timestamp": ts, "message": msg} for _, _, ts, msg in batch],
                    )
            except Exception as exc:
                log.warning("cannot ship logs of %s: %s", function, exc)
                self._created.discard((group, stream))
                self._created.discard((group, None))
                left.extend(items)
        return left

    def _ensure(self, client: Any, group: str, stream: str) -> None:
        if (group, None) not in self._created:
            try:
                client.create_log_group(logGroupName=group)
            except Exception as exc:
                if error_code(exc) != "ResourceAlreadyExistsException":
                    raise
            self._created.add((group, None))
        if (group, stream) not in self._created:
            try:
                client.create_log_stream(logGroupName=group, logStreamName=stream)
            except Exception as exc:
                if error_code(exc) != "ResourceAlreadyExistsException":
                    raise
            self._created.add((group, stream))


def _batches(items: list[tuple[str, str, int, str]]) -> list[list[tuple[str, str, int, str]]]:
    batches: list[list[tuple[str, str, int, str]]] = [[]]
    size = 0
    for item in items:
        cost = len(item[3].encode("utf-8", "replace")) + 26  # CloudWatch counts 26 bytes of overhead per event
        if batches[-1] and (len(batches[-1]) >= MAX_BATCH_EVENTS or size + cost > MAX_BATCH_BYTES):
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += cost
    return batches
