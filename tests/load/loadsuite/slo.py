"""SLO rules: parse `--slo` text and measure each rule against Locust's in-memory statistics.

Hand-written because Locust has no thresholds and locust-plugins only checks average response
time, fail ratio and rps overall, not percentiles or per endpoint. The rule language follows k6
thresholds and Artillery `ensure`: several rules per metric, per endpoint or overall, a severity
per rule (`fail`, `warn` like Artillery's strict: false, `abort` like k6's abortOnFail), and a
rule whose metric has no data is a breach.

    --slo "p95<800ms, p99<2s, fail_ratio<1%, rps>=5, GET /courses/[id] p95<300ms, POST /exams p99<1s warn"
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import SetupError

if TYPE_CHECKING:  # importing locust monkey-patches the process; types only
    from locust.stats import RequestStats, StatsEntry

OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
LATENCY = {"avg", "max", "median"}
PERCENTILE_RE = re.compile(r"^p(\d+(?:\.\d+)?)$")
RULE_RE = re.compile(
    r"^(?:(?P<method>GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(?P<name>\S+)\s+)?"
    r"(?P<metric>[a-z_0-9.]+)\s*(?P<op><=|>=|<|>)\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|%|/s)?"
    r"(?:\s+(?P<severity>fail|warn|abort))?$"
)
EXAMPLE = 'e.g. --slo "p95<800ms, fail_ratio<1%, GET /courses/[id] p99<1s warn"'


@dataclass(frozen=True)
class Rule:
    """One threshold. `value` is in ms for latencies, a ratio for fail_ratio, req/s for rps."""

    metric: str
    op: str
    value: float
    severity: str = "fail"
    method: str | None = None
    name: str | None = None
    text: str = ""

    @property
    def scope(self) -> str:
        return f"{self.method} {self.name}" if self.method else "all"

    def threshold(self) -> str:
        return f"{self.op} {_format(self.metric, self.value)}"


@dataclass(frozen=True)
class Check:
    """A rule with what was measured (None: no data, which is a breach)."""

    rule: Rule
    measured: float | None

    @property
    def ok(self) -> bool:
        return self.measured is not None and OPS[self.rule.op](self.measured, self.rule.value)

    def shown(self) -> str:
        return "no data" if self.measured is None else _format(self.rule.metric, self.measured)


def parse(text: str) -> list[Rule]:
    """Rules from `--slo` text (comma, semicolon or newline separated); SetupError names the bad part."""
    rules = []
    for part in re.split(r"[,;\n]", text):
        part = " ".join(part.split())
        if part:
            rules.append(_parse_one(part))
    return rules


def _parse_one(part: str) -> Rule:
    m = RULE_RE.match(part)
    if not m:
        raise SetupError(
            f"--slo rule {part!r} does not parse: write [METHOD NAME] METRIC OP VALUE [warn|abort], {EXAMPLE}"
        )
    metric, unit, value = m["metric"], m["unit"], float(m["value"])
    if metric in ("p50", "median"):
        metric = "p50"
    pm = PERCENTILE_RE.match(metric)
    if pm and not 0 < float(pm[1]) < 100:
        raise SetupError(f"--slo rule {part!r}: percentile must be between p0 and p100 exclusive")
    if pm or metric in LATENCY:
        if unit not in (None, "ms", "s"):
            raise SetupError(f"--slo rule {part!r}: latencies take ms or s, not {unit}")
        value = value * 1000 if unit == "s" else value
    elif metric == "fail_ratio":
        if unit not in (None, "%"):
            raise SetupError(f"--slo rule {part!r}: fail_ratio takes a ratio (0.01) or a percentage (1%)")
        value = value / 100 if unit == "%" else value
        if value > 1:
            raise SetupError(f"--slo rule {part!r}: fail_ratio above 100% can never be breached")
    elif metric in ("rps", "requests"):
        if unit not in (None, "/s") or (metric == "requests" and unit):
            raise SetupError(f"--slo rule {part!r}: {metric} takes a plain number")
    else:
        raise SetupError(
            f"--slo rule {part!r}: unknown metric {metric!r} (use pNN, avg, max, fail_ratio, rps, requests)"
        )
    return Rule(metric, m["op"], value, m["severity"] or "fail", m["method"], m["name"], part)


def entry_for(stats: RequestStats, rule: Rule) -> StatsEntry | None:
    """The statistics a rule reads; None when the endpoint never saw a request."""
    if rule.method is None or rule.name is None:  # the rule's pattern sets both or neither
        return stats.total
    return stats.entries.get((rule.name, rule.method))


def measure(entry: StatsEntry | None, metric: str, *, current: bool = False) -> float | None:
    """The metric's value, or None without data. `current` uses Locust's ~10 s sliding window."""
    if entry is None or entry.num_requests == 0:
        return None
    pm = PERCENTILE_RE.match(metric)
    if pm:
        fraction = float(pm[1]) / 100
        if current:
            return entry.get_current_response_time_percentile(fraction)
        return float(entry.get_response_time_percentile(fraction))
    if metric == "avg":
        return entry.avg_response_time
    if metric == "max":
        return float(entry.max_response_time)
    if metric == "fail_ratio":
        return entry.fail_ratio
    if metric == "rps":
        return float(entry.current_rps) if current else entry.total_rps
    return float(entry.num_requests)


def evaluate(rules: list[Rule], stats: RequestStats, *, current: bool = False) -> list[Check]:
    return [Check(rule, measure(entry_for(stats, rule), rule.metric, current=current)) for rule in rules]


def _format(metric: str, value: float) -> str:
    if metric == "fail_ratio":
        return f"{value * 100:.2f} %"
    if metric in ("rps", "requests"):
        return f"{value:,.1f}" if metric == "rps" else f"{value:,.0f}"
    if math.isfinite(value) and value >= 10_000:
        return f"{value / 1000:.1f} s"
    return f"{value:.0f} ms"
