"""Twin soak: mixed authenticated traffic through the gateway at a fixed rate; errors and memory growth.

Starts a twin (the project's launcher, `fixtures.local_twin`), creates a few test users with the harness, then sends
--rps requests per second for --duration seconds through the gateway: course list, one course,
GET /me, an exam submitted and read back, each with a user's access or ID token. The schedule is
open-loop (request i is due at start + i/rps, so a slow twin shows up as lateness and a lower
achieved rate, not as a quietly lower load). Every twin process (supervisor, control plane, SQL
stand-in, gateway and its Lambda workers and log shipper) has its resident memory sampled; growth
is measured from the end of the warm-up to the end. Prints JSON plus one readable line; asserts
nothing. Goal from the issue: 10 minutes at 200 rps, zero errors, every process under 10 % growth.

Hand-written because the figures are twin-specific (the process tree from the supervisor's pid,
per-process RSS) and the generator must pace itself; Locust's closed-loop users would not.

    .venv/bin/python bench/bench_soak.py [--duration 600] [--rps 200] [--users 8] [--threads 32]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import random
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.aws import make_client_factory, make_session  # noqa: E402
from fixtures.cli_args import OneLineParser  # noqa: E402
from fixtures.config import load_config  # noqa: E402
from fixtures.local_twin import TwinStartError, launched_twin  # noqa: E402
from fixtures.users import CognitoUsers, TestUser  # noqa: E402

SAMPLE_EVERY_S = 5.0
REQUEST_TIMEOUT_S = 10.0
COURSE_IDS = [*range(1, 21), 9001]
# (name, weight): the mix of a learner's day, all behind the JWT authorizer.
MIX = [("GET /courses", 4), ("GET /courses/{id}", 3), ("GET /me", 1), ("POST /exams", 1), ("GET /exams/{id}", 1)]


def _positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not 0 < value < math.inf:
            raise argparse.ArgumentTypeError(f"{text} must be more than 0")
        return value

    return parse


# ---------------------------------------------------------------- memory of the twin's processes


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def process_tree(root: int) -> list[int]:
    tree: list[int] = []
    todo = [root]
    while todo and len(tree) < 200:
        pid = todo.pop()
        tree.append(pid)
        todo += children(pid)
    return tree


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def label(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "gone"
    words = [a.decode(errors="replace") for a in argv if a]
    module = next((words[i + 1] for i, w in enumerate(words[:-1]) if w == "-m"), None)
    if module:
        return module
    return " ".join(Path(w).name for w in words[:3])[:60] or "?"


@dataclass
class Memory:
    """RSS samples per pid of the twin's process tree."""

    root: int
    samples: dict[int, list[tuple[float, int]]] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)

    def sample(self) -> None:
        now = time.monotonic()
        for pid in process_tree(self.root):
            kib = rss_kib(pid)
            if kib is not None:
                self.labels.setdefault(pid, label(pid))
                self.samples.setdefault(pid, []).append((now, kib))

    def report(self, warm_at: float) -> list[dict[str, Any]]:
        rows = []
        for pid, points in sorted(self.samples.items()):
            after = [kib for t, kib in points if t >= warm_at]
            if not after:
                continue
            start, end = after[0], after[-1]
            rows.append(
                {
                    "pid": pid,
                    "process": self.labels[pid],
                    "rss_start_mib": round(start / 1024, 1),
                    "rss_end_mib": round(end / 1024, 1),
                    "rss_peak_mib": round(max(after) / 1024, 1),
                    "growth_pct": round(100 * (end - start) / start, 2),
                    "alive_at_end": points[-1][0] >= self._last_sample - 1e-6,
                }
            )
        return rows

    @property
    def _last_sample(self) -> float:
        return max(points[-1][0] for points in self.samples.values())


# ---------------------------------------------------------------- traffic


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    by_route: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    late_ms: list[float] = field(default_factory=list)


