"""Load shapes: constant, ramp, step, spike and soak, picked with `--shape`.

Each shape is a LoadTestShape whose `plan(t, peak, duration)` says how many users should run at
second t; peak users come from -u and the duration from -t (a default per shape when -t is not
given). Locust can only use one shape class per locustfile without the class picker, so the
locustfile exposes `SelectedShape`, which asks the shape named by `--shape` on every tick; the
web UI form can therefore switch shapes between runs.
"""

from __future__ import annotations

import math
from typing import ClassVar

from locust import LoadTestShape


class PlannedShape(LoadTestShape):
    """A shape defined by users-at-second-t; stops (None) once the duration is over."""

    abstract = True
    use_common_options = True
    default_duration: ClassVar[float | None] = 120.0

    def plan(self, t: float, peak: int, duration: float) -> int:
        raise NotImplementedError

    def spawn_rate(self, peak: int, option_rate: float) -> float:
        # The plan already spreads users over time, so spawn fast enough to follow it each second.
        return max(option_rate, float(peak), 1.0)

    def tick(self) -> tuple[int, float] | None:
        return self.tick_at(self.get_run_time(), self.runner.environment.parsed_options)

    def tick_at(self, t: float, options: object) -> tuple[int, float] | None:
        peak = max(1, int(getattr(options, "num_users", None) or 1))
        rate = float(getattr(options, "spawn_rate", None) or 1.0)
        duration = getattr(options, "run_time", None) or self.default_duration
        if duration is not None and t >= duration:
            return None
        return self.plan(t, peak, duration or math.inf), self.spawn_rate(peak, rate)


class ConstantShape(PlannedShape):
    """-u users spawned at -r per second, for -t (or until stopped): Locust's own behaviour."""

    default_duration = None

    def plan(self, t: float, peak: int, duration: float) -> int:
        return peak

    def spawn_rate(self, peak: int, option_rate: float) -> float:
        return option_rate


class RampShape(PlannedShape):
    """Linear ramp to the peak over 40 % of the time, hold 40 %, ramp down over the last 20 %."""

    def plan(self, t: float, peak: int, duration: float) -> int:
        up, hold = 0.4 * duration, 0.8 * duration
        if t < up:
            return max(1, math.ceil(peak * t / up))
        if t < hold:
            return peak
        return max(1, math.ceil(peak * (duration - t) / (duration - hold)))


class StepShape(PlannedShape):
    """Four equal steps up to the peak (a quarter of the users more every quarter of the time)."""

    steps: ClassVar[int] = 4

    def plan(self, t: float, peak: int, duration: float) -> int:
        step = min(self.steps - 1, int(t // (duration / self.steps)))
        return max(1, math.ceil(peak * (step + 1) / self.steps))


class SpikeShape(PlannedShape):
    """A fifth of the peak, the whole peak at once from 40 % to 60 % of the time, then back."""

    def plan(self, t: float, peak: int, duration: float) -> int:
        base = max(1, peak // 5)
        return peak if 0.4 * duration <= t < 0.6 * duration else base


class SoakShape(PlannedShape):
    """Ramp to the peak over a minute (or a tenth of the time), then hold it; one hour by default."""

    default_duration = 3600.0

    def plan(self, t: float, peak: int, duration: float) -> int:
        up = min(60.0, 0.1 * duration)
        return peak if t >= up else max(1, math.ceil(peak * t / up))


SHAPES: dict[str, PlannedShape] = {
    "constant": ConstantShape(),
    "ramp": RampShape(),
    "step": StepShape(),
    "spike": SpikeShape(),
    "soak": SoakShape(),
}


class SelectedShape(LoadTestShape):
    """The shape named by --shape (read on every tick, so a web UI edit applies to the next run)."""

    use_common_options = True

    def tick(self) -> tuple[int, float] | None:
        options = self.runner.environment.parsed_options
        return SHAPES[options.shape].tick_at(self.get_run_time(), options)
