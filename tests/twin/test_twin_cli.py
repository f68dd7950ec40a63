"""The twin's command line: one-line errors, a full detached life cycle, a gateway restart, nothing left running."""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config

from tests.twin.support import running_state
from twin.cli import _log_delay_bound
from twin.lambdas.logdelay import DEFAULT_MAX_S, FORCED_ENV, MAX_ENV
from twin.lambdas.logship import FLUSH_INTERVAL_S
from twin.state import StateLayout, alive, read_state

ROOT = Path(__file__).resolve().parents[2]


def run_twin(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "twin", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["up", "--gateway-port", "abc"], "port must be a number"),
        (["up", "--sql-port", "70000"], "0..65535"),
        (["launch"], "invalid choice"),
        (["up", "--no-such-flag"], "unrecognized arguments"),
        (["restart", "mssql"], "invalid choice: 'mssql' (choose from 'gateway')"),
        (["restart"], "required: service"),
    ],
)
def test_bad_flags_get_one_line_and_usage_exit(args: list[str], needle: str) -> None:
    result = run_twin(*args)
    assert result.returncode == 2
    assert_one_line_error(result, needle)


def test_port_in_use_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_twin("up", "--state-dir", str(tmp_path / "s"), "--gateway-port", str(port))
    assert_one_line_error(result, f"port {port} is in use", "--gateway-port")
    assert not StateLayout(tmp_path / "s").logs.exists(), "nothing may be started when a port is taken"


