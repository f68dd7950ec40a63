"""Benchmark of the load suite against the twin: Cognito calls of a long headless run, and sustained rps.

Starts a twin (or uses --env-file of a running one), puts a counting HTTP proxy in front of its
control plane (the Cognito endpoint), and runs the suite's user class headless on GET /courses
without think time (`--tags browse`, generator pinned to CPU1) for --seconds, refreshing tokens
every --refresh-fraction of their lifetime so a short run shows what a long one does. Goals:
Cognito sign-in calls = pool size and refresh calls = pool size x refresh rounds (nothing per
virtual user); sustained requests/s on GET /courses with 0 failures, and where the bottleneck is: the
CPU seconds each twin role (gateway, Lambda workers, SQL stand-in, control plane) and the generator
spent during the run (psutil on the twin's process tree, getrusage on Locust). Prints JSON plus one line.

    .venv/bin/python bench/bench_load_twin.py [--seconds 90] [--users 20] [--pool-size 10]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "load")]
LOCUST = str(Path(sys.executable).parent / "locust")

from fixtures.local_twin import LaunchedTwin, TwinStartError, existing_twin, launched_twin  # noqa: E402

ROLES = (
    ("twin.controlplane", "control plane"),
    ("twin.mssql", "sql stand-in"),
    ("twin.gateway", "gateway"),
    ("worker.py", "lambda workers"),
    ("logship", "log shipper"),
)


def twin_cpu(twin: LaunchedTwin) -> dict[str, float]:
    """CPU seconds so far of each role of the twin (its supervisor's process tree); none for a given env file."""
    import psutil  # a Locust dependency

    state = twin.state
    totals: dict[str, float] = {}
    if state is None:
        return totals
    try:
        tree = psutil.Process(state["supervisor_pid"]).children(recursive=True)
    except psutil.Error:
        return totals
    for proc in tree:
        try:
            line, times = " ".join(proc.cmdline()), proc.cpu_times()
        except psutil.Error:
            continue  # ended meanwhile
        role = next((name for needle, name in ROLES if needle in line), "other")
        totals[role] = totals.get(role, 0.0) + times.user + times.system
    return totals


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description="the load suite against the twin: Cognito calls and rps")
    parser.add_argument("--seconds", type=int, default=90)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--pool-size", type=int, default=10)
    parser.add_argument("--refresh-fraction", type=float, default=0.006, help="0.006 x 3600 s = a refresh every 22 s")
    parser.add_argument("--env-file", default="", help="a running twin's env file (default: start one)")
    opts = parser.parse_args()

    from loopback_stack import CognitoProxy

    work = Path(tempfile.mkdtemp(prefix="bench-load-twin-"))
    target = existing_twin(Path(opts.env_file)) if opts.env_file else launched_twin(work)
    try:
        with target as running:
            text = running.env_file.read_text()
            control = tomllib.loads(text)["aws"]["endpoint_url"]
            proxy = CognitoProxy(control)
            counted_env = work / "counted.toml"
            counted_env.write_text(text.replace(f'endpoint_url = "{control}"', f'endpoint_url = "{proxy.url}"'))
            cmd = [
                "taskset", "-c", "1", LOCUST, "-f", str(ROOT / "bench" / "bench_load_locustfile_suite.py"),
                "--headless", "--only-summary", "--tags", "browse", "-u", str(opts.users), "-r", str(opts.users),
                "-t", f"{opts.seconds}s", "--env-file", str(counted_env), "--pool-size", str(opts.pool_size),
                "--token-refresh-fraction", str(opts.refresh_fraction), "--slo", "fail_ratio<=0",
                "--report-dir", str(work / "reports"),
            ]  # fmt: skip
            cpu_before, generator_before = twin_cpu(running), children_cpu()
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=opts.seconds + 180, check=False)
            generator_s = children_cpu() - generator_before
            cpu_after = twin_cpu(running)
            verdict_path = work / "reports" / "load_slo.json"
            if not verdict_path.exists():
                sys.exit(f"bench: locust failed: {(done.stderr.strip().splitlines() or ['no output'])[-1]}")
            verdict = json.loads(verdict_path.read_text())
            summary = re.search(r"(\d+) refresh rounds", done.stderr)
            if summary is None:
                sys.exit(f"bench: no token pool summary in locust's output: {done.stderr.strip()[-2000:]}")
            rounds = int(summary[1])
    except TwinStartError as exc:  # its log stays in `work` for reading
        sys.exit(f"bench: {exc}")
    shutil.rmtree(work, ignore_errors=True)

    cpu = {role: round(cpu_after[role] - cpu_before.get(role, 0.0), 1) for role in cpu_after}
    cpu["generator (locust, CPU1)"] = round(generator_s, 1)
    busiest = max(cpu, key=lambda role: cpu[role]) if cpu_after else "unknown (a running twin was given)"
    calls = dict(proxy.calls)
    sign_ins = calls.get("AdminInitiateAuth", 0) + calls.get("InitiateAuth", 0)
    expected = opts.pool_size * (1 + rounds)
    result = {
        "bench": "load_suite_on_twin",
        "seconds": opts.seconds,
        "users": opts.users,
        "pool_size": opts.pool_size,
        "refresh_rounds": rounds,
        "cognito_calls": calls,
        "sign_in_and_refresh_calls": sign_ins,
        "expected_pool_plus_refreshes": expected,
        "requests": verdict["requests"],
        "failures": verdict["failures"],
        "rps": round(verdict["rps"], 1),
        "p95_ms": verdict["p95_ms"],
        "exit_code": done.returncode,
        "cpu_s_by_role": cpu,
        "busiest": busiest,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result))
    print(
        f"twin, {opts.users} users, {opts.seconds} s: GET /courses {result['rps']:,.0f} req/s, "
        f"{result['failures']} failures, p95 {result['p95_ms']} ms; Cognito sign-ins+refreshes {sign_ins} "
        f"(pool {opts.pool_size} x (1 + {rounds} rounds) = {expected}), {sum(calls.values())} Cognito calls in all; "
        f"CPU s by role: {', '.join(f'{k} {v}' for k, v in sorted(cpu.items(), key=lambda kv: -kv[1]))} "
        f"(2 cores x {opts.seconds} s = {2 * opts.seconds} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
