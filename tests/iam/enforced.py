"""Enforcing twins and e2e runs signed as the CI user, for tests/iam.

Hand-written glue over the supported entry points (`python -m twin up --detach --enforce-iam` through the
project's launcher `fixtures.local_twin`, `pytest tests/e2e`) so each twin has its own ports and state, and
every e2e run reports its outcome per test (JUnit XML) and the AWS operations it called
(tests/iam/harness_plugin.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.config import Config

from fixtures.local_twin import child_env, launched_twin
from twin.iam.principals import CI_PROFILE

ROOT = Path(__file__).resolve().parents[2]
SUITE_TIMEOUT_S = 240
PLUGIN = "tests.iam.harness_plugin"
# The harness renews its run lease every quarter of this, so a short run still calls UpdateGroup.
RUN_LEASE_S = "2"


@dataclass(frozen=True)
class EnforcedTwin:
    folder: Path
    state_dir: Path
    env_file: Path
    credentials_file: Path

    @property
    def env(self) -> dict[str, Any]:
        return tomllib.loads(self.env_file.read_text())

    def ci_client(self, service: str) -> Any:
        """A client signed with the CI user's keys (read from the credentials file, never printed)."""
        core = botocore.session.Session(profile=CI_PROFILE)
        core.set_config_variable("credentials_file", str(self.credentials_file))
        return self.client(service, boto3.Session(botocore_session=core))

    def client(self, service: str, session: boto3.Session | None = None, **keys: str) -> Any:
        env = self.env["aws"]
        session = session or boto3.Session(**keys)
        return session.client(
            service,
            endpoint_url=env["endpoint_url"],
            region_name=env["region"],
            config=Config(retries={"total_max_attempts": 1}),
        )


@dataclass
class SuiteRun:
    returncode: int
    log: Path
    outcomes: dict[str, str] = field(default_factory=dict)  # nodeid-like "file::test" -> passed/failed/skipped
    calls: Counter[str] = field(default_factory=Counter)  # "signing name|operation|method|auth" -> count

    def failed(self) -> list[str]:
        return sorted(name for name, outcome in self.outcomes.items() if outcome == "failed")

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def enforcing_twin(folder: Path, policy: Path | None = None) -> Iterator[EnforcedTwin]:
    """A twin started with `--enforce-iam` (and `policy` as the CI user's, default env/ci-policy.json)."""
    args = ("--enforce-iam", *(("--ci-policy", str(policy)) if policy else ()))
    with launched_twin(folder, extra_args=args) as twin:
        yield EnforcedTwin(folder, twin.layout.root, twin.env_file, twin.layout.iam_credentials)


def run_suite(twin: EnforcedTwin, out_dir: Path, *args: str) -> SuiteRun:
    """`pytest tests/e2e` against the twin, signed as the CI user, with its calls recorded."""
    out_dir.mkdir(parents=True, exist_ok=True)
    calls_dir = out_dir / "calls"
    calls_dir.mkdir(exist_ok=True)
    junit = out_dir / "junit.xml"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "tests/e2e",
        "--env-file",
        str(twin.env_file),
        "-p",
        PLUGIN,
        "-p",
        "no:cacheprovider",
        "-q",
        "--run-lease-seconds",
        RUN_LEASE_S,
        f"--junitxml={junit}",
        *args,
    ]
    env = child_env(AWS_SHARED_CREDENTIALS_FILE=str(twin.credentials_file), TWIN_IAM_CALLS_DIR=str(calls_dir))
    log = out_dir / "pytest.log"
    try:
        with log.open("wb") as out:
            rc = subprocess.run(
                cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=SUITE_TIMEOUT_S, env=env, check=False
            ).returncode
    except subprocess.TimeoutExpired:
        rc = -1
    run = SuiteRun(rc, log)
    if junit.is_file():
        run.outcomes = _outcomes(junit)
    for path in calls_dir.glob("calls-*.json"):
        run.calls.update(json.loads(path.read_text()))
    return run


def _outcomes(junit: Path) -> dict[str, str]:
    outcomes = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name')}"
        kinds = {child.tag for child in case}
        outcomes[name] = "failed" if kinds & {"failure", "error"} else "skipped" if "skipped" in kinds else "passed"
    return outcomes
