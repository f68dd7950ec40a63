"""No leaked users: a run killed with SIGKILL is swept by the next run (and nothing of a live run
is), for e2e and load runs alike; Ctrl-C and SIGTERM clean up; and the janitor command sweeps dead
runs, old users and the authorizer checks' temporary pools without touching a live run. All on one shared twin, which
stands in for a shared AWS account: every test uses run ids of its own."""

from __future__ import annotations

import re
import secrets
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from pool_views import NOTHING, all_pools, leftovers, run_users
from reliability_runs import Twin, finish, locust_cmd, pytest_cmd, run, signal_group, start, wait_for

from fixtures.config import load_config
from fixtures.lease import RunLease, read_until
from fixtures.users import CognitoUsers
from tests.ports import free_port


def new_id(label: str) -> str:
    return f"{label}{secrets.token_hex(3)}"


class Bystanders:
    """What other pipelines have in the shared pool while our runs come and go: a live run (lease
    renewed, a user, a temporary foreign pool) and a young user of no known run."""

    def __init__(self, idp: Any, twin: Twin) -> None:
        config = load_config(twin.env_file, environ={})
        self.idp, self.pool_id = idp, twin.pool_id
        self.live_run, self.legacy_run = new_id("live"), new_id("legacy")
        self.lease = RunLease(idp, twin.pool_id, self.live_run, ttl_s=60)
        self.lease.acquire()
        self.live = CognitoUsers(config, idp, run_id=self.live_run, worker="gw0")
        self.live_user = self.live.create("busy").username
        name = f"e2e-foreign-{self.live_run}-{secrets.token_hex(3)}"
        self.live_pool = idp.create_user_pool(PoolName=name)["UserPool"]["Id"]
        self.legacy = CognitoUsers(config, idp, run_id=self.legacy_run, worker="load")
        self.legacy_user = self.legacy.create("member").username

    def intact(self) -> bool:
        pools = {p["Id"] for p in all_pools(self.idp)}
        return (
            run_users(self.idp, self.pool_id, self.live_run) == [self.live_user]
            and run_users(self.idp, self.pool_id, self.legacy_run) == [self.legacy_user]
            and self.live_pool in pools
            and read_until(self.idp, self.pool_id, self.live_run) is not None
        )

    def remove(self) -> None:
        self.live.cleanup()
        self.legacy.cleanup()
        self.idp.delete_user_pool(UserPoolId=self.live_pool)
        self.lease.release()


@pytest.fixture
def bystanders(idp: Any, twin: Twin) -> Iterator[Bystanders]:
    others = Bystanders(idp, twin)
    yield others
    others.remove()


def test_a_run_killed_with_sigkill_is_swept_by_the_next_run_and_nothing_else_is(
    twin: Twin, idp: Any, bystanders: Bystanders, tmp_path: Path
) -> None:
    killed, following = new_id("kill"), new_id("next")
    # A short lease only makes the test quick: the rule (an expired lease is a dead run) is the same
    # as with the default 600 s.
    first = start(
        pytest_cmd("tests/e2e", "--env-file", str(twin.env_file), "-n", "2", "--run-lease-seconds", "3",
                   basetemp=tmp_path / "killed"),
        tmp_path / "killed.log",
        E2E_RUN_ID=killed,
    )  # fmt: skip
    try:
        wait_for(lambda: len(run_users(idp, twin.pool_id, killed)) >= 2, timeout=120, what="users of the run")
    finally:
        signal_group(first, signal.SIGKILL)  # controller and both workers, mid-run: no cleanup can run
        first.wait(timeout=30)
    left = leftovers(idp, twin.pool_id, killed)
    assert left["users"] and left["lease"], f"the kill should leave users and the lease behind: {left}"

    wait_for(lambda: (read_until(idp, twin.pool_id, killed) or 0) < time.time(), timeout=15, what="lease to lapse")
    second = run(
        pytest_cmd("tests/e2e", "--env-file", str(twin.env_file), "-n", "2", basetemp=tmp_path / "next"),
        E2E_RUN_ID=following,
    )
    assert second.returncode == 0, second.stdout[-3000:]
    janitor_line = next(line for line in second.stdout.splitlines() if line.startswith("janitor:"))
    assert re.search(rf"dead runs: [^;]*\b{killed}\b", janitor_line), janitor_line
    assert leftovers(idp, twin.pool_id, killed) == NOTHING
    assert leftovers(idp, twin.pool_id, following) == NOTHING
    assert bystanders.intact(), "a live run's resources or a young user of no known run were deleted"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_and_sigterm_mid_run_clean_up(signum: int, twin: Twin, idp: Any, tmp_path: Path) -> None:
    run_id = new_id("sig")
    proc = start(
        pytest_cmd("tests/e2e", "--env-file", str(twin.env_file), "-n", "2", basetemp=tmp_path / "bt"),
        tmp_path / "run.log",
        E2E_RUN_ID=run_id,
    )
    try:
        wait_for(lambda: len(run_users(idp, twin.pool_id, run_id)) >= 2, timeout=120, what="users of the run")
    finally:
        # A terminal's Ctrl-C and a CI cancel both reach every process of the run's group.
        signal_group(proc, signum)
    code = finish(proc, timeout=90)
    output = (tmp_path / "run.log").read_text()
    assert code == 2, output[-3000:]  # pytest's "interrupted"
    assert "Traceback" not in output
    assert leftovers(idp, twin.pool_id, run_id) == NOTHING


