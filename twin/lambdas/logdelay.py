"""How late each Lambda log stream reaches CloudWatch Logs on the twin: a delay per log stream.

On AWS a function's log lines reach CloudWatch Logs seconds after they were written, each execution
environment's stream on its own schedule, so a line written earlier in one stream can become visible after a
line written later in another. The twin's log shipper reproduces that with one delay per stream, drawn when the
shipper first sees the stream (uniform between `min_s` and `max_s`), or taken in order from `forced` (tests
that need a slow stream and a fast one). Hand-written: a few numbers and their validation, shared by the
gateway's flags, the runner and the shipper's own command line.

Environment variables (defaults of every command line that takes these settings):
  TWIN_LOG_DELAY_MIN_S, TWIN_LOG_DELAY_MAX_S   bounds of the random per-stream delay (default 0.2 and 1.5)
  TWIN_LOG_STREAM_DELAYS_S                     comma-separated delays for the first streams seen, in order
  TWIN_LOG_DELAY_SEED                          seed of the random draws (reproducible runs)
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

MIN_ENV = "TWIN_LOG_DELAY_MIN_S"
MAX_ENV = "TWIN_LOG_DELAY_MAX_S"
FORCED_ENV = "TWIN_LOG_STREAM_DELAYS_S"
SEED_ENV = "TWIN_LOG_DELAY_SEED"
# Cheap for the project's own tests (every log wait gets at most 1.5 s longer) yet enough for streams to
# overtake each other; AWS's own lag is "several seconds" typically (docs/reliability.md has the sources).
DEFAULT_MIN_S = 0.2
DEFAULT_MAX_S = 1.5
MAX_DELAY_S = 3600.0  # a bound on typos (an hour of held logs), not a figure of AWS


class LogDelayError(ValueError):
    """A setting that is not a usable delay: the message is one line naming the setting and the fix."""


def parse_seconds(name: str, text: str, maximum: float = MAX_DELAY_S) -> float:
    """A delay in seconds, 0..`maximum`, from a flag or an environment variable named `name` (the twin's other
    delays use it too); LogDelayError names `name` and the range."""
    try:
        value = float(text)
    except ValueError:
        raise LogDelayError(f"{name} must be a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or not 0 <= value <= maximum:
        raise LogDelayError(f"{name} must be between 0 and {maximum:g} seconds, got {text!r}")
    return value


def parse_forced(name: str, text: str) -> tuple[float, ...]:
    """Comma-separated delays (`3,0`); empty text means none."""
    return tuple(parse_seconds(name, part.strip()) for part in text.split(",") if part.strip())


def parse_seed(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise LogDelayError(f"{name} must be an integer, got {text!r}") from None


@dataclass(frozen=True)
class LogDelay:
    """Per-stream delay settings; `min_s == max_s == 0` and no `forced` turns the delay off."""

    min_s: float = DEFAULT_MIN_S
    max_s: float = DEFAULT_MAX_S
    forced: tuple[float, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        for name, value in (("minimum", self.min_s), ("maximum", self.max_s), *(("forced", f) for f in self.forced)):
            if not math.isfinite(value) or not 0 <= value <= MAX_DELAY_S:
                raise LogDelayError(f"the {name} log delay must be between 0 and {MAX_DELAY_S:g} s, got {value!r}")
        if self.min_s > self.max_s:
            raise LogDelayError(f"the minimum log delay ({self.min_s:g} s) is above the maximum ({self.max_s:g} s)")

    @property
    def off(self) -> bool:
        return self.max_s == 0 and not any(self.forced)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, min_s: float | None = None, max_s: float | None = None
    ) -> LogDelay:
        """Settings from the environment; explicit `min_s`/`max_s` (a command line's) win over it."""
        env = os.environ if environ is None else environ
        low = (
            min_s
            if min_s is not None
            else (parse_seconds(MIN_ENV, env[MIN_ENV]) if env.get(MIN_ENV) else DEFAULT_MIN_S)
        )
        high = (
            max_s
            if max_s is not None
            else (parse_seconds(MAX_ENV, env[MAX_ENV]) if env.get(MAX_ENV) else DEFAULT_MAX_S)
        )
        if max_s is None and not env.get(MAX_ENV) and low > high:
            high = low  # only a minimum was given (e.g. 3 s): the range is that one value, not an error
        forced = parse_forced(FORCED_ENV, env.get(FORCED_ENV, ""))
        seed = parse_seed(SEED_ENV, env[SEED_ENV]) if env.get(SEED_ENV) else None
        return cls(low, high, forced, seed)

    def args(self) -> list[str]:
        """The log shipper's command-line arguments for these settings: all of them, even when empty, so the
        shipper's own environment cannot add forced delays or a seed these settings do not have."""
        return [
            "--delay-min",
            repr(self.min_s),
            "--delay-max",
            repr(self.max_s),
            "--stream-delays",
            ",".join(repr(f) for f in self.forced),
            "--seed",
            "" if self.seed is None else str(self.seed),
        ]
