"""No leaked users: a run killed with SIGKILL is swept by the very next run (and nothing of a live run
is), for e2e and load runs alike; Ctrl-C and SIGTERM clean up, and a second Ctrl-C ends a run whose
cleanup is stuck at once; runs on two hosts never take each other for dead; and the janitor command
sweeps dead runs, old users and the authorizer checks' temporary pools without touching a live run.
All on one shared twin, which stands in for a shared AWS account: every test uses run ids of its own.

Ceilings: an interrupted run ends in 3-17 s on the 2-core VM at load average 10 (measured
2026-12-07), a second Ctrl-C in well under a second; END_CEILING_S is ten times the first, so only a
hang reaches it, and no assertion measures how fast a run ends."""

from __future__ import annotations

import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from pool_views import NOTHING, all_pools, leftovers, run_users
from reliability_runs import (
    ROOT,
    Twin,
    child_env,
    finish,
    locust_cmd,
    pytest_cmd,
    run,
    signal_group,
    start,
    wait_for,
    write_env,
)
from wire_proxy import WireProxy

from fixtures.config import load_config
from fixtures.interrupts import EXIT_SECOND_INTERRUPT
from fixtures.lease import RunLease, read_lease, read_until
from fixtures.users import CognitoUsers
from tests.ports import free_port

END_CEILING_S = 180
SETUP_CEILING_S = 180  # a run's users or a load run's swarm appear within seconds; this is only a bound
pytestmark = pytest.mark.timeout(900)  # a test here waits for up to three runs; each wait has its own ceiling


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


@pytest.mark.parametrize("point", ["lease-taken", "users-created"])
def test_a_run_killed_with_sigkill_is_swept_by_the_very_next_run_and_nothing_else_is(
    point: str, twin: Twin, idp: Any, bystanders: Bystanders, tmp_path: Path
) -> None:
    killed, following = new_id("kill"), new_id("next")
    first = start(
        pytest_cmd("tests/e2e", "--env-file", str(twin.env_file), "-n", "2", basetemp=tmp_path / "killed"),
        tmp_path / "killed.log",
        E2E_RUN_ID=killed,
    )
    try:
        if point == "lease-taken":
            wait_for(lambda: read_lease(idp, twin.pool_id, killed) is not None, timeout=SETUP_CEILING_S,
                     what="the run's lease", every=0.05)  # fmt: skip
        else:
            wait_for(lambda: len(run_users(idp, twin.pool_id, killed)) >= 2, timeout=SETUP_CEILING_S,
                     what="users of the run")  # fmt: skip
    finally:
        signal_group(first, signal.SIGKILL)  # controller and both workers: no cleanup can run
        first.wait(timeout=30)
    left = leftovers(idp, twin.pool_id, killed)
    assert left["lease"], f"the kill should leave the lease behind: {left}"
    lease = read_lease(idp, twin.pool_id, killed)
    assert lease is not None and lease.until > time.time(), "the next run starts while the lease's deadline is ahead"

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
        wait_for(lambda: len(run_users(idp, twin.pool_id, run_id)) >= 2, timeout=SETUP_CEILING_S,
                 what="users of the run")  # fmt: skip
    finally:
        # A terminal's Ctrl-C and a CI cancel both reach every process of the run's group.
        signal_group(proc, signum)
    code = finish(proc, timeout=END_CEILING_S)
    output = (tmp_path / "run.log").read_text()
    assert code == 2, output[-3000:]  # pytest's "interrupted"
    assert "Traceback" not in output
    assert leftovers(idp, twin.pool_id, run_id) == NOTHING


LOAD_RUN_ID = re.compile(r"run (load[0-9a-f]{6}): creating")


def load_run_id(output: str) -> str:
    found = LOAD_RUN_ID.search(output)
    assert found, f"no load run id in: {output[-3000:]}"
    return found[1]


def load_cmd(twin: Twin, reports: Path, *args: str) -> list[str]:
    """A Locust run of the load suite against `twin`; `args` choose the mode (--headless or the web UI) and size."""
    return locust_cmd("--env-file", str(twin.env_file), "--report-dir", str(reports), *args)


def started_swarm(log: Path, idp: Any, twin: Twin, pool_size: int) -> str:
    """The run id of the Locust run writing `log`, once its pool is filled and its users send requests."""
    wait_for(lambda: LOAD_RUN_ID.search(log.read_text()) is not None, timeout=SETUP_CEILING_S,
             what="the load run's id")  # fmt: skip
    run_id = load_run_id(log.read_text())
    wait_for(lambda: len(run_users(idp, twin.pool_id, run_id)) == pool_size, timeout=SETUP_CEILING_S,
             what="the token pool")  # fmt: skip
    wait_for(lambda: "All users spawned" in log.read_text(), timeout=SETUP_CEILING_S, what="the swarm")
    return run_id


