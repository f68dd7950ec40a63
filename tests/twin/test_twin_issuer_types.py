"""`python -m twin up --issuer-type ORIGINAL|UPDATED`: the flag's one-line refusal, and a whole twin on the UPDATED
issuer (pool, authorizer, env file, tokens through the gateway, discovery) from start to `twin down`."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import uuid
from pathlib import Path

import boto3
import jwt
import pytest
import requests
from botocore.config import Config

from tests.twin.support import running_state
from twin.state import alive

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Str0ng#Passw0rd-Issuer1"


def run_twin(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "twin", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize("value", ["GLOBAL", "updated", ""])
def test_a_bad_issuer_type_gets_one_line_and_usage_exit(value: str, tmp_path: Path) -> None:
    result = run_twin("up", "--state-dir", str(tmp_path / "s"), "--issuer-type", value)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "--issuer-type: must be ORIGINAL or UPDATED" in lines[0]
    assert not (tmp_path / "s").exists(), "nothing may be started on a bad flag"


def test_a_twin_on_the_updated_issuer(tmp_path: Path) -> None:
    state_dir, env_out = tmp_path / "state", tmp_path / "env" / "twin.toml"
    up = run_twin(
        "up", "--detach", "--issuer-type", "UPDATED", "--state-dir", str(state_dir), "--env-out", str(env_out)
    )
    pids: list[int] = []
    try:
        assert up.returncode == 0, up.stderr
        pids = [int(s["pid"]) for s in running_state(state_dir)["services"].values()]
        env = tomllib.loads(env_out.read_text())
        assert env["cognito"]["issuer_type"] == "UPDATED"
        control, pool_id, client_id = (
            env["aws"]["endpoint_url"],
            env["cognito"]["user_pool_id"],
            env["cognito"]["client_id"],
        )
        issuer = f"https://issuer-cognito-idp.us-east-1.amazonaws.com/{pool_id}"
        session = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1")
        config = Config(retries={"total_max_attempts": 1})
        idp = session.client("cognito-idp", endpoint_url=control, config=config)
        agw = session.client("apigatewayv2", endpoint_url=control, config=config)

        assert idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["IssuerConfiguration"] == {"Type": "UPDATED"}
        authorizers = agw.get_authorizers(ApiId=env["api"]["api_id"])["Items"]
        assert [a["JwtConfiguration"]["Issuer"] for a in authorizers] == [issuer]
        discovery = requests.get(
            f"{control}/issuer-cognito-idp/{pool_id}/.well-known/openid-configuration", timeout=5
        ).json()
        assert discovery["issuer"] == issuer

        username = f"e2e-issuer-{uuid.uuid4().hex[:8]}"
        idp.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": f"{username}@example.test"}],
        )
        idp.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True)
        result = idp.admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        for name in ("IdToken", "AccessToken"):
            assert jwt.decode(result[name], options={"verify_signature": False})["iss"] == issuer
            me = requests.get(f"{env['api']['base_url']}/me", headers={"Authorization": result[name]}, timeout=10)
            assert me.status_code == 200, (name, me.text)
            assert me.json()["username"] == username
    finally:
        down = run_twin("down", "--state-dir", str(state_dir))
    assert down.returncode == 0
    assert not [pid for pid in pids if alive(pid)], "a twin process outlived `twin down`"
