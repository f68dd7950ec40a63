"""SLO rule language, verdict order, shapes and the hand-out of users to workers (no Locust process)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from loadsuite import slo
from loadsuite.errors import SetupError
from loadsuite.gate import Verdict, summary_table
from loadsuite.plans import PLANS
from loadsuite.pool import Entry, slices

pytestmark = pytest.mark.load


def test_rules_parse_units_scopes_and_severities():
    text = "p95<800ms; p99 <= 2s, fail_ratio<1%\nrps>=5, GET /courses/[id] p99.9<1.5s warn, requests>=1 abort"
    rules = slo.parse(text)
    assert [(r.scope, r.metric, r.op, r.value, r.severity) for r in rules] == [
        ("all", "p95", "<", 800, "fail"),
        ("all", "p99", "<=", 2000, "fail"),
        ("all", "fail_ratio", "<", 0.01, "fail"),
        ("all", "rps", ">=", 5, "fail"),
        ("GET /courses/[id]", "p99.9", "<", 1500, "warn"),
        ("all", "requests", ">=", 1, "abort"),
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("p95 under 300", "does not parse"),
        ("latency<300ms", "unknown metric"),
        ("p95<3%", "latencies take ms or s"),
        ("fail_ratio<2s", "fail_ratio takes a ratio"),
        ("fail_ratio<150%", "can never be breached"),
        ("p100<5ms", "percentile must be"),
        ("GET /x p95<1ms fatal", "does not parse"),
    ],
)
def test_bad_rules_name_the_part_that_does_not_parse(text, message):
    with pytest.raises(SetupError, match=message) as caught:
        slo.parse(f"p50<1s, {text}")
    assert "\n" not in str(caught.value)


class _Entry:
    """The part of Locust's StatsEntry that rules read (importing locust here would monkey-patch pytest)."""

    def __init__(self, times: list[int], failures: int = 0) -> None:
        self.times = sorted(times)
        self.num_requests = len(times)
        self.fail_ratio = failures / len(times) if times else 0.0
        self.avg_response_time = sum(times) / len(times) if times else 0.0
        self.max_response_time = max(times, default=0)
        self.total_rps = self.current_rps = float(len(times))

    def get_response_time_percentile(self, fraction: float) -> int:
        return self.times[min(len(self.times) - 1, int(fraction * len(self.times)))]


def _stats() -> SimpleNamespace:
    courses, exams = _Entry([20, 30, 40, 50, 400]), _Entry([60], failures=1)
    entries = {("/courses", "GET"): courses, ("/exams", "POST"): exams}
    return SimpleNamespace(entries=entries, total=_Entry(courses.times + exams.times, failures=1))


def test_rules_measure_in_memory_stats_and_no_data_is_a_breach():
    rules = slo.parse("GET /courses p50<100ms, GET /courses max<300ms, POST /exams fail_ratio<10%, GET /nowhere p95<1s")
    checks = slo.evaluate(rules, _stats())
    assert [(c.measured, c.ok) for c in checks] == [(40.0, True), (400.0, False), (1.0, False), (None, False)]
    assert checks[3].shown() == "no data"


def test_exit_code_order_is_crash_then_breach_then_errors():
    stats = _stats()
    breach = slo.evaluate(slo.parse("p50<1ms"), stats)
    warn = slo.evaluate(slo.parse("p50<1ms warn"), stats)
    assert Verdict(breach, request_errors=1, crashed=True).exit_code() == 2
    assert Verdict(breach, request_errors=1).exit_code() == 3
    assert Verdict(warn, request_errors=1).exit_code() == 1
    assert Verdict(warn, request_errors=1).exit_code(exit_code_on_error=0) == 0
    assert Verdict(warn, aborted="p95 too high").exit_code() == 3
    assert Verdict(warn).exit_code() == 0


def test_summary_table_puts_threshold_beside_measured_value():
    checks = slo.evaluate(slo.parse("p50<1ms, GET /courses p50<100ms, rps>1000 warn"), _stats())
    table = summary_table(Verdict(checks), "title", 3).splitlines()
    assert table[1].split() == ["scope", "metric", "threshold", "measured", "verdict"]
    assert table[2].split() == ["all", "p50", "<", "1", "ms", "50", "ms", "BREACH"]
    assert table[3].split()[-1] == "pass" and table[4].split()[-1] == "warn"
    assert table[-1] == "result: BREACH (1 breached, 1 warnings) exit code 3"


def _series(shape: str, peak: int, duration: float) -> list[int | None]:
    options = SimpleNamespace(num_users=peak, spawn_rate=1, run_time=duration)
    ticks = [PLANS[shape].tick_at(t, options) for t in range(int(duration) + 1)]
    return [tick[0] if tick else None for tick in ticks]


def _running(shape: str, peak: int, duration: float) -> list[int]:
    """The user counts of the ticks before the one at `duration` (which stops the shape)."""
    series = _series(shape, peak, duration)
    running = [users for users in series[:-1] if users is not None]
    assert len(running) == len(series) - 1, f"{shape} stopped early: {series}"
    return running


def test_shapes_follow_their_plans_and_end():
    ramp = _running("ramp", 10, 20)
    assert ramp[:8] == sorted(ramp[:8]) and ramp[8:16] == [10] * 8 and ramp[16:20] == sorted(ramp[16:20], reverse=True)
    assert sorted(set(_running("step", 8, 20))) == [2, 4, 6, 8]
    spike = _running("spike", 10, 20)
    assert spike[:8] == [2] * 8 and spike[8:12] == [10] * 4 and spike[12:20] == [2] * 8
    soak = _running("soak", 10, 100)
    assert soak[:10] == sorted(soak[:10]) and set(soak[10:100]) == {10}
    assert _running("constant", 5, 10) == [5] * 10
    for shape in PLANS:
        assert _series(shape, 5, 10)[-1] is None, f"{shape} stops at the end of its duration"


def test_each_worker_gets_distinct_users_and_too_small_a_pool_is_refused():
    entries = [Entry(f"sub-{i}", f"token-{i}") for i in range(5)]
    dealt = slices(entries, ["w0", "w1"])
    assert [e.sub for e in dealt["w0"]] == ["sub-0", "sub-2", "sub-4"]
    assert [e.sub for e in dealt["w1"]] == ["sub-1", "sub-3"]
    with pytest.raises(SetupError, match="smaller than the 3 connected workers"):
        slices(entries[:2], ["w0", "w1", "w2"])
    assert "token" not in repr(entries[0])


def test_every_documented_argument_is_listed_on_the_command_line(tmp_path):
    # `locust --help` cannot show the suite's arguments (it prints before loading the locustfile).
    root = Path(__file__).resolve().parents[2]
    script = root / "tests" / "load" / "show_arguments.py"
    shown = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr[-2000:]
    table = (root / "docs" / "load.md").read_text().split("## Arguments", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `--")]
    documented = {name for row in rows for name in re.findall(r"`(--[a-z-]+)`", row.split("|")[1])}
    listed = set(re.findall(r"^  (--[a-z-]+)", shown.stdout, re.M))
    assert len(documented) >= 10
    assert documented == listed, f"docs only: {documented - listed}, CLI only: {listed - documented}"
