"""Benchmark of the load generator: the suite's user class against a bare FastHttpUser, and wrk.

The trivial target (bench_load_target.py) runs on CPU0 (`taskset -c 0`) and every generator on
CPU1, so each figure is "one core for the generator". Both Locust sides send GET /courses with a
bearer header and no think time; the suite's side adds its token pool (Cognito on a loopback
moto, used only before the swarm), per-user token lookup and response checks. Goal: suite/bare
requests/s ratio >= 0.85. wrk (Debian package `wrk`, installed when missing) on the same target
is the physical reference. Prints one JSON object and one readable line; never asserts timings.

    .venv/bin/python bench/bench_load.py [--seconds 10] [--users 20] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "load")]
LOCUST = str(Path(sys.executable).parent / "locust")
BEARER = "Bearer eyJhbGciOiJSUzI1NiJ9." + "x" * 800 + ".sig"  # JWT-sized, not a token


def start_target() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        ["taskset", "-c", "0", sys.executable, str(ROOT / "bench" / "bench_load_target.py")],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    if not line.startswith("READY "):
        proc.kill()
        sys.exit("bench: the target did not start")
    return proc, f"http://127.0.0.1:{json.loads(line[6:])['port']}"


def locust_rps(args: list[str], json_base: Path, env: dict[str, str], timeout: float) -> dict[str, float]:
    cmd = ["taskset", "-c", "1", LOCUST, "--headless", "--only-summary", "--json-file", str(json_base), *args]
    cpu_out = Path(f"{json_base}.cpu.json")
    env = {**env, "BENCH_LOAD_CPU_OUT": str(cpu_out)}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if not Path(f"{json_base}.json").exists():
        sys.exit(f"bench: locust failed: {(done.stderr.strip().splitlines() or ['no output'])[-1]}")
    entries = json.loads(Path(f"{json_base}.json").read_text())
    requests = sum(e["num_requests"] for e in entries)
    failures = sum(e["num_failures"] for e in entries)
    span = max(e["last_request_timestamp"] for e in entries) - min(e["start_time"] for e in entries)
    cpu = json.loads(cpu_out.read_text())
    cpu_us = 1e6 * cpu["cpu_s"] / max(1, cpu["requests"])
    rps = requests / span
    return {"rps": rps, "requests": requests, "failures": failures, "exit": done.returncode, "cpu_us": cpu_us}


def wrk_rps(url: str, seconds: int, connections: int, work: Path) -> float:
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True, check=False)
    if not shutil.which("wrk"):
        return float("nan")
    script = work / "auth.lua"
    script.write_text(f'wrk.headers["Authorization"] = "{BEARER}"\n')
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=False,
    ).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(m[1]) if m else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description="suite user class vs bare FastHttpUser vs wrk, one core each")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pool-size", type=int, default=10)
    opts = parser.parse_args()
    if shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        sys.exit("bench: needs taskset and two CPUs (target on CPU0, generator on CPU1)")

    from loopback_stack import CREDENTIALS, start_stack

    stack = start_stack()
    target, url = start_target()
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = {**os.environ, **CREDENTIALS}
    env_file = stack.write_env(work / "env.toml", base_url=url)
    common = ["-u", str(opts.users), "-r", str(opts.users), "-t", f"{opts.seconds}s"]
    timeout = opts.seconds + 90
    bare, suite = [], []
    try:
        for i in range(opts.repeats):
            bare.append(
                locust_rps(
                    ["-f", str(ROOT / "bench" / "bench_load_locustfile_bare.py"), "-H", url, *common],
                    work / f"bare{i}",
                    env,
                    timeout,
                )
            )
            suite.append(
                locust_rps(
                    [
                        "-f",
                        str(ROOT / "bench" / "bench_load_locustfile_suite.py"),
                        *common,
                        "--tags",
                        "browse",
                        "--env-file",
                        str(env_file),
                        "--pool-size",
                        str(opts.pool_size),
                        "--slo",
                        "p99<10s",
                        "--report-dir",
                        str(work / "reports"),
                    ],
                    work / f"suite{i}",
                    env,
                    timeout,
                )
            )
        wrk = wrk_rps(f"{url}/courses", opts.seconds, 50, work)
    finally:
        target.terminate()
        target.wait(10)
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)

    bare_rps = statistics.median(r["rps"] for r in bare)
    suite_rps = statistics.median(r["rps"] for r in suite)
    # Each repeat runs bare then suite back to back; the median of the pair ratios resists the
    # drift of a shared machine better than a ratio of means.
    pair_ratios = [s["rps"] / b["rps"] for b, s in zip(bare, suite, strict=True)]
    bare_cpu = statistics.median(r["cpu_us"] for r in bare)
    suite_cpu = statistics.median(r["cpu_us"] for r in suite)
    result = {
        "bench": "load_generator",
        "seconds": opts.seconds,
        "users": opts.users,
        "repeats": opts.repeats,
        "bare_fasthttpuser_rps": [round(r["rps"]) for r in bare],
        "suite_user_rps": [round(r["rps"]) for r in suite],
        "suite_failures": sum(r["failures"] for r in suite),
        "suite_exit_codes": [r["exit"] for r in suite],
        "pair_ratios": [round(r, 3) for r in pair_ratios],
        "ratio": round(statistics.median(pair_ratios), 3),
        "ratio_goal": 0.85,
        "bare_cpu_us_per_request": [round(r["cpu_us"], 1) for r in bare],
        "suite_cpu_us_per_request": [round(r["cpu_us"], 1) for r in suite],
        "cpu_ratio": round(bare_cpu / suite_cpu, 3),
        "wrk_rps": round(wrk),
        "wrk_over_suite": round(wrk / suite_rps, 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result))
    print(
        f"one generator core: suite user {suite_rps:,.0f} req/s vs bare FastHttpUser {bare_rps:,.0f} "
        f"(median pair ratio {result['ratio']:.2f}, CPU-per-request ratio {result['cpu_ratio']:.2f}, goal >= 0.85); "
        f"wrk {wrk:,.0f} req/s on the same target "
        f"(load average {result['load_average_1m']})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
