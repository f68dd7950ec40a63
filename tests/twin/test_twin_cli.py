"""The twin's command line: one-line errors, a full detached life cycle, nothing left running."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import requests

from tests.twin.support import alive
from twin.cli import read_state

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
    assert not (tmp_path / "s" / "logs").exists(), "nothing may be started when a port is taken"


def test_missing_dependency_is_named_before_anything_starts(tmp_path: Path) -> None:
    # sys.modules[name] = None makes the import system report the package as not installed.
    hide_moto = "import sys; sys.modules['moto'] = None; from twin.cli import main; sys.exit(main())"
    result = subprocess.run(
        [sys.executable, "-c", hide_moto, "up", "--state-dir", str(tmp_path / "s")],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert_one_line_error(result, "missing Python package 'moto'", "make setup")
    assert not (tmp_path / "s" / "logs").exists(), "nothing may be started without its dependencies"


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
        # 30 s: /health is the function's first call, a cold start that takes seconds on a busy machine.
        health = requests.get(f"{base_url}/health", timeout=30)
        assert (health.status_code, health.json()) == (200, {"status": "ok"})
        assert requests.get(f"{base_url}/courses", timeout=30).status_code == 401

        again = run_twin("up", "--detach", "--state-dir", str(state_dir), "--env-out", str(env_out))
        assert_one_line_error(again, "already running")

        status = run_twin("status", "--state-dir", str(state_dir))
        assert status.returncode == 0
        assert {"controlplane", "mssql", "gateway"} <= {line.split()[0] for line in status.stdout.splitlines()}
        pids = [int(s["pid"]) for s in read_state(state_dir)["services"].values()]
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
        assert state is not None, proc.stderr.read() if proc.poll() is not None else "not ready in time"
        pids = [int(s["pid"]) for s in state["services"].values()]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not [pid for pid in pids if alive(pid)]
    assert not (state_dir / "twin.json").exists()


