"""`python -m twin.mssql` as the twin runs it: one READY line, credentials written 0600 and never
printed, clean exit on SIGTERM, the state folder reused on restart (seeded once), `exec` as sa,
and one-line errors for bad input."""

from __future__ import annotations

import json
import os
import secrets
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytds
import pytest

from twin.state import CREDENTIALS_FILE, MSSQL_SERVER_FILE

ROOT = Path(__file__).resolve().parents[3]


def start(state_dir: Path, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "twin.mssql", "--port", "0", "--state-dir", str(state_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        cwd=ROOT,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    assert line.startswith("READY "), line
    return proc, json.loads(line[len("READY ") :])


def stop(proc: subprocess.Popen) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=15)
    return proc.returncode, out, err


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "twin.mssql", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )


def test_serve_ready_credentials_restart_and_exec(tmp_path: Path) -> None:
    state = tmp_path / "mssql"
    proc, ready = start(state)
    try:
        assert ready["port"] > 0 and ready["url"].endswith(f":{ready['port']}/LearningHub")
        creds_file = state / CREDENTIALS_FILE
        assert stat.S_IMODE(creds_file.stat().st_mode) == 0o600
        creds = json.loads(creds_file.read_text())
        with (
            pytds.connect(
                "127.0.0.1",
                "LearningHub",
                "learninghub_app",
                creds["app_password"],
                port=ready["port"],
                autocommit=True,
            ) as conn,
            conn.cursor() as cur,
        ):
            cur.execute(
                "INSERT INTO dbo.ExamSubmissions (CourseId, UserSub, Answers, SubmittedAt) "
                "VALUES (1, N'survives-restart', N'[]', SYSUTCDATETIME())"
            )
        result = run_cli(
            "exec",
            "--state-dir",
            str(state),
            "SELECT COUNT(*) AS n FROM dbo.Courses; SELECT UserSub FROM dbo.ExamSubmissions",
        )
        assert result.returncode == 0, result.stderr
        first = json.loads(result.stdout.splitlines()[0])
        assert first == {"columns": ["n"], "rows": [[21]]}
    finally:
        code, out, err = stop(proc)
    assert code == 0
    for secret in (creds["sa_password"], creds["app_password"]):
        assert secret not in out and secret not in err
    assert not (state / MSSQL_SERVER_FILE).exists()

    proc, ready = start(state)  # same folder: reused, not re-seeded
    try:
        with (
            pytds.connect(
                "127.0.0.1", "LearningHub", "sa", creds["sa_password"], port=ready["port"], autocommit=True
            ) as conn,
            conn.cursor() as cur,
        ):
            cur.execute("SELECT COUNT(*) FROM dbo.Courses")
            assert cur.fetchone() == (21,)
            cur.execute("SELECT COUNT(*) FROM dbo.ExamSubmissions WHERE UserSub = N'survives-restart'")
            assert cur.fetchone() == (1,)
    finally:
        assert stop(proc)[0] == 0


def test_passwords_from_the_environment(tmp_path: Path) -> None:
    app_pw = "Env#" + secrets.token_hex(6)
    proc, ready = start(tmp_path, {"TWIN_MSSQL_APP_PASSWORD": app_pw, "TWIN_MSSQL_SA_PASSWORD": "Sa#" + app_pw})
    try:
        with (
            pytds.connect(
                "127.0.0.1", "LearningHub", "learninghub_app", app_pw, port=ready["port"], autocommit=True
            ) as conn,
            conn.cursor() as cur,
        ):
            cur.execute("SELECT SYSTEM_USER")
            assert cur.fetchone() == ("learninghub_app",)
        assert json.loads((tmp_path / CREDENTIALS_FILE).read_text())["app_password"] == app_pw
    finally:
        code, out, err = stop(proc)
    assert code == 0 and app_pw not in out + err


@pytest.mark.parametrize(
    "args",
    [
        ["--port", "0"],  # --state-dir missing
        ["--port", "not-a-port", "--state-dir", "/tmp/x"],
        ["--host", "0.0.0.0", "--state-dir", "/tmp/twin-mssql-never-created"],
        ["exec", "--state-dir", "/tmp/twin-mssql-no-server-here", "SELECT 1"],
    ],
)
def test_bad_input_is_one_line_and_nonzero(args: list[str]) -> None:
    result = run_cli(*args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("twin.mssql: ")


def test_exec_reports_sql_errors_in_one_line(tmp_path: Path) -> None:
    proc, _ready = start(tmp_path)
    try:
        result = run_cli("exec", "--state-dir", str(tmp_path), "SELECT * FROM dbo.Nope")
        assert result.returncode == 2
        assert result.stderr.strip() == "twin.mssql: SQL error 208: Invalid object name 'dbo.Nope'."
    finally:
        stop(proc)
