"""`python -m twin.parity` against a twin of its own: the committed captures hold on the twin, a recording
replays with no difference, a real misconfiguration is named line by line, and bad input is one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from fixtures import users as users_module
from fixtures.aws import make_client_factory, make_session
from fixtures.config import EnvConfig, load_config
from fixtures.local_twin import ensure_twin, stop_twin
from twin.parity.probes import UNKNOWN_PATH
from twin.parity.runner import record

ROOT = Path(__file__).resolve().parents[3]
SEEDED = ROOT / "twin" / "parity" / "snapshots" / "public-captures.json"
PROPAGATION_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def twin_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    shared = tmp_path_factory.mktemp("parity-twin")
    env = ensure_twin(shared, ROOT)
    yield env
    stop_twin(shared, ROOT)


def parity(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "twin.parity", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, **(env or {})},
        check=False,
    )


def prober_users(config: EnvConfig) -> list[dict[str, Any]]:
    idp = make_client_factory(config, make_session(config))("cognito-idp")
    return idp.list_users(UserPoolId=config.cognito.user_pool_id, Filter='email ^= "e2e-parity-"')["Users"]


def test_a_fresh_twin_answers_as_the_public_captures_show() -> None:
    result = parity("check", SEEDED)  # no env file: the check starts a twin of its own and stops it
    assert result.returncode == 0, result.stdout + result.stderr
    probes = len(json.loads(SEEDED.read_text())["probes"])
    assert result.stdout.splitlines()[-1] == f"parity: no differences in {probes} probes"


def test_a_recording_of_the_twin_replays_with_no_difference_and_holds_no_secret(
    twin_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(twin_env)
    passwords: list[str] = []
    make_password = users_module.make_password

    def recorded(n: int = 12) -> str:
        passwords.append(make_password(n))
        return passwords[-1]

    monkeypatch.setattr(users_module, "make_password", recorded)
    snapshot = record(config)
    snapshot.save(tmp_path / "rec.json")
    text = (tmp_path / "rec.json").read_text()
    assert passwords and passwords[0] not in text
    assert "eyJ" not in text and "{jwt}" not in text  # no token, not even a placeholder where an answer echoed one
    assert config.cognito.client_id not in text and config.cognito.user_pool_id not in text
    assert "{client_id}" in text and "{sub}" in text
    assert prober_users(config) == []

    result = parity("check", tmp_path / "rec.json", "--env-file", twin_env, "--out", tmp_path / "replay.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == f"parity: no differences in {len(snapshot.entries)} probes"
    diff = parity("diff", tmp_path / "rec.json", tmp_path / "replay.json")
    assert diff.returncode == 0, diff.stdout
    assert diff.stdout.splitlines()[-1] == f"parity: no differences in {len(snapshot.entries)} probes"
    assert prober_users(config) == []


def _wait_for_credentials_header(config: EnvConfig, present: bool) -> None:
    """Until the gateway serves the CORS configuration just written (it polls the control plane)."""
    deadline = time.monotonic() + PROPAGATION_TIMEOUT_S
    while True:
        answer = requests.options(
            config.api.base_url + UNKNOWN_PATH,
            timeout=5,
            headers={"Origin": config.api.allowed_origins[0], "Access-Control-Request-Method": "GET"},
        )
        if ("access-control-allow-credentials" in answer.headers) == present:
            return
        assert time.monotonic() < deadline, f"the gateway did not pick up AllowCredentials={present}"
        time.sleep(0.2)


def test_a_misconfigured_stack_is_named_probe_by_probe(twin_env: Path, tmp_path: Path) -> None:
    config = load_config(twin_env)
    assert parity("record", "--env-file", twin_env, "--out", tmp_path / "before.json").returncode == 0
    apigw = make_client_factory(config, make_session(config))("apigatewayv2")
    cors = apigw.get_api(ApiId=config.api.api_id)["CorsConfiguration"]
    apigw.update_api(ApiId=config.api.api_id, CorsConfiguration={**cors, "AllowCredentials": True})
    try:
        _wait_for_credentials_header(config, present=True)
        result = parity("check", tmp_path / "before.json", "--env-file", twin_env)
    finally:
        apigw.update_api(ApiId=config.api.api_id, CorsConfiguration=cors)
        _wait_for_credentials_header(config, present=False)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert (
        "config  cors.AllowCredentials  snapshot=false  twin=true  (a deployed setting: answers may differ "
        "because of it)" in lines
    )
    for probe in ("api.no_token.allowed_origin", "cors.preflight.allowed"):
        assert f'{probe}  headers.access-control-allow-credentials  snapshot=(absent)  twin="true"' in lines
    assert lines[-1].startswith("parity: ") and " differences in " in lines[-1]


@pytest.mark.parametrize(
    ("args", "env", "code", "fragment"),
    [
        (("record", "--env-file", "/nonexistent.toml"), {}, 2, "does not exist: pass --env-file"),
        (("record",), {}, 2, "the following arguments are required: --env-file"),
        (("check", "/nonexistent.json", "--env-file", "TWIN"), {}, 2, "snapshot /nonexistent.json does not exist"),
        (("record", "--env-file", "TWIN"), {"E2E_ENV__PROTECTED": "true"}, 2, "is protected"),
        (
            ("record", "--env-file", "TWIN", "--aws-retry-budget", "1"),
            {"E2E_AWS__ENDPOINT_URL": "http://127.0.0.1:9"},
            3,
            "checking AWS credentials",
        ),
        (("diff", "/nonexistent-a.json", "/nonexistent-b.json"), {}, 2, "does not exist"),
    ],
)
def test_bad_input_is_one_line_and_leaves_nothing(
    twin_env: Path, args: tuple[str, ...], env: dict[str, str], code: int, fragment: str
) -> None:
    result = parity(*(str(twin_env) if a == "TWIN" else a for a in args), env=env)
    assert result.returncode == code, result.stdout + result.stderr
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert prober_users(load_config(twin_env)) == []