LOAD_RUN_ID = re.compile(r"run (load[0-9a-f]{6}): creating")


def load_cmd(twin: Twin, reports: Path, *args: str) -> list[str]:
    """A Locust run of the load suite against `twin`; `args` choose the mode (--headless or the web UI) and size."""
    return locust_cmd("--env-file", str(twin.env_file), "--report-dir", str(reports), *args)


def started_swarm(log: Path, idp: Any, twin: Twin, pool_size: int) -> str:
    """The run id of the Locust run writing `log`, once its pool is filled and its users send requests."""
    wait_for(lambda: LOAD_RUN_ID.search(log.read_text()) is not None, timeout=60, what="the load run's id")
    run_id = LOAD_RUN_ID.search(log.read_text())[1]
    wait_for(lambda: len(run_users(idp, twin.pool_id, run_id)) == pool_size, timeout=60, what="the token pool")
    wait_for(lambda: "All users spawned" in log.read_text(), timeout=60, what="the swarm")
    return run_id


def test_a_load_run_killed_mid_swarm_is_swept_by_the_next_load_run(
    twin: Twin, idp: Any, bystanders: Bystanders, tmp_path: Path
) -> None:
    first = start(load_cmd(twin, tmp_path / "killed", "--headless", "-u", "4", "-r", "4", "-t", "60s",
                           "--pool-size", "3", "--run-lease-seconds", "3"), tmp_path / "killed.log")  # fmt: skip
    try:
        killed = started_swarm(tmp_path / "killed.log", idp, twin, 3)
    finally:
        signal_group(first, signal.SIGKILL)  # mid-swarm: no cleanup can run
        first.wait(timeout=30)
    left = leftovers(idp, twin.pool_id, killed)
    assert len(left["users"]) == 3 and left["lease"], f"the kill should leave users and the lease behind: {left}"

    wait_for(lambda: (read_until(idp, twin.pool_id, killed) or 0) < time.time(), timeout=15, what="lease to lapse")
    second = run(load_cmd(twin, tmp_path / "next", "--headless", "-u", "2", "-r", "2", "-t", "2s", "--pool-size", "1"))
    assert second.returncode == 0, second.stderr[-3000:]
    following = LOAD_RUN_ID.search(second.stderr)[1]
    janitor_line = next(line for line in second.stderr.splitlines() if "janitor:" in line)
    assert "deleted 3 test users" in janitor_line and re.search(rf"dead runs: [^;]*\b{killed}\b", janitor_line)
    assert leftovers(idp, twin.pool_id, killed) == NOTHING
    assert leftovers(idp, twin.pool_id, following) == NOTHING
    assert bystanders.intact(), "a live run's resources or a young user of no known run were deleted"


