"""CPU seconds a Locust process spends while its swarm runs, for bench_load.py's per-request cost.

Wall-clock requests/s on a shared machine move with whatever else runs on the generator's core;
the process's own CPU time per request does not, so bench_load.py reports both. Setup and
teardown (imports, the token pool, reports) are excluded: the clock starts at test_start and stops
at test_stop. The result goes to the JSON file named by BENCH_LOAD_CPU_OUT.
"""

import json
import os
import time
from typing import Any


def register(events: Any) -> None:
    marks: dict[str, float] = {}

    @events.test_start.add_listener
    def _start(environment: Any, **_: Any) -> None:
        marks["cpu"] = time.process_time()
        marks["requests"] = environment.stats.total.num_requests

    @events.test_stop.add_listener
    def _stop(environment: Any, **_: Any) -> None:
        out = os.environ.get("BENCH_LOAD_CPU_OUT")
        if out and "cpu" in marks:
            requests = environment.stats.total.num_requests - marks["requests"]
            with open(out, "w") as handle:
                json.dump({"cpu_s": time.process_time() - marks["cpu"], "requests": requests}, handle)
