"""The verdict of a run: exit code, the summary table, and the early-abort watcher.

Hand-written because Locust's own exit code only knows "a request failed" (1) and "a greenlet
crashed" (2); the suite adds 3 for an SLO breach and decides the order: a crash wins (2), then a
failing SLO rule (3), then request errors (1, or --exit-code-on-error), else 0. The watcher is
Locust's documented "background greenlet" pattern (examples/stop_on_threshold.py) applied to the
rules marked `abort`, on the sliding-window values, after a grace period (k6's delayAbortEval).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import gevent

from .slo import Check, Rule, evaluate

if TYPE_CHECKING:  # importing locust monkey-patches the process; types only
    from locust.stats import RequestStats

EXIT_PASS, EXIT_ERRORS, EXIT_CRASH, EXIT_BREACH = 0, 1, 2, 3
log = logging.getLogger("loadsuite.gate")


@dataclass
class Verdict:
    checks: list[Check]
    aborted: str = ""
    request_errors: int = 0
    crashed: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def breaches(self) -> list[Check]:
        return [c for c in self.checks if not c.ok and c.rule.severity != "warn"]

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.checks if not c.ok and c.rule.severity == "warn"]

    def exit_code(self, exit_code_on_error: int = EXIT_ERRORS) -> int:
        if self.crashed:
            return EXIT_CRASH
        if self.breaches or self.aborted:
            return EXIT_BREACH
        if self.request_errors:
            return exit_code_on_error
        return EXIT_PASS

    def as_dict(self) -> dict[str, object]:
        return {
            "result": self.result(),
            "aborted": self.aborted or None,
            "request_errors": self.request_errors,
            "crashed": self.crashed,
            "notes": self.notes,
            "checks": [
                {
                    "scope": c.rule.scope,
                    "metric": c.rule.metric,
                    "op": c.rule.op,
                    "threshold": c.rule.value,
                    "severity": c.rule.severity,
                    "measured": c.measured,
                    "ok": c.ok,
                }
                for c in self.checks
            ],
        }

    def result(self) -> str:
        if self.crashed:
            return "crash"
        if self.breaches or self.aborted:
            return "breach"
        return "errors" if self.request_errors else "pass"


def summary_table(verdict: Verdict, title: str, exit_code: int) -> str:
    """The thresholds beside the measured values, one row per rule, then the result line."""
    rows = [("scope", "metric", "threshold", "measured", "verdict")]
    for c in verdict.checks:
        state = "pass" if c.ok else ("warn" if c.rule.severity == "warn" else "BREACH")
        rows.append((c.rule.scope, c.rule.metric, c.rule.threshold(), c.shown(), state))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [title, *("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows)]
    if verdict.aborted:
        lines.append(f"aborted early: {verdict.aborted}")
    lines.extend(verdict.notes)
    if verdict.request_errors:
        lines.append(f"request errors: {verdict.request_errors} (see the failures CSV)")
    lines.append(
        f"result: {verdict.result().upper()} ({len(verdict.breaches)} breached, "
        f"{len(verdict.warnings)} warnings) exit code {exit_code}"
    )
    return "\n".join(lines)


class AbortWatcher:
    """Stops the run when an `abort` rule fails on the sliding-window values after `grace` seconds."""

    def __init__(self, rules: list[Rule], stats: RequestStats, stop: Callable[[], None], grace: float) -> None:
        self.rules = [r for r in rules if r.severity == "abort"]
        self.stats = stats
        self.stop = stop
        self.grace = grace
        self.reason = ""
        self._greenlet: gevent.Greenlet | None = None

    def start(self) -> None:
        if self.rules and self._greenlet is None:
            self._greenlet = gevent.spawn(self._watch)

    def cancel(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=False)
            self._greenlet = None

    def _watch(self) -> None:
        gevent.sleep(self.grace)
        while True:
            failing = [c for c in evaluate(self.rules, self.stats, current=True) if c.measured is not None and not c.ok]
            if failing:
                c = failing[0]
                self.reason = f"{c.rule.scope} {c.rule.metric} {c.shown()} (rule {c.rule.threshold()})"
                log.error("SLO abort: %s; stopping the run", self.reason)
                self._greenlet = None
                self.stop()
                return
            gevent.sleep(1.0)
