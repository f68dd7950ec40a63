"""Load plans: how many users should run at second t of a constant, ramp, step, spike or soak run.

Pure functions of (t, peak users, duration) so they can be checked without a Locust process;
`shapes.py` wraps each one in a LoadTestShape. Peak users come from -u and the duration from -t
(a default per plan when -t is not given).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar


class Plan:
    """Users at second t; `tick_at` turns that into Locust's (users, spawn rate) or None at the end."""

    default_duration: ClassVar[float | None] = 120.0

    def users(self, t: float, peak: int, duration: float) -> int:
        raise NotImplementedError

    def spawn_rate(self, peak: int, option_rate: float) -> float:
        # The plan already spreads users over time, so spawn fast enough to follow it each second.
        return max(option_rate, float(peak), 1.0)

    def tick_at(self, t: float, options: Any) -> tuple[int, float] | None:
        peak = max(1, int(getattr(options, "num_users", None) or 1))
        rate = float(getattr(options, "spawn_rate", None) or 1.0)
        duration = getattr(options, "run_time", None) or self.default_duration
        if duration is not None and t >= duration:
            return None
        return self.users(t, peak, duration or math.inf), self.spawn_rate(peak, rate)


class Constant(Plan):
    """-u users spawned at -r per second, for -t (or until stopped): Locust's own behaviour."""

    default_duration = None

    def users(self, t: float, peak: int, duration: float) -> int:
        return peak

    def spawn_rate(self, peak: int, option_rate: float) -> float:
        return option_rate


class Ramp(Plan):
    """Linear ramp to the peak over 40 % of the time, hold 40 %, ramp down over the last 20 %."""

    def users(self, t: float, peak: int, duration: float) -> int:
        up, hold = 0.4 * duration, 0.8 * duration
        if t < up:
            return max(1, math.ceil(peak * t / up))
        if t < hold:
            return peak
        return max(1, math.ceil(peak * (duration - t) / (duration - hold)))


class Step(Plan):
    """Four equal steps up to the peak (a quarter of the users more every quarter of the time)."""

    steps: ClassVar[int] = 4

    def users(self, t: float, peak: int, duration: float) -> int:
        step = min(self.steps - 1, int(t // (duration / self.steps)))
        return max(1, math.ceil(peak * (step + 1) / self.steps))


class Spike(Plan):
    """A fifth of the peak, the whole peak at once from 40 % to 60 % of the time, then back."""

    def users(self, t: float, peak: int, duration: float) -> int:
        base = max(1, peak // 5)
        return peak if 0.4 * duration <= t < 0.6 * duration else base


class Soak(Plan):
    """Ramp to the peak over a minute (or a tenth of the time), then hold it; one hour by default."""

    default_duration = 3600.0

    def users(self, t: float, peak: int, duration: float) -> int:
        up = min(60.0, 0.1 * duration)
        return peak if t >= up else max(1, math.ceil(peak * t / up))


PLANS: dict[str, Plan] = {"constant": Constant(), "ramp": Ramp(), "step": Step(), "spike": Spike(), "soak": Soak()}
