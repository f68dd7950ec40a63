"""The backend as deployed: the provisioning zip extracted and imported fresh per test (a cold
Lambda environment), and a control plane child process holding the DB secrets."""

from __future__ import annotations

import importlib
import io
import json
import sys
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.twin.support import control_plane_child
from twin.provision.artifact import build_backend_zip


@pytest.fixture(scope="session")
def code_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("lambda-code")
    zipfile.ZipFile(io.BytesIO(build_backend_zip())).extractall(target)
    return target


def _forget_backend_modules() -> None:
    for name in [n for n in sys.modules if n == "app" or n.split(".")[0] == "learninghub_api"]:
        del sys.modules[name]


@pytest.fixture
def load_backend(code_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., ModuleType]]:
    """load_backend(endpoint_url=..., secret_id=...) -> the `app` module, freshly imported."""

    def load(endpoint_url: str = "http://127.0.0.1:9", secret_id: str = "learninghub/sqlserver") -> ModuleType:
        for key, value in {
            "DB_SECRET_ID": secret_id,
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "lambda",
            "AWS_SECRET_ACCESS_KEY": "lambda",
        }.items():
            monkeypatch.setenv(key, value)
        _forget_backend_modules()
        return importlib.import_module("app")

    monkeypatch.syspath_prepend(str(code_dir))
    yield load
    _forget_backend_modules()


@pytest.fixture(scope="session")
def control_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with control_plane_child(tmp_path_factory.mktemp("controlplane")) as url:
        yield url


@pytest.fixture(scope="session")
def secrets(control_url: str) -> Any:
    return boto3.client(
        "secretsmanager",
        endpoint_url=control_url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
        config=Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture
def db_secret(secrets: Any) -> Callable[[str, int, str], str]:
    """db_secret(host, port, password) -> the id of a fresh secret in the contract's shape."""

    def create(host: str, port: int, password: str, username: str = "learninghub_app") -> str:
        name = f"test/sqlserver-{uuid.uuid4().hex[:8]}"
        secrets.create_secret(
            Name=name,
            SecretString=json.dumps(
                {
                    "host": host,
                    "port": port,
                    "username": username,
                    "password": password,
                    "dbname": "LearningHub",
                    "engine": "sqlserver",
                }
            ),
        )
        return name

    return create