def test_missing_dependency_is_named_before_anything_starts(tmp_path: Path) -> None:
    # sys.modules[name] = None makes the import system report the package as not installed.
    hide_moto = "import sys; sys.modules['moto'] = None; from twin.cli import main; sys.exit(main())"
    result = subprocess.run(
        [sys.executable, "-c", hide_moto, "up", "--state-dir", str(tmp_path / "s")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert_one_line_error(result, "missing Python package 'moto'", "make setup")
    assert not StateLayout(tmp_path / "s").logs.exists(), "nothing may be started without its dependencies"


def test_state_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "state"
    not_a_dir.write_text("")
    result = run_twin("up", "--state-dir", str(not_a_dir))
    assert_one_line_error(result, "is a file")


def test_status_and_down_without_a_twin(tmp_path: Path) -> None:
    status = run_twin("status", "--state-dir", str(tmp_path))
    assert status.returncode == 3
    assert "not running" in status.stdout
    down = run_twin("down", "--state-dir", str(tmp_path))
    assert down.returncode == 0
    assert "no twin is running" in down.stdout
    restart = run_twin("restart", "gateway", "--state-dir", str(tmp_path))
    assert_one_line_error(restart, f"no twin is running for {tmp_path}", "python -m twin up --detach")


def test_detached_twin_serves_the_api_and_stops_without_leftovers(tmp_path: Path) -> None:
    state_dir, env_out = tmp_path / "state", tmp_path / "env" / "twin.toml"
    up = run_twin("up", "--detach", "--state-dir", str(state_dir), "--env-out", str(env_out))
    try:
        assert up.returncode == 0, up.stderr
        assert "twin ready" in up.stdout
        env = tomllib.loads(env_out.read_text())
        base_url = env["api"]["base_url"]
        assert base_url.startswith("http://127.0.0.1:")
        assert env["aws"]["endpoint_url"].startswith("http://127.0.0.1:")
        # The twin states how late its logs can be readable: its largest stream delay and the shipper's flush.
        assert env["lambda"]["log_delay_max_s"] >= DEFAULT_MAX_S + FLUSH_INTERVAL_S
        # 30 s: /health is the function's first call, a cold start that takes seconds on a busy machine.
        health = requests.get(f"{base_url}/health", timeout=30)
        assert (health.status_code, health.json()) == (200, {"status": "ok"})
        assert requests.get(f"{base_url}/courses", timeout=30).status_code == 401

        again = run_twin("up", "--detach", "--state-dir", str(state_dir), "--env-out", str(env_out))
        assert_one_line_error(again, "already running")

        status = run_twin("status", "--state-dir", str(state_dir))
        assert status.returncode == 0
        assert {"controlplane", "mssql", "gateway"} <= {line.split()[0] for line in status.stdout.splitlines()}
        pids = [int(s["pid"]) for s in running_state(state_dir)["services"].values()]
    finally:
        down = run_twin("down", "--state-dir", str(state_dir))
    assert down.returncode == 0
    assert read_state(state_dir) is None
    assert not [pid for pid in pids if alive(pid)], "a twin process outlived `twin down`"


def test_foreground_twin_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    state_dir, env_out = tmp_path / "state", tmp_path / "local.toml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "twin", "up", "--state-dir", str(state_dir), "--env-out", str(env_out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while read_state(state_dir) is None and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        state = read_state(state_dir)
        assert proc.stderr is not None
        assert state is not None, proc.stderr.read() if proc.poll() is not None else "not ready in time"
        pids = [int(s["pid"]) for s in state["services"].values()]
        restart = run_twin("restart", "gateway", "--state-dir", str(state_dir))
        assert_one_line_error(restart, "runs in the foreground", "python -m twin up --detach")
        assert running_state(state_dir)["services"] == state["services"], "a refused restart must change nothing"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not [pid for pid in pids if alive(pid)]
    assert not StateLayout(state_dir).state_file.exists()


def children(pid: int) -> list[int]:
    """The live processes whose parent is `pid` (the gateway's Lambda workers and log shipper)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(") ", 1)[1].split()  # after the command name, which may hold spaces
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid and alive(int(stat.parent.name)):
            found.append(int(stat.parent.name))
    return found


def id_token(env: dict) -> str:
    """An ID token of a new user of the twin's pool."""
    session = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name=env["aws"]["region"])
    idp = session.client(
        "cognito-idp", endpoint_url=env["aws"]["endpoint_url"], config=Config(retries={"total_max_attempts": 1})
    )
    pool, username, password = env["cognito"]["user_pool_id"], f"e2e-restart-{uuid.uuid4().hex[:8]}", "Str0ng#Restart-1"
    idp.admin_create_user(
        UserPoolId=pool,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.test"}],
    )
    idp.admin_set_user_password(UserPoolId=pool, Username=username, Password=password, Permanent=True)
    return idp.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=env["cognito"]["client_id"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )["AuthenticationResult"]["IdToken"]


def test_a_detached_twin_restarts_its_gateway_on_the_same_url_with_the_same_configuration(tmp_path: Path) -> None:
    state_dir, env_out = tmp_path / "state", tmp_path / "env" / "twin.toml"
    up = run_twin("up", "--detach", "--state-dir", str(state_dir), "--env-out", str(env_out))
    pids: list[int] = []
    try:
        assert up.returncode == 0, up.stderr
        env = tomllib.loads(env_out.read_text())
        base_url, token = env["api"]["base_url"], id_token(env)

        def answers() -> tuple[int, int, int]:
            # 30 s: the first call after a (re)start is a Lambda cold start, seconds on a busy machine.
            return (
                requests.get(f"{base_url}/health", timeout=30).status_code,
                requests.get(f"{base_url}/courses", timeout=30).status_code,
                requests.get(f"{base_url}/courses", headers={"Authorization": token}, timeout=30).status_code,
            )

        assert answers() == (200, 401, 200)
        before = running_state(state_dir)["services"]
        old_gateway = int(before["gateway"]["pid"])
        workers = children(old_gateway)
        pids = [int(s["pid"]) for s in before.values()] + workers
        assert workers, "the requests above run in the gateway's Lambda workers"

        restart = run_twin("restart", "gateway", "--state-dir", str(state_dir))
        assert restart.returncode == 0, restart.stderr
        after = running_state(state_dir)["services"]
        new_gateway = int(after["gateway"]["pid"])
        pids.append(new_gateway)
        lines = restart.stdout.strip().splitlines()
        assert len(lines) == 1, restart.stdout
        assert re.fullmatch(rf"twin: gateway restarted \(pid {old_gateway} -> {new_gateway}\) in \d+\.\d s", lines[0])
        assert new_gateway != old_gateway and not alive(old_gateway)
        assert after["gateway"]["url"] == before["gateway"]["url"] == env["api"]["base_url"]
        assert {k: v for k, v in after.items() if k != "gateway"} == {k: v for k, v in before.items() if k != "gateway"}

        assert answers() == (200, 401, 200)
        # The old gateway ends its workers as it stops: wait for that final state (a ceiling, not a measure).
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if alive(pid)], "the old gateway's Lambda workers outlived it"
        status = run_twin("status", "--state-dir", str(state_dir))
        assert status.returncode == 0
        assert f"pid {new_gateway}" in next(line for line in status.stdout.splitlines() if line.startswith("gateway"))
    finally:
        down = run_twin("down", "--state-dir", str(state_dir))
    assert down.returncode == 0
    assert not [pid for pid in pids if alive(pid)], "a twin process outlived `twin down`"


@pytest.mark.parametrize(
    ("flag_max", "environ", "latest"),
    [
        (None, {}, DEFAULT_MAX_S),
        (2.0, {MAX_ENV: "9"}, 2.0),  # the flag wins over the variable, as in the gateway
        (None, {MAX_ENV: "5"}, 5.0),
        (2.0, {FORCED_ENV: "4,0"}, 4.0),  # a forced slow stream is the latest
    ],
)
def test_the_env_files_log_bound_covers_the_latest_stream(
    monkeypatch: pytest.MonkeyPatch, flag_max: float | None, environ: dict[str, str], latest: float
) -> None:
    for name in (MAX_ENV, FORCED_ENV):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    bound = _log_delay_bound(argparse.Namespace(log_delay_min=None, log_delay_max=flag_max))
    assert latest + FLUSH_INTERVAL_S <= bound <= latest + 2  # covers the latest line, without AWS's 10 s


def test_an_exited_process_that_is_not_reaped_yet_is_not_alive() -> None:
    # What `twin down` sees of a detached supervisor whose parent (init) reaps late: a zombie.
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 60
        while Path(f"/proc/{child.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
            assert time.monotonic() < deadline, "the child did not exit"
            time.sleep(0.01)
        assert not alive(child.pid)
    finally:
        child.wait()
    assert not alive(child.pid)
    assert alive(os.getpid())
