"""What a fault acts through: boto3 clients on the twin's control plane and an admin SQL connection.

Hand-written glue. The env file gives the ids (the few keys read here are the contract's, see
docs/ARCHITECTURE.md); the state folder gives the `sa` password (credentials.json, mode 0600) and
the SQL stand-in's port (twin.json). Faults are refused on anything but a twin: an env file without
[aws] endpoint_url, or one marked protected, is a real deployment.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytds
from botocore.config import Config

from twin.faults.model import FaultError
from twin.state import StateLayout, read_state

SQL_HOST = "127.0.0.1"
SQL_DATABASE = "LearningHub"
SQL_TIMEOUT_S = 10
# Faults make single calls; a retry would hide the answer the fault needs to see.
CLIENT_CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)


@dataclass(frozen=True)
class Target:
    """The ids of the stack under change, from the env file."""

    region: str
    endpoint_url: str
    api_id: str
    user_pool_id: str
    client_id: str
    expiry_client_id: str
    identity_pool_id: str
    function_name: str
    secret_id: str
    instance_id: str
    canary_course_id: int


def read_target(env_file: Path) -> Target:
    """The env file's ids; FaultError (one line) when it is unreadable or not a twin's."""
    try:
        raw = tomllib.loads(env_file.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FaultError(f"cannot read env file {env_file}: {exc}") from None
    if raw.get("env", {}).get("protected"):
        raise FaultError(f"env file {env_file} is marked protected: faults are applied to a twin only")
    if not raw.get("aws", {}).get("endpoint_url"):
        raise FaultError(f"env file {env_file} has no [aws] endpoint_url: faults are applied to a twin only")
    wanted = {
        "region": ("aws", "region"), "endpoint_url": ("aws", "endpoint_url"), "api_id": ("api", "api_id"),
        "user_pool_id": ("cognito", "user_pool_id"), "client_id": ("cognito", "client_id"),
        "expiry_client_id": ("cognito", "expiry_client_id"), "identity_pool_id": ("cognito", "identity_pool_id"),
        "function_name": ("lambda", "function_name"), "secret_id": ("database", "secret_id"),
        "instance_id": ("database", "instance_id"), "canary_course_id": ("database", "canary_course_id"),
    }  # fmt: skip
    values: dict[str, Any] = {}
    for field_name, (section, key) in wanted.items():
        value = raw.get(section, {}).get(key)
        if value in (None, ""):
            raise FaultError(f"env file {env_file} lacks [{section}] {key}, which the faults need")
        values[field_name] = value
    return Target(**values)


class FaultContext:
    """Clients for one twin; the SQL connection is opened on first use. Close it when done."""

    def __init__(self, target: Target, state_dir: Path | None = None) -> None:
        self.target = target
        self.state_dir = state_dir
        self._session = boto3.session.Session(
            aws_access_key_id="twin", aws_secret_access_key="twin", region_name=target.region
        )
        self._clients: dict[str, Any] = {}
        self._sql: Any = None

    @classmethod
    def from_files(cls, env_file: Path, state_dir: Path | None) -> FaultContext:
        return cls(read_target(env_file), state_dir)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(
                service, endpoint_url=self.target.endpoint_url, config=CLIENT_CONFIG
            )
        return self._clients[service]

    def sql_execute(self, statement: str, params: tuple[Any, ...] = ()) -> None:
        with self._connection().cursor() as cursor:
            cursor.execute(statement, params)

    def sql_query(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._connection().cursor() as cursor:
            cursor.execute(statement, params)
            return [tuple(row) for row in cursor.fetchall()]

    def close(self) -> None:
        if self._sql is not None:
            self._sql.close()
            self._sql = None

    def _connection(self) -> Any:
        if self._sql is None:
            password, port = self._sql_login()
            try:
                self._sql = pytds.connect(
                    dsn=SQL_HOST, port=port, database=SQL_DATABASE, user="sa", password=password,
                    login_timeout=SQL_TIMEOUT_S, timeout=SQL_TIMEOUT_S, autocommit=True,
                )  # fmt: skip
            except Exception as exc:  # pytds raises several unrelated types for "cannot sign in"
                raise FaultError(
                    f"cannot sign in to SQL Server at {SQL_HOST}:{port} as sa: {type(exc).__name__}"
                ) from None
        return self._sql

    def _sql_login(self) -> tuple[str, int]:
        """`sa` password and the stand-in's port, from the twin's state folder (never printed)."""
        if self.state_dir is None:
            raise FaultError("this fault changes the database: pass --state-dir of the twin (sa password)")
        state = read_state(self.state_dir)
        try:
            password = json.loads(StateLayout(self.state_dir).credentials.read_text())["sa_password"]
            port = int(state["services"]["mssql"]["port"]) if state else 0
        except (OSError, KeyError, ValueError, TypeError) as exc:
            raise FaultError(
                f"state folder {self.state_dir} lacks the SQL login or port ({type(exc).__name__}): "
                "is the twin running there?"
            ) from None
        if not port:
            raise FaultError(f"no twin is running for state folder {self.state_dir} (no SQL port in its state)")
        return password, port