def test_a_load_run_killed_mid_swarm_is_swept_by_the_very_next_load_run(
    twin: Twin, idp: Any, bystanders: Bystanders, tmp_path: Path
) -> None:
    first = start(load_cmd(twin, tmp_path / "killed", "--headless", "-u", "4", "-r", "4", "-t", "60s",
                           "--pool-size", "3"), tmp_path / "killed.log")  # fmt: skip
    try:
        killed = started_swarm(tmp_path / "killed.log", idp, twin, 3)
    finally:
        signal_group(first, signal.SIGKILL)  # mid-swarm: no cleanup can run
        first.wait(timeout=30)
    left = leftovers(idp, twin.pool_id, killed)
    assert len(left["users"]) == 3 and left["lease"], f"the kill should leave users and the lease behind: {left}"
    assert (read_until(idp, twin.pool_id, killed) or 0) > time.time(), "the next run starts within the lease"
    second = run(load_cmd(twin, tmp_path / "next", "--headless", "-u", "2", "-r", "2", "-t", "2s", "--pool-size", "1"))
    assert second.returncode == 0, second.stderr[-3000:]
    following = load_run_id(second.stderr)
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
            wait_for(lambda: "token pool ready" in (tmp_path / "run.log").read_text(), timeout=SETUP_CEILING_S,
                     what="the pool")  # fmt: skip
            form = {"user_count": 4, "spawn_rate": 4, "host": twin.settings["api"]["base_url"], "pool_size": 3}
            requests.post(f"http://127.0.0.1:{port}/swarm", data=form, timeout=10).raise_for_status()
        run_id = started_swarm(tmp_path / "run.log", idp, twin, 3)
    finally:
        signal_group(proc, signum)
    finish(proc, timeout=END_CEILING_S)
    output = (tmp_path / "run.log").read_text()
    assert "Traceback" not in output, output[-3000:]
    assert output.count("deleted 3/3 test users") == 1, output[-3000:]
    assert leftovers(idp, twin.pool_id, run_id) == NOTHING


def dead_lease(twin: Twin, run_id: str) -> None:
    """The lease of a run whose controller died: taken by a process that then exits without releasing it."""
    code = (
        "import os, sys; sys.path.insert(0, 'tests/reliability'); from pool_views import cognito; "
        "from fixtures.lease import RunLease; "
        f"RunLease(cognito({str(twin.env_file)!r}), {twin.pool_id!r}, {run_id!r}).acquire(); os._exit(0)"
    )
    done = run([sys.executable, "-c", code], timeout=60)
    assert done.returncode == 0, done.stderr


def janitor_cli(env_file: Path, *args: str) -> Any:
    return run([sys.executable, "-m", "fixtures.janitor", "--env-file", str(env_file), *args], timeout=60)


def test_janitor_command_sweeps_dead_runs_and_old_leftovers_but_never_a_live_run(
    twin: Twin, idp: Any, bystanders: Bystanders
) -> None:
    config = load_config(twin.env_file, environ={})
    dead = new_id("dead")
    dead_lease(twin, dead)
    users = CognitoUsers(config, idp, run_id=dead, worker="gw1")
    users.create("main")
    users.create("second")
    idp.create_user_pool(PoolName=f"e2e-foreign-{dead}-{secrets.token_hex(3)}")
    client = idp.create_user_pool_client(
        UserPoolId=twin.pool_id, ClientName=f"e2e-foreign-{dead}-{secrets.token_hex(3)}"
    )
    assert (read_until(idp, twin.pool_id, dead) or 0) > time.time(), "its deadline is ahead: only the holder is gone"

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


