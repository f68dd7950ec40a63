"""Load shapes as Locust LoadTestShapes: constant, ramp, step, spike and soak (see `plans.py`).

Locust uses only one shape class per locustfile unless the class picker is on, so the locustfile
exposes `SelectedShape`, which follows the plan named by `--shape` and reads it on every tick: the
web UI form can switch shapes between runs. The named classes are for a custom locustfile that
wants one fixed shape (`from loadsuite.shapes import RampShape`).
"""

from __future__ import annotations

from argparse import Namespace

from locust import LoadTestShape

from .options import parsed
from .plans import PLANS, Plan


class PlannedShape(LoadTestShape):
    abstract = True
    use_common_options = True  # -u is the peak, -r the spawn rate, -t the duration
    plan: Plan

    def tick(self) -> tuple[int, float] | None:
        return self.plan.tick_at(self.get_run_time(), _options(self))


class RampShape(PlannedShape):
    plan = PLANS["ramp"]


class StepShape(PlannedShape):
    plan = PLANS["step"]


class SpikeShape(PlannedShape):
    plan = PLANS["spike"]


class SoakShape(PlannedShape):
    plan = PLANS["soak"]


class SelectedShape(LoadTestShape):
    """The plan named by --shape (default constant: plain -u/-r/-t behaviour)."""

    use_common_options = True

    def tick(self) -> tuple[int, float] | None:
        options = _options(self)
        return PLANS[options.shape].tick_at(self.get_run_time(), options)


def _options(shape: LoadTestShape) -> Namespace:
    """The run's options; Locust gives a shape its runner before the first tick."""
    if shape.runner is None:
        raise RuntimeError("a load shape ticked before Locust gave it its runner")
    return parsed(shape.runner.environment)
