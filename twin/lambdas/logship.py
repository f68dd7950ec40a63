"""Ships Lambda logs to CloudWatch Logs on the control plane, from the files the workers write, each log stream
on its own delay.

Each execution environment writes its stdout/stderr (and the runtime's START/END/REPORT lines) straight into
`<log_dir>/<function>/<YYYYMMDD>-<32 hex>.log`, one file per log stream. This module, run as its own process
by the runner (`python -m twin.lambdas.logship`), tails those files and calls put_log_events (group
`/aws/lambda/<function>`, stream `YYYY/MM/DD/[$LATEST]<hex>`, as Lambda names them). Hand-written because it
must cost the gateway nothing: no pipe to read and no boto3 call in the gateway's process, whose event loop
serves every request. It exits after a last round when its stdin closes, shipping whatever it still holds.

AWS timing: on AWS a line reaches CloudWatch Logs seconds after it was written, each stream on its own
schedule. So every stream gets one delay when the shipper first sees it (twin.lambdas.logdelay: random within
bounds, or forced); its batches are held that long after they were read, in order, while other streams' batches
go out on their own delays and may overtake them. Events keep the time they were read as their timestamp, so a
late event shows up "in the past", as on AWS. The stream itself is created at first sight, only its events wait.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from twin.lambdas.aws import control_client, error_code
from twin.lambdas.logdelay import (
    FORCED_ENV,
    MAX_ENV,
    MIN_ENV,
    SEED_ENV,
    LogDelay,
    LogDelayError,
    parse_forced,
    parse_seconds,
    parse_seed,
)
from twin.lambdas.streams import stream_name

log = logging.getLogger("twin.lambdas.logship")

FLUSH_INTERVAL_S = 0.3
MAX_BATCH_EVENTS = 10_000  # put_log_events limits
MAX_BATCH_BYTES = 1_000_000
MAX_READ_BYTES = 4 * 1024 * 1024  # per file and round, so one chatty function cannot starve the others
MAX_BACKLOG = 1000  # batches kept while the control plane is away

StreamKey = tuple[str, str]  # (function, stream)
Events = list[tuple[int, str]]  # (timestamp ms, message)


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


class DelayedStreams:
    """Holds each stream's batches for that stream's delay, first in first out per stream.

    A stream's delay is fixed when the stream is first seen, so its batches leave in the order they were read;
    streams with shorter delays overtake it. `clock` is injectable so the rules can be tested without waiting.
    """

    def __init__(self, delay: LogDelay, clock: Callable[[], float] = time.monotonic) -> None:
        self._delay = delay
        self._clock = clock
        self._rng = random.Random(delay.seed)
        self._delays: dict[StreamKey, float] = {}
        self._held: dict[StreamKey, deque[tuple[float, Events]]] = {}

    def delay_of(self, key: StreamKey) -> float | None:
        """The stream's delay, or None if it was never seen."""
        return self._delays.get(key)

    def add(self, key: StreamKey, events: Events) -> bool:
        """Hold `events` of `key` for its delay; True when the stream is new (seen for the first time)."""
        new = key not in self._delays
        if new:
            forced = self._delay.forced
            index = len(self._delays)
            self._delays[key] = (
                forced[index] if index < len(forced) else self._rng.uniform(self._delay.min_s, self._delay.max_s)
            )
        self._held.setdefault(key, deque()).append((self._clock() + self._delays[key], events))
        return new

    def release(self, flush: bool = False) -> list[tuple[str, str, Events]]:
        """Batches whose time has come (all of them with `flush`), each stream's merged in order."""
        now = self._clock()
        out = []
        for key, queue in list(self._held.items()):
            events: Events = []
            while queue and (flush or queue[0][0] <= now):
                events.extend(queue.popleft()[1])
            if events:
                out.append((key[0], key[1], events))
            if not queue:
                del self._held[key]
        return out

    def next_due(self) -> float | None:
        """When the earliest held batch may leave (clock time), None when nothing is held."""
        return min((queue[0][0] for queue in self._held.values()), default=None)


