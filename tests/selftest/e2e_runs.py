"""One run of the e2e suite against a twin, in a child pytest, with outcomes per test as JSON.

Hand-written glue: the suite runs exactly as CI runs it (`pytest tests/e2e --env-file F`, with the
`E2E_` overrides the pipeline would set after a fault's change), plus the self-test's outcomes
plugin; the run is bounded in time, and a run that never wrote its outcomes (usage error, crash,
timeout) is reported as broken rather than as "caught".
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fixtures.local_twin import child_env
from tests.selftest.twins import ROOT

SUITE = "tests/e2e"
PLUGIN = "tests.selftest.outcomes_plugin"
# One cheap check per area: run with a fault's own areas, they show a fault breaking something else.
SANITY = (
    "tests/e2e/test_authorizer.py::test_public_routes_answer_without_token",
    "tests/e2e/test_authorizer.py::test_claims_reach_the_lambda[id_token]",
    "tests/e2e/test_cors.py::test_preflight_from_each_allowed_origin_for_every_route",
    "tests/e2e/test_lambda_permissions.py::test_function_policy_allows_only_this_api",
    "tests/e2e/test_sqlserver.py::test_canary_course_listed",
    "tests/e2e/test_network.py::test_database_has_no_public_address",
    "tests/e2e/test_cognito_posture.py::test_user_pool_policies",
    "tests/e2e/test_identity_pool.py::test_guest_access_as_the_env_says",
)
RUN_TIMEOUT_S = 300
FAILING = ("failed", "error")


@dataclass(frozen=True)
class CheckOutcome:
    nodeid: str
    areas: tuple[str, ...]
    outcome: str
    message: str


@dataclass(frozen=True)
class SuiteRun:
    exitstatus: int
    duration_s: float
    tests: tuple[CheckOutcome, ...]
    broken: str | None = None  # why the run says nothing about the stack

    def failing(self) -> list[CheckOutcome]:
        return [t for t in self.tests if t.outcome in FAILING]

    def tripped(self) -> dict[str, list[str]]:
        """area -> node ids of its failing tests."""
        out: dict[str, list[str]] = {}
        for test in self.failing():
            for area in test.areas:
                out.setdefault(area, []).append(test.nodeid)
        return out

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for test in self.tests:
            out[test.outcome] = out.get(test.outcome, 0) + 1
        return out


def run_suite(
    env_file: Path,
    out_dir: Path,
    *,
    areas: tuple[str, ...] = (),
    env: Mapping[str, str] | None = None,
    timeout_s: float = RUN_TIMEOUT_S,
) -> SuiteRun:
    """The whole suite, or (with `areas`) those areas' tests plus the sanity slice; `env`: E2E_ overrides."""
    out_dir.mkdir(parents=True, exist_ok=True)
    outcomes = out_dir / "outcomes.json"
    outcomes.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        SUITE,
        "--env-file",
        str(env_file),
        "-p",
        PLUGIN,
        "--outcomes-json",
        str(outcomes),
        "-p",
        "no:cacheprovider",
        "-q",
    ]
    if areas:
        cmd += ["--outcomes-areas", ",".join(areas), *(a for test in SANITY for a in ("--outcomes-keep", test))]
    try:
        with (out_dir / "pytest.log").open("wb") as log:
            rc = subprocess.run(
                cmd,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout_s,
                env={**child_env(), **(env or {})},
                check=False,
            ).returncode
    except subprocess.TimeoutExpired:
        return SuiteRun(-1, timeout_s, (), broken=f"the e2e run took longer than {timeout_s:.0f} s")
    try:
        data: dict[str, Any] = json.loads(outcomes.read_text())
    except (OSError, json.JSONDecodeError):
        return SuiteRun(rc, 0.0, (), broken=f"the e2e run exited {rc} without outcomes; see {out_dir / 'pytest.log'}")
    tests = tuple(CheckOutcome(t["nodeid"], tuple(t["areas"]), t["outcome"], t["message"]) for t in data["tests"])
    broken = None if rc in (0, 1) and tests else f"the e2e run exited {rc}; see {out_dir / 'pytest.log'}"
    return SuiteRun(rc, float(data["duration_s"]), tests, broken)
