"""Final outputs of a run under reports/load/: CSV, HTML, the SLO verdict JSON and an rps/p95 chart.

Written at quit time from Locust's in-memory statistics, because Locust's periodic `--csv` files
are not refreshed at shutdown (locustio/locust#2299) and so lag the final numbers. The CSV columns
are Locust's own (`StatsCSV`) and the HTML is Locust's report. Every text output is redacted; in the
HTML only the line that carries the run's data, because Locust's bundled script (`password:!0`) would
match the redactor's field rule and break. The history is sampled here every second (Locust's own
`stats.history` only every 5 s, too coarse for short runs) and drawn as a PNG with matplotlib's Agg
backend.
"""

from __future__ import annotations

import csv
import json
import re
import time
from pathlib import Path
from typing import Any

import gevent
from jinja2.utils import htmlsafe_json_dumps
from locust import stats as locust_stats
from locust.env import Environment
from locust.html import get_html_report

from fixtures.redaction import redact

from .gate import Verdict

# The one line of Locust's report template (`window.templateArgs = {{ template_args|tojson }}`) that holds data.
REPORT_DATA_RE = re.compile(r"^(\s*window\.templateArgs = )(.+)$", re.M)


def _redacted(value: Any) -> Any:
    """`value` with every string in it, dict keys included, passed through `redact`."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {_redacted(k): _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    return value


def _redacted_report(html: str) -> str:
    """Locust's HTML report with its data redacted after decoding, so an escaped secret (`<` is `\\u003c` there)
    is found too; the page around it is left byte for byte."""
    if len(REPORT_DATA_RE.findall(html)) != 1:
        raise RuntimeError("Locust's HTML report no longer has one `window.templateArgs` line: cannot redact it")

    def data(m: re.Match[str]) -> str:
        # Re-encoded as Jinja's `tojson` filter does: HTML-safe, keys sorted.
        return m.group(1) + str(htmlsafe_json_dumps(_redacted(json.loads(m.group(2))), sort_keys=True))

    return REPORT_DATA_RE.sub(data, html)


class _RedactingWriter:
    """csv.writer that scrubs every cell: error texts are the one place a server echo could land."""

    def __init__(self, handle: Any) -> None:
        self._writer = csv.writer(handle)

    def writerow(self, row: Any) -> None:
        self._writer.writerow([redact(c) if isinstance(c, str) else c for c in row])


class HistorySampler:
    """Users, rps, failures/s and the sliding-window p50/p95 once a second while a test runs."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.rows: list[list[float]] = []
        self._start: float | None = None
        self._greenlet = gevent.spawn(self._loop)

    def stop(self) -> None:
        self._greenlet.kill(block=False)

    def _loop(self) -> None:
        while True:
            gevent.sleep(1.0)
            runner = self.environment.runner
            if runner is None or runner.state in ("ready", "stopped"):
                continue
            total = self.environment.stats.total
            now = time.time()
            self._start = now if self._start is None else self._start
            self.rows.append(
                [
                    round(now - self._start, 1),
                    runner.user_count,
                    round(total.current_rps, 2),
                    round(total.current_fail_per_sec, 2),
                    total.get_current_response_time_percentile(0.5) or 0,
                    total.get_current_response_time_percentile(0.95) or 0,
                ]
            )


def write_reports(
    environment: Environment, verdict: Verdict, history: list[list[float]], out_dir: Path, prefix: str
) -> dict[str, Path]:
    """Write every output and return {kind: path}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "stats": out_dir / f"{prefix}_stats.csv",
        "failures": out_dir / f"{prefix}_failures.csv",
        "exceptions": out_dir / f"{prefix}_exceptions.csv",
        "history": out_dir / f"{prefix}_history.csv",
        "html": out_dir / f"{prefix}.html",
        "verdict": out_dir / f"{prefix}_slo.json",
        "chart": out_dir / f"{prefix}_chart.png",
    }
    writer = locust_stats.StatsCSV(environment, locust_stats.PERCENTILES_TO_REPORT)
    for kind, method in (
        ("stats", writer.requests_csv),
        ("failures", writer.failures_csv),
        ("exceptions", writer.exceptions_csv),
    ):
        with paths[kind].open("w", newline="", encoding="utf-8") as handle:
            method(_RedactingWriter(handle))
    with paths["history"].open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["seconds", "users", "rps", "failures_per_s", "p50_ms", "p95_ms"])
        out.writerows(history)
    html = _redacted_report(get_html_report(environment, show_download_link=False))
    paths["html"].write_text(html, encoding="utf-8")
    total = environment.stats.total
    summary = {
        **verdict.as_dict(),
        "requests": total.num_requests,
        "failures": total.num_failures,
        "rps": total.total_rps,
        "p95_ms": total.get_response_time_percentile(0.95) if total.num_requests else None,
    }
    paths["verdict"].write_text(json.dumps(_redacted(summary), indent=2), encoding="utf-8")
    _chart(history, paths["chart"])
    return paths


def _chart(history: list[list[float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display on CI machines
    import matplotlib.pyplot as plt

    seconds = [r[0] for r in history]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True)
    top.plot(seconds, [r[2] for r in history], color="tab:blue", label="requests/s")
    top.plot(seconds, [r[3] for r in history], color="tab:red", label="failures/s")
    top.set_ylabel("per second")
    top.legend(loc="upper left")
    users = top.twinx()
    users.plot(seconds, [r[1] for r in history], color="tab:gray", linestyle="--", label="users")
    users.set_ylabel("users")
    bottom.plot(seconds, [r[5] for r in history], color="tab:orange", label="p95 (10 s window)")
    bottom.plot(seconds, [r[4] for r in history], color="tab:green", label="p50 (10 s window)")
    bottom.set_ylabel("ms")
    bottom.set_xlabel("seconds since start")
    bottom.legend(loc="upper left")
    fig.suptitle("Load run: throughput and latency over time")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
