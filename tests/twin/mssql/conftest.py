"""Fixtures for the SQL Server stand-in's tests: a real server on a free loopback port per module,
and connection helpers for python-tds and pymssql (unchanged drivers, real TDS)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from twin.mssql.server import RunningServer, start_server

SA_PASSWORD = "Sa#" + secrets.token_hex(8)
APP_PASSWORD = "App#" + secrets.token_hex(8)
LOGINS = {"sa": SA_PASSWORD, "learninghub_app": APP_PASSWORD}


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mssql")


@pytest.fixture(scope="module")
def server(state_dir: Path) -> Iterator[RunningServer]:
    srv = start_server(state_dir, sa_password=SA_PASSWORD, app_password=APP_PASSWORD)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def tds(server: RunningServer) -> Callable[..., Any]:
    """tds(login="learninghub_app", autocommit=True, **kw) -> a python-tds connection."""
    import pytds

    def connect(
        login: str = "learninghub_app",
        *,
        password: str | None = None,
        database: str = "LearningHub",
        autocommit: bool = True,
        **kw: Any,
    ) -> Any:
        return pytds.connect(
            "127.0.0.1",
            database,
            login,
            LOGINS.get(login, "x") if password is None else password,
            port=server.port,
            autocommit=autocommit,
            **{"login_timeout": 10, "timeout": 30, **kw},
        )

    return connect


@pytest.fixture(scope="module")
def ms(server: RunningServer) -> Callable[..., Any]:
    """ms(login="learninghub_app", autocommit=False) -> a pymssql connection."""
    import pymssql

    def connect(
        login: str = "learninghub_app",
        *,
        password: str | None = None,
        database: str = "LearningHub",
        autocommit: bool = False,
    ) -> Any:
        return pymssql.connect(
            server="127.0.0.1",
            port=str(server.port),
            user=login,
            password=LOGINS.get(login, "x") if password is None else password,
            database=database,
            login_timeout=10,
            timeout=30,
            autocommit=autocommit,
        )

    return connect


@pytest.fixture(scope="session")
def logins() -> dict[str, str]:
    """Login name -> password of the servers these fixtures start."""
    return dict(LOGINS)