class Traffic:
    """Paced, mixed, authenticated requests through the gateway from `threads` keep-alive clients."""

    def __init__(self, base_url: str, users: list[TestUser], rps: float, duration_s: float, threads: int) -> None:
        target = urlparse(base_url)
        self.host, self.port = target.hostname or "127.0.0.1", target.port or 80
        self.users, self.rps, self.duration_s, self.threads = users, rps, duration_s, threads
        self.tally = Tally()
        self.exams: dict[str, list[int]] = {u.username: [] for u in users}
        self._slot = 0
        self._slot_lock = threading.Lock()
        self._weights = [w for _, w in MIX]
        self.start = 0.0

    def run(self, on_tick: Any) -> None:
        self.start = time.monotonic() + 0.5
        workers = [threading.Thread(target=self._worker, args=(i,), daemon=True) for i in range(self.threads)]
        for worker in workers:
            worker.start()
        end = self.start + self.duration_s
        while time.monotonic() < end:
            on_tick()
            time.sleep(min(SAMPLE_EVERY_S, max(0.0, end - time.monotonic())))
        for worker in workers:
            worker.join(timeout=REQUEST_TIMEOUT_S + 5)
        on_tick()

    def _next_due(self) -> float | None:
        with self._slot_lock:
            due = self.start + self._slot / self.rps
            self._slot += 1
        return due if due < self.start + self.duration_s else None

    def _worker(self, index: int) -> None:
        rng = random.Random(index)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT_S)
        while (due := self._next_due()) is not None:
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            late_ms = max(0.0, -delay * 1000)
            user = self.users[rng.randrange(len(self.users))]
            route = rng.choices([name for name, _ in MIX], self._weights)[0]
            try:
                took_ms = self._request(conn, rng, user, route)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT_S)
                self._count(route, None, f"{route}: {type(exc).__name__}", late_ms)
                continue
            self._count(route, took_ms, None, late_ms)
        conn.close()

    def _request(self, conn: http.client.HTTPConnection, rng: random.Random, user: TestUser, route: str) -> float:
        tokens = user.tokens()
        token = tokens.access_token if rng.random() < 0.5 else tokens.id_token
        headers = {"Authorization": f"Bearer {token}", "x-e2e-probe": "soak"}
        body, expect = None, 200
        mine = self.exams[user.username]
        if route == "GET /exams/{id}" and not mine:
            route = "POST /exams"
        if route == "GET /courses":
            path = "/courses"
        elif route == "GET /courses/{id}":
            path = f"/courses/{rng.choice(COURSE_IDS)}"
        elif route == "GET /me":
            path = "/me"
        elif route == "POST /exams":
            path, expect = "/exams", 201
            body = json.dumps({"courseId": rng.choice(COURSE_IDS), "answers": ["a", "b", "c"]})
            headers["content-type"] = "application/json"
        else:
            path = f"/exams/{mine[-1]}"
        method = route.split()[0]
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        took_ms = (time.perf_counter() - started) * 1000
        if answer.status != expect:
            raise _BadStatus(f"{route}: status {answer.status}")
        if route == "POST /exams":
            exam = json.loads(data)["id"]
            mine.append(exam)
            del mine[:-20]  # keep a few per user
        return took_ms

    def _count(self, route: str, took_ms: float | None, error: str | None, late_ms: float) -> None:
        with self.tally.lock:
            self.tally.sent += 1
            self.tally.by_route[route] += 1
            self.tally.late_ms.append(late_ms)
            if error:
                self.tally.errors[error] += 1
            elif took_ms is not None:
                self.tally.latencies_ms.append(took_ms)


class _BadStatus(http.client.HTTPException):
    """An answer other than the route's success status."""


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="bench/bench_soak.py", prefix="bench_soak", description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=_positive(float), default=600.0, help="seconds of traffic (default 600)")
    parser.add_argument("--rps", type=_positive(float), default=200.0, help="requests per second (default 200)")
    parser.add_argument("--users", type=_positive(int), default=8, help="test users whose tokens are sent")
    parser.add_argument("--threads", type=_positive(int), default=32, help="client threads (keep-alive connections)")
    parser.add_argument("--warmup", type=float, default=None, help="seconds before the memory baseline")
    opts = parser.parse_args(argv)
    warmup = opts.warmup if opts.warmup is not None else max(5.0, min(60.0, opts.duration * 0.1))

    work = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    try:
        with launched_twin(work) as twin:
            config = load_config(twin.env_file, environ={})
            idp = make_client_factory(config, make_session(config))("cognito-idp")
            factory = CognitoUsers(config, idp, run_id=f"soak{secrets.token_hex(3)}", worker="bench")
            users = [factory.create(f"u{i}") for i in range(opts.users)]
            for user in users:
                user.tokens()  # sign in before the clock starts
            state = twin.state
            if state is None:
                print(f"bench_soak: the twin of {twin.state_dir} stopped before the traffic", file=sys.stderr)
                return 1
            memory = Memory(state["supervisor_pid"])
            traffic = Traffic(config.api.base_url, users, opts.rps, opts.duration, opts.threads)
            traffic.run(memory.sample)
            result = summarise(opts, warmup, traffic, memory)
    except TwinStartError as exc:  # its log is in `work`, kept for reading
        print(f"bench_soak: {exc}", file=sys.stderr)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))
    print(result["line"])
    return 0


def summarise(opts: argparse.Namespace, warmup: float, traffic: Traffic, memory: Memory) -> dict[str, Any]:
    tally = traffic.tally
    processes = memory.report(traffic.start + warmup)
    worst = max(processes, key=lambda p: p["growth_pct"], default=None)
    errors = sum(tally.errors.values())
    achieved = tally.sent / opts.duration
    p95 = percentile(tally.latencies_ms, 0.95)
    under = all(p["growth_pct"] < 10 for p in processes)
    line = (
        f"soak {opts.duration:g} s at {opts.rps:g} rps (achieved {achieved:.1f}): {tally.sent} requests, "
        f"{errors} errors, p95 {p95:.1f} ms; RSS growth after {warmup:g} s warm-up, worst "
        f"{worst['growth_pct'] if worst else float('nan'):+.2f} % ({worst['process'] if worst else '-'}); "
        f"every twin process under 10 %: {'yes' if under else 'no'}"
    )
    return {
        "bench": "twin_soak",
        "duration_s": opts.duration,
        "target_rps": opts.rps,
        "achieved_rps": round(achieved, 1),
        "requests": tally.sent,
        "requests_by_route": dict(tally.by_route),
        "errors": errors,
        "errors_by_kind": dict(tally.errors),
        "latency_ms": {
            q: round(percentile(tally.latencies_ms, v), 1) for q, v in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
        },
        "lateness_ms_p99": round(percentile(tally.late_ms, 0.99), 1),
        "warmup_s": warmup,
        "processes": processes,
        "max_growth_pct": worst["growth_pct"] if worst else None,
        "all_under_10_pct": under,
        "line": line,
    }


if __name__ == "__main__":
    sys.exit(main())
