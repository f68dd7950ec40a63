"""Load shapes as Locust LoadTestShapes: constant, ramp, step, spike and soak (see `plans.py`).

Locust uses only one shape class per locustfile unless the class picker is on, so the locustfile
exposes `SelectedShape`, which follows the plan named by `--shape` and reads it on every tick: the
web UI form can switch shapes between runs. The named classes are for a custom locustfile that
wants one fixed shape (`from loadsuite.shapes import RampShape`).
"""

from __future__ import annotations

from locust import LoadTestShape

from loadsuite.plans import PLANS, Plan


class PlannedShape(LoadTestShape):
    abstract = True
    use_common_options = True  # -u is the peak, -r the spawn rate, -t the duration
    plan: Plan

    def tick(self) -> tuple[int, float] | None:
        return self.plan.tick_at(self.get_run_time(), self.runner.environment.parsed_options)


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
        options = self.runner.environment.parsed_options
        return PLANS[options.shape].tick_at(self.get_run_time(), options)
