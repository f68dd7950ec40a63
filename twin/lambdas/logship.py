"""Ships Lambda logs to CloudWatch Logs on the control plane, from the files the workers write.

Each execution environment writes its stdout/stderr (and the runtime's START/END/REPORT lines) straight into
`<log_dir>/<function>/<YYYYMMDD>-<32 hex>.log`, one file per log stream. This module, run as its own process
by the runner (`python -m twin.lambdas.logship`), tails those files and calls put_log_events (group
`/aws/lambda/<function>`, stream `YYYY/MM/DD/[$LATEST]<hex>`, as Lambda names them) every fraction of a
second. Hand-written because it must cost the gateway nothing: no pipe to read and no boto3 call in the
gateway's process, whose event loop serves every request. It exits after a last round when its stdin closes.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from twin.lambdas.aws import control_client, error_code
from twin.lambdas.streams import stream_name

log = logging.getLogger("twin.lambdas.logship")

FLUSH_INTERVAL_S = 0.3
MAX_BATCH_EVENTS = 10_000  # put_log_events limits
MAX_BATCH_BYTES = 1_000_000
MAX_READ_BYTES = 4 * 1024 * 1024  # per file and round, so one chatty function cannot starve the others


class Tailer:
    """Remembers how far each stream file has been shipped."""

    def __init__(self, log_dir: Path) -> None:
        self._log_dir = log_dir
        self._offsets: dict[Path, int] = {}
        self._partial: dict[Path, bytes] = {}

    def new_lines(self, final: bool = False) -> Iterator[tuple[str, str, list[str]]]:
        """(function, stream, lines) written since the last call; a line without its newline waits for the next
        call, unless `final`."""
        try:
            functions = [d for d in os.scandir(self._log_dir) if d.is_dir()]
        except FileNotFoundError:
            return
        for function_dir in functions:
            for entry in os.scandir(function_dir.path):
                if not entry.name.endswith(".log"):
                    continue
                path = Path(entry.path)
                offset = self._offsets.get(path, 0)
                if entry.stat().st_size <= offset and not (final and self._partial.get(path)):
                    continue
                with open(path, "rb") as fh:
                    fh.seek(offset)
                    data = fh.read(MAX_READ_BYTES)
                self._offsets[path] = offset + len(data)
                data = self._partial.pop(path, b"") + data
                *complete, rest = data.split(b"\n")
                if rest and final:
                    complete.append(rest)
                elif rest:
                    self._partial[path] = rest
                lines = [line.decode("utf-8", "replace").rstrip("\r") for line in complete]
                lines = [line for line in lines if line]  # CloudWatch refuses empty messages
                if lines:
                    yield function_dir.name, stream_name(path), lines


class Shipper:
    """put_log_events per stream, creating groups and streams once."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._created: set[str] = set()
        self._backlog: list[tuple[str, str, list[tuple[int, str]]]] = []

    def ship(self, batches: list[tuple[str, str, list[str]]]) -> None:
        now = int(time.time() * 1000)
        self._backlog.extend((f, s, [(now, line) for line in lines]) for f, s, lines in batches)
        left = []
        for function, stream, events in self._backlog:
            try:
                self._put(function, stream, events)
            except Exception as exc:  # control plane away: keep the events for the next round
                log.warning("cannot ship logs of %s: %s", function, exc)
                self._created.clear()
                left.append((function, stream, events))
        self._backlog = left[-1000:]

    def _put(self, function: str, stream: str, events: list[tuple[int, str]]) -> None:
        group = f"/aws/lambda/{function}"
        if group not in self._created:
            self._create(lambda: self._client.create_log_group(logGroupName=group))
            self._created.add(group)
        if f"{group}:{stream}" not in self._created:
            self._create(lambda: self._client.create_log_stream(logGroupName=group, logStreamName=stream))
            self._created.add(f"{group}:{stream}")
        for batch in _batches(events):
            self._client.put_log_events(logGroupName=group, logStreamName=stream,
                                        logEvents=[{"timestamp": ts, "message": msg} for ts, msg in batch])

    @staticmethod
    def _create(call: Any) -> None:
        try:
            call()
        except Exception as exc:
            if error_code(exc) != "ResourceAlreadyExistsException":
                raise


def _batches(events: list[tuple[int, str]]) -> Iterator[list[tuple[int, str]]]:
    batch: list[tuple[int, str]] = []
    size = 0
    for event in events:
        cost = len(event[1].encode("utf-8", "replace")) + 26  # CloudWatch counts 26 bytes per event
        if batch and (len(batch) >= MAX_BATCH_EVENTS or size + cost > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(event)
        size += cost
    if batch:
        yield batch


def run(control_url: str, region: str, log_dir: Path) -> None:
    """Ship until stdin closes, then one last round."""
    tailer = Tailer(log_dir)
    shipper = Shipper(control_client("logs", control_url, region, bulk=True))
    os.set_blocking(sys.stdin.fileno(), False)
    while True:
        time.sleep(FLUSH_INTERVAL_S)
        try:
            closed = os.read(sys.stdin.fileno(), 4096) == b""
        except BlockingIOError:
            closed = False
        shipper.ship(list(tailer.new_lines(final=closed)))
        if closed:
            return


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m twin.lambdas.logship")
    parser.add_argument("--control-url", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--log-dir", required=True, type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    run(args.control_url, args.region, args.log_dir)


if __name__ == "__main__":
    main()
