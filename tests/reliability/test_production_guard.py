"""Production guard: against an env file with `[env] protected = true`, the e2e suite and a load run
refuse to create users or load unless `--allow-protected` is given, say so in one line, and leave
nothing behind (no user, no lease, no temporary pool); with the flag they run."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import pytest
from pool_views import NOTHING, leftovers
from reliability_runs import Twin, locust_cmd, pytest_cmd, run, write_env

REFUSAL = "is protected ([env] protected = true): refusing to create Cognito test users; pass --allow-protected"


@pytest.fixture
def protected_env(twin: Twin, tmp_path: Path) -> Path:
    return write_env(twin.env_file, tmp_path / "prod.toml", env__protected=True, env__name="production")


def test_the_e2e_suite_refuses_in_one_line_and_creates_nothing(
    protected_env: Path, twin: Twin, idp: Any, tmp_path: Path
) -> None:
    run_id = f"guard{secrets.token_hex(3)}"
    done = run(pytest_cmd("tests/e2e", "--env-file", str(protected_env), "-n", "2", basetemp=tmp_path / "bt"),
               E2E_RUN_ID=run_id)  # fmt: skip
    assert done.returncode == 2, done.stdout[-3000:]  # the session stops at the first refusal
    # Each worker's first user fixture and xdist's stop line carry the same one-line message.
    lines = [line for line in done.stdout.splitlines() if REFUSAL in line]
    refusals = {re.sub(r"^.*?(environment '.*them).*$", r"\1", line) for line in lines}
    assert len(refusals) == 1, f"one refusal message: {refusals}"
    assert "environment 'production'" in refusals.pop()
    assert "Traceback" not in done.stdout + done.stderr
    assert leftovers(idp, twin.pool_id, run_id) == NOTHING


def test_with_allow_protected_the_suite_runs(protected_env: Path, twin: Twin, idp: Any, tmp_path: Path) -> None:
    run_id = f"allowed{secrets.token_hex(3)}"
    done = run(
        pytest_cmd("tests/e2e/test_sqlserver.py", "--env-file", str(protected_env), "--allow-protected",
                   basetemp=tmp_path / "bt"),
        E2E_RUN_ID=run_id,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout and REFUSAL not in done.stdout
    assert leftovers(idp, twin.pool_id, run_id) == NOTHING


def test_a_load_run_refuses_in_one_line_and_creates_nothing(protected_env: Path, twin: Twin, idp: Any) -> None:
    before = idp.list_users(UserPoolId=twin.pool_id)["Users"]
    done = run(locust_cmd("--headless", "-u", "2", "-t", "3s", "--env-file", str(protected_env)))
    assert done.returncode == 2, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if "/ERROR/" in line]
    assert len(errors) == 1 and "is protected" in errors[0] and "--allow-protected" in errors[0], errors
    assert "Traceback" not in done.stdout + done.stderr
    after = idp.list_users(UserPoolId=twin.pool_id)["Users"]
    assert {u["Username"] for u in after} <= {u["Username"] for u in before}, "no user was created"
