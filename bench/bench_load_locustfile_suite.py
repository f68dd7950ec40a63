"""The measured side of bench_load.py: the suite's user class (token pool, checks) on GET /courses only.

Same life cycle as tests/load/locustfile.py (Cognito pool, hand-out, gate, reports); the only
change is no think time; bench_load.py passes `--tags browse` so both sides issue identical requests.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "load")]

import bench_load_cpu  # noqa: E402
from loadsuite import scenarios  # noqa: E402
from loadsuite.lifecycle import LoadRun  # noqa: E402
from loadsuite.options import add_arguments  # noqa: E402
from locust import constant, events  # noqa: E402


class SuiteUser(scenarios.LearningHubUser):
    wait_time = constant(0)


events.init_command_line_parser.add_listener(lambda parser, **_: add_arguments(parser))
LoadRun().register(events)
bench_load_cpu.register(events)