class Shipper:
    """put_log_events per stream, creating groups and streams once; a stream's events keep their order even
    when the control plane is away for a while (they wait in the backlog, later ones behind them)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._created: set[str] = set()
        self._backlog: list[tuple[str, str, Events]] = []

    def prepare(self, function: str, stream: str) -> None:
        """Create the group and stream now (a stream shows before its delayed events); failures wait for ship."""
        try:
            self._ensure(function, stream)
        except Exception as exc:
            log.warning("cannot create the log stream of %s: %s", function, exc)
            self._created.clear()

    def ship(self, batches: list[tuple[str, str, Events]]) -> None:
        self._backlog.extend(batches)
        left = []
        failed: set[StreamKey] = set()
        for function, stream, events in self._backlog:
            if (function, stream) in failed:  # an earlier batch of this stream waits: so must this one
                left.append((function, stream, events))
                continue
            try:
                self._put(function, stream, events)
            except Exception as exc:  # control plane away: keep the events for the next round
                log.warning("cannot ship logs of %s: %s", function, exc)
                self._created.clear()
                failed.add((function, stream))
                left.append((function, stream, events))
        self._backlog = left[-MAX_BACKLOG:]

    def _ensure(self, function: str, stream: str) -> str:
        group = f"/aws/lambda/{function}"
        if group not in self._created:
            self._create(lambda: self._client.create_log_group(logGroupName=group))
            self._created.add(group)
        if f"{group}:{stream}" not in self._created:
            self._create(lambda: self._client.create_log_stream(logGroupName=group, logStreamName=stream))
            self._created.add(f"{group}:{stream}")
        return group

    def _put(self, function: str, stream: str, events: Events) -> None:
        group = self._ensure(function, stream)
        for batch in _batches(events):
            self._client.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": ts, "message": msg} for ts, msg in batch],
            )

    @staticmethod
    def _create(call: Any) -> None:
        try:
            call()
        except Exception as exc:
            if error_code(exc) != "ResourceAlreadyExistsException":
                raise


def _batches(events: Events) -> Iterator[Events]:
    batch: Events = []
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


def _stdin_closed() -> bool:
    try:
        return os.read(sys.stdin.fileno(), 4096) == b""
    except BlockingIOError:
        return False


def run(control_url: str, region: str, log_dir: Path, delay: LogDelay) -> None:
    """Ship until stdin closes, then one last round that ships everything still held."""
    tailer = Tailer(log_dir)
    shipper = Shipper(control_client("logs", control_url, region, bulk=True))
    held = DelayedStreams(delay)
    os.set_blocking(sys.stdin.fileno(), False)
    next_read = time.monotonic() + FLUSH_INTERVAL_S
    while True:
        # Sleep until the next read or the next held batch that is due, whichever comes first, so a stream's
        # delay is what it was drawn to be and not rounded up to the read interval.
        due = held.next_due()
        time.sleep(max(0.0, min(next_read, due if due is not None else next_read) - time.monotonic()))
        closed = False
        if time.monotonic() >= next_read:
            closed = _stdin_closed()
            stamp = int(time.time() * 1000)  # the read time: lines are at most FLUSH_INTERVAL_S old
            for function, stream, lines in tailer.new_lines(final=closed):
                if held.add((function, stream), [(stamp, line) for line in lines]):
                    shipper.prepare(function, stream)
            next_read = time.monotonic() + FLUSH_INTERVAL_S
        shipper.ship(held.release(flush=closed))
        if closed:
            return


def _seconds_arg(name: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            return parse_seconds(name, text)
        except LogDelayError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def parse(
    argv: list[str] | None = None, environ: Mapping[str, str] | None = None
) -> tuple[argparse.Namespace, LogDelay]:
    """Command line and delay settings (flags win over `environ`, default os.environ); exit 2 on bad input."""
    parser = argparse.ArgumentParser(prog="python -m twin.lambdas.logship")
    parser.add_argument("--control-url", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--log-dir", required=True, type=Path)
    parser.add_argument(
        "--delay-min",
        type=_seconds_arg("--delay-min"),
        default=None,
        help=f"least per-stream delay in seconds (default ${MIN_ENV}, else 0.2)",
    )
    parser.add_argument(
        "--delay-max",
        type=_seconds_arg("--delay-max"),
        default=None,
        help=f"greatest per-stream delay in seconds (default ${MAX_ENV}, else 1.5)",
    )
    parser.add_argument(
        "--stream-delays",
        default=None,
        metavar="S,S,...",
        help=f"delays of the first streams seen, in order (default ${FORCED_ENV})",
    )
    parser.add_argument("--seed", default=None, help=f"seed of the random delays (default ${SEED_ENV}; empty: random)")
    args = parser.parse_args(argv)
    try:
        delay = LogDelay.from_env(environ, min_s=args.delay_min, max_s=args.delay_max)
        if args.stream_delays is not None:
            delay = LogDelay(delay.min_s, delay.max_s, parse_forced("--stream-delays", args.stream_delays), delay.seed)
        if args.seed is not None:
            seed = parse_seed("--seed", args.seed) if args.seed.strip() else None
            delay = LogDelay(delay.min_s, delay.max_s, delay.forced, seed)
    except LogDelayError as exc:
        parser.error(str(exc))
    return args, delay


def main(argv: list[str] | None = None) -> None:
    args, delay = parse(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    run(args.control_url, args.region, args.log_dir, delay)


if __name__ == "__main__":
    main()
