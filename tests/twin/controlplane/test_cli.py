"""`python -m twin.controlplane`: READY line, answers, clean SIGTERM, one-line errors."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[3]


def _run(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "twin.controlplane", *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_ready_line_serves_and_stops_cleanly(stop_signal):
    process = _run("--port", "0")
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # bounded by the pytest timeout of the suite
        assert line.startswith("READY ")
        ready = json.loads(line[len("READY ") :])
        assert ready["moto"] == "5.2.5" and ready["url"] == f"http://127.0.0.1:{ready['port']}"
        assert requests.get(f"{ready['url']}/_twin/health", timeout=10).json()["status"] == "ok"
        process.send_signal(stop_signal)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_bad_port_is_one_line_without_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "twin.controlplane", "--port", "abc"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert "--port must be an integer" in result.stderr


def test_busy_port_is_one_line_without_traceback():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "twin.controlplane", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