@pytest.mark.parametrize(
    ("signum", "mode"),
    [(signal.SIGINT, "headless"), (signal.SIGTERM, "headless"), (signal.SIGTERM, "web-ui")],
    ids=["ctrl-c", "sigterm", "sigterm-web-ui"],
)
def test_ctrl_c_and_sigterm_mid_swarm_delete_the_load_runs_users(
    signum: int, mode: str, twin: Twin, idp: Any, tmp_path: Path
) -> None:
    port = free_port()
    ui = ["--web-host", "127.0.0.1", "--web-port", str(port)] if mode == "web-ui" else ["--headless"]
    cmd = load_cmd(twin, tmp_path / "reports", *ui, "-u", "4", "-r", "4", "-t", "60s", "--pool-size", "3")
    proc = start(cmd, tmp_path / "run.log")
    try:
        if mode == "web-ui":  # the form's Start button, without a browser (Locust's SIGTERM path differs here)
            wait_for(lambda: "token pool ready" in (tmp_path / "run.log").read_text(), timeout=60, what="the pool")
            form = {"user_count": 4, "spawn_rate": 4, "host": twin.settings["api"]["base_url"], "pool_size": 3}
            requests.post(f"http://127.0.0.1:{port}/swarm", data=form, timeout=10).raise_for_status()
        run_id = started_swarm(tmp_path / "run.log", idp, twin, 3)
    finally:
        signal_group(proc, signum)
    finish(proc, timeout=60)
    output = (tmp_path / "run.log").read_text()
    assert "Traceback" not in output, output[-3000:]
    assert output.count("deleted 3/3 test users") == 1, output[-3000:]
    assert leftovers(idp, twin.pool_id, run_id) == NOTHING


def janitor_cli(env_file: Path, *args: str) -> Any:
    return run([sys.executable, "-m", "fixtures.janitor", "--env-file", str(env_file), *args], timeout=60)


def test_janitor_command_sweeps_dead_runs_and_old_leftovers_but_never_a_live_run(
    twin: Twin, idp: Any, bystanders: Bystanders
) -> None:
    config = load_config(twin.env_file, environ={})
    dead = new_id("dead")
    lease = RunLease(idp, twin.pool_id, dead, ttl_s=2)
    lease.acquire()
    lease.stop()  # what SIGKILL does to the renewal
    users = CognitoUsers(config, idp, run_id=dead, worker="gw1")
    users.create("main")
    users.create("second")
    idp.create_user_pool(PoolName=f"e2e-foreign-{dead}-{secrets.token_hex(3)}")
    client = idp.create_user_pool_client(
        UserPoolId=twin.pool_id, ClientName=f"e2e-foreign-{dead}-{secrets.token_hex(3)}"
    )
    wait_for(lambda: (read_until(idp, twin.pool_id, dead) or 0) < time.time(), timeout=10, what="lease to lapse")

    dry = janitor_cli(twin.env_file, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.count(f"run {dead} is dead") == 4, dry.stdout  # two users, a pool, a client
    assert len(leftovers(idp, twin.pool_id, dead)["users"]) == 2, "a dry run deletes nothing"

    # Even --max-age-hours 0 (everything is "old") leaves a live run alone; a user of no known run goes.
    real = janitor_cli(twin.env_file, "--max-age-hours", "0")
    assert real.returncode == 0, real.stderr
    assert re.search(rf"dead runs: [^;]*\b{dead}\b", real.stdout), real.stdout
    assert leftovers(idp, twin.pool_id, dead) == NOTHING
    clients = idp.list_user_pool_clients(UserPoolId=twin.pool_id, MaxResults=60)["UserPoolClients"]
    assert client["UserPoolClient"]["ClientId"] not in {c["ClientId"] for c in clients}
    assert run_users(idp, twin.pool_id, bystanders.legacy_run) == [], "older than 0 h and of no known run"
    assert run_users(idp, twin.pool_id, bystanders.live_run) == [bystanders.live_user]
    assert read_until(idp, twin.pool_id, bystanders.live_run) is not None
