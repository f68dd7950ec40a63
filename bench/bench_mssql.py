"""Benchmark of the SQL Server stand-in: a parameterised SELECT through python-tds.

Starts `python -m twin.mssql` in a temporary state folder (its own process, as in the twin),
then measures, on loopback only:
* one connection: median / p95 round trip and queries per second (goal >= 3,000/s);
* N concurrent connections, each in its own client process (goal >= 5,000/s total on 2 cores).
Prints one JSON document and one readable line. Never asserts timings.

Usage: python bench/bench_mssql.py [--queries 3000] [--seconds 5] [--connections 4]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUERY = "SELECT CourseId, Code, Title, Price FROM dbo.Courses WHERE CourseId = %s"
ROOT = Path(__file__).resolve().parent.parent


def _connect(port: int, password: str):
    import pytds

    return pytds.connect(
        "127.0.0.1",
        "LearningHub",
        "learninghub_app",
        password,
        port=port,
        autocommit=True,
        login_timeout=10,
        timeout=30,
    )


def _one_connection(port: int, password: str, queries: int) -> dict:
    conn = _connect(port, password)
    cur = conn.cursor()
    for i in range(200):  # warm-up: plan cache, connection buffers
        cur.execute(QUERY, (1 + i % 20,))
        cur.fetchall()
    samples = []
    start = time.perf_counter()
    for i in range(queries):
        t0 = time.perf_counter()
        cur.execute(QUERY, (1 + i % 20,))
        rows = cur.fetchall()
        samples.append(time.perf_counter() - t0)
        if len(rows) != 1:
            raise RuntimeError(f"expected one row, got {len(rows)}")
    elapsed = time.perf_counter() - start
    conn.close()
    samples.sort()
    return {
        "queries": queries,
        "median_ms": round(statistics.median(samples) * 1000, 3),
        "p95_ms": round(samples[int(len(samples) * 0.95)] * 1000, 3),
        "qps": round(queries / elapsed, 1),
    }


def _worker(port: int, password: str, seconds: float, start_at: float, out: mp.Queue) -> None:
    conn = _connect(port, password)
    cur = conn.cursor()
    for i in range(50):
        cur.execute(QUERY, (1 + i % 20,))
        cur.fetchall()
    while time.time() < start_at:
        time.sleep(0.001)
    n, errors = 0, 0
    end = start_at + seconds
    while time.time() < end:
        try:
            cur.execute(QUERY, (1 + n % 20,))
            cur.fetchall()
            n += 1
        except Exception:
            errors += 1
            if errors > 100:
                break
    conn.close()
    out.put((n, errors))


def _concurrent(port: int, password: str, connections: int, seconds: float) -> dict:
    out: mp.Queue = mp.Queue()
    start_at = time.time() + 1.5
    procs = [mp.Process(target=_worker, args=(port, password, seconds, start_at, out)) for _ in range(connections)]
    for p in procs:
        p.start()
    results = [out.get(timeout=seconds + 60) for _ in procs]
    for p in procs:
        p.join(30)
    total = sum(n for n, _e in results)
    return {
        "connections": connections,
        "seconds": seconds,
        "queries": total,
        "errors": sum(e for _n, e in results),
        "qps": round(total / seconds, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    if args.queries < 1 or args.seconds <= 0 or not 1 <= args.connections <= 64:
        print("bench_mssql: --queries >= 1, --seconds > 0 and 1 <= --connections <= 64", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as state:
        env = dict(
            os.environ,
            PYTHONPATH=str(ROOT),
            TWIN_MSSQL_APP_PASSWORD="Bench-app-Pa55!",
            TWIN_MSSQL_SA_PASSWORD="Bench-sa-Pa55!",
        )
        server = subprocess.Popen(
            [sys.executable, "-m", "twin.mssql", "--port", "0", "--state-dir", state, "--log-level", "WARNING"],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        try:
            line = server.stdout.readline() if server.stdout else ""
            if not line.startswith("READY "):
                print("bench_mssql: the stand-in did not start", file=sys.stderr)
                return 1
            port = json.loads(line[6:])["port"]
            single = _one_connection(port, env["TWIN_MSSQL_APP_PASSWORD"], args.queries)
            multi = _concurrent(port, env["TWIN_MSSQL_APP_PASSWORD"], args.connections, args.seconds)
        finally:
            server.terminate()
            server.wait(10)
    result = {
        "benchmark": "mssql_parameterised_select",
        "client": "python-tds 1.17.1",
        "query": QUERY,
        "cpus": os.cpu_count(),
        "one_connection": single,
        "concurrent": multi,
        "goals_qps": {"one_connection": 3000, "concurrent_total": 5000},
    }
    print(json.dumps(result))
    print(
        f"mssql stand-in: 1 connection {single['qps']:.0f} q/s (median {single['median_ms']} ms, "
        f"p95 {single['p95_ms']} ms); {multi['connections']} connections {multi['qps']:.0f} q/s total, "
        f"{multi['errors']} errors"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
