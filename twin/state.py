"""The layout of a twin's state folder, in one place: the supervisor writes it with these names and
every reader (the harness's launcher, faults, benches, tests) finds things with them.

Hand-written because the layout is the twin's contract with the rest of the project
(docs/ARCHITECTURE.md "Process model"): `twin.json` (present only while the twin runs), `logs/`
(one log per service, `logs/lambda/<function>/` per log stream), `credentials.json` (SQL logins'
passwords, mode 0600), `mssql/` (the SQL stand-in's own folder: its `credentials.json` and
`server.json` next to its SQLite file), `lambda/` (extracted code), `faults/` (one record per applied
fault, for `python -m twin.faults revert`) and, with `--enforce-iam`, `iam/credentials` (the CI user's
keys, mode 0600).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NotRequired, TypedDict

STATE_FILE = "twin.json"
LOG_DIR = "logs"
CREDENTIALS_FILE = "credentials.json"
MSSQL_DIR = "mssql"
MSSQL_SERVER_FILE = "server.json"
MSSQL_DATABASE_FILE = "learninghub.sqlite3"
LAMBDA_DIR = "lambda"
FAULTS_DIR = "faults"
IAM_DIR = "iam"
IAM_CREDENTIALS_FILE = "credentials"


class IamState(TypedDict):
    profile: str
    credentials_file: str


class TwinState(TypedDict):
    """The keys of `twin.json`; each service's entry is its pid plus its READY line (url, port, ...)."""

    supervisor_pid: int
    detached: bool
    env_file: str
    api_id: str
    issuer_type: str
    services: dict[str, dict[str, Any]]
    iam: NotRequired[IamState]


@dataclass(frozen=True)
class StateLayout:
    """Where each file of the state folder `root` is."""

    root: Path

    @property
    def state_file(self) -> Path:
        return self.root / STATE_FILE

    @property
    def logs(self) -> Path:
        return self.root / LOG_DIR

    def service_log(self, name: str) -> Path:
        """The log of a service (`gateway`, `mssql`, `controlplane`) or of the detached `supervisor`."""
        return self.logs / f"{name}.log"

    @property
    def lambda_logs(self) -> Path:
        return self.logs / LAMBDA_DIR

    @property
    def credentials(self) -> Path:
        return self.root / CREDENTIALS_FILE

    @property
    def mssql(self) -> Path:
        return self.root / MSSQL_DIR

    @property
    def mssql_credentials(self) -> Path:
        return self.mssql / CREDENTIALS_FILE

    @property
    def lambda_code(self) -> Path:
        return self.root / LAMBDA_DIR

    def fault_record(self, name: str) -> Path:
        """What `python -m twin.faults apply` recorded to revert fault `name`."""
        return self.root / FAULTS_DIR / f"{name}.json"

    @property
    def iam(self) -> Path:
        return self.root / IAM_DIR

    @property
    def iam_credentials(self) -> Path:
        return self.iam / IAM_CREDENTIALS_FILE


def read_state(state_dir: Path) -> TwinState | None:
    """The running twin's state (pids, ports, ids), or None when none is running there."""
    try:
        state: TwinState = json.loads(StateLayout(state_dir).state_file.read_text())
    except (OSError, json.JSONDecodeError):  # OSError: also a state "folder" that is a file
        return None
    return state if alive(int(state.get("supervisor_pid", 0))) else None


def write_state(state_dir: Path, state: TwinState) -> None:
    """Replace `twin.json` at once, so a reader never sees half a file."""
    target = StateLayout(state_dir).state_file
    tmp = target.with_name(f"{STATE_FILE}.tmp")
    tmp.write_text(json.dumps(state, indent=2))
    tmp.replace(target)


def alive(pid: int) -> bool:
    """Whether `pid` runs. An exited process that its parent has not reaped yet (a zombie) does not: a detached
    supervisor's parent is the machine's init, which may reap late (seconds in some containers), and `twin down`
    would wait for that instead of for the twin."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no procfs (not Linux), or the process is gone already
        return False
    # The state is the first field after the command name, which is in parentheses and may hold spaces.
    return stat.rpartition(")")[2].split()[:1] == ["Z"]