@pytest.mark.parametrize("suite", ["e2e", "load"])
def test_a_second_ctrl_c_ends_a_run_whose_cleanup_is_stuck_and_the_next_sweep_takes_its_users(
    suite: str, twin: Twin, idp: Any, tmp_path: Path
) -> None:
    proxy = WireProxy(twin.control_url).start()
    log = tmp_path / "run.log"
    try:
        env = write_env(twin.env_file, tmp_path / "env.toml", aws__endpoint_url=proxy.url)
        if suite == "e2e":
            run_id = new_id("twice")
            proc = start(pytest_cmd("tests/e2e", "--env-file", str(env), "-n", "2", basetemp=tmp_path / "bt"), log,
                         E2E_RUN_ID=run_id)  # fmt: skip
            wait_for(lambda: len(run_users(idp, twin.pool_id, run_id)) >= 2, timeout=SETUP_CEILING_S,
                     what="users of the run")  # fmt: skip
        else:
            proxied = Twin(env, twin.state_dir, started=False)  # the shared twin through the proxy: not ours to stop
            proc = start(load_cmd(proxied, tmp_path / "reports", "--headless", "-u", "4", "-r", "4",
                                  "-t", "60s", "--pool-size", "3"), log)  # fmt: skip
            run_id = started_swarm(log, idp, twin, 3)
        proxy.hold("AdminDeleteUser")  # the cleanup hangs on its first delete: a control plane that stopped answering
        signal_group(proc, signal.SIGINT)
        wait_for(lambda: proxy.held >= 1, timeout=END_CEILING_S, what="the cleanup's first delete")
        signal_group(proc, signal.SIGINT)  # the person presses Ctrl-C again
        code = finish(proc, timeout=30)  # the second Ctrl-C exits in well under a second; 30 s only bounds a hang
    finally:
        proxy.stop()
    output = log.read_text()
    assert code == EXIT_SECOND_INTERRUPT, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert f"{'load ' if suite == 'load' else ''}run {run_id} stopped without cleanup" in output, output[-3000:]
    assert run_users(idp, twin.pool_id, run_id), "the stuck cleanup should have left users for the next sweep"

    lease = read_lease(idp, twin.pool_id, run_id)
    assert lease is not None and lease.until > time.time(), "the sweep comes while the lease's deadline is ahead"
    sweep = janitor_cli(twin.env_file)
    assert sweep.returncode == 0, sweep.stderr
    assert leftovers(idp, twin.pool_id, run_id) == NOTHING


OTHER_HOST = ["unshare", "--pid", "--fork", "--mount-proc"]  # its own pids: what another machine's runner sees


def live_run_on_another_host(twin: Twin, run_id: str) -> subprocess.Popen[str]:
    """A run on "another host" (a pid namespace of its own): its lease and one user, held until stdin closes."""
    code = (
        "import sys; sys.path.insert(0, 'tests/reliability'); from pool_views import cognito; "
        "from fixtures.config import load_config; from fixtures.lease import RunLease; "
        "from fixtures.users import CognitoUsers; "
        f"idp = cognito({str(twin.env_file)!r}); lease = RunLease(idp, {twin.pool_id!r}, {run_id!r}); lease.acquire(); "
        f"users = CognitoUsers(load_config({str(twin.env_file)!r}, environ={{}}), idp, run_id={run_id!r}, "
        "worker='gw0'); users.create('remote'); print('ready', flush=True); sys.stdin.read(); "
        "users.cleanup(); lease.release()"
    )
    proc = subprocess.Popen([*OTHER_HOST, sys.executable, "-c", code], cwd=ROOT, env=child_env(),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


@pytest.mark.skipif(not shutil.which("unshare"), reason="needs util-linux unshare to stand in for a second host")
def test_runs_on_two_hosts_never_take_each_other_for_dead(
    twin: Twin, idp: Any, bystanders: Bystanders, tmp_path: Path
) -> None:
    remote_id = new_id("remote")
    remote = live_run_on_another_host(twin, remote_id)
    try:
        lease = read_lease(idp, twin.pool_id, remote_id)
        assert lease is not None and lease.holder is not None and lease.holder.gone() is None, (
            "this host must not be able to judge the other host's pids"
        )
        here = run(pytest_cmd("tests/e2e", "--env-file", str(twin.env_file), "-n", "2", basetemp=tmp_path / "here"),
                   E2E_RUN_ID=new_id("here"))  # fmt: skip
        assert here.returncode == 0, here.stdout[-3000:]
        assert len(run_users(idp, twin.pool_id, remote_id)) == 1, "this host's run deleted the other host's user"

        there = run([*OTHER_HOST, *pytest_cmd("tests/e2e", "--env-file", str(twin.env_file), "-n", "2",
                                              basetemp=tmp_path / "there")], E2E_RUN_ID=new_id("there"))  # fmt: skip
        assert there.returncode == 0, there.stdout[-3000:]
        assert bystanders.intact(), "the other host's run deleted this host's live run"
    finally:
        remote.communicate(input="", timeout=60)
    assert leftovers(idp, twin.pool_id, remote_id) == NOTHING
