"""The guide's AWS CLI commands (sections 6, 7 and 9), run with the real `aws` CLI against a running twin.

A full twin is started detached; an HTTP API is then made by hand with the CLI against the control
plane, exactly as the guide writes it where that works, and as a user must where it does not (each
such place is asserted, and listed in twin/README.md). The API is called through the twin's gateway
with a real token of the twin's user pool. Tokens and passwords never reach the output: they go to
the CLI through `file://` parameters, and a failing call reports only its exit code and stderr.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
AWS = Path(sys.executable).with_name("aws")  # awscli 1.46.3, pinned in pyproject.toml, next to the venv's python


@dataclass
class Twin:
    env: dict[str, Any]
    folder: Path

    @property
    def region(self) -> str:
        return str(self.env["aws"]["region"])

    @property
    def base_url(self) -> str:
        return str(self.env["api"]["base_url"])


def run_twin(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "twin", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    folder = tmp_path_factory.mktemp("guide-cli")
    state_dir, env_out = folder / "state", folder / "twin.toml"
    up = run_twin("up", "--detach", "--state-dir", str(state_dir), "--env-out", str(env_out))
    try:
        assert up.returncode == 0, up.stderr
        yield Twin(tomllib.loads(env_out.read_text()), folder)
    finally:
        down = run_twin("down", "--state-dir", str(state_dir))
        assert down.returncode == 0, down.stderr


def cli_env(folder: Path) -> dict[str, str]:
    """The CLI's environment: test keys, no ~/.aws, none of the caller's AWS_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    home = folder / "home"
    home.mkdir(exist_ok=True)
    return {
        **env,
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": str(home / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
    }


def aws_run(twin: Twin, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        str(AWS),
        *args,
        "--endpoint-url",
        str(twin.env["aws"]["endpoint_url"]),
        "--region",
        twin.region,
        "--output",
        "json",
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=cli_env(twin.folder))


def aws(twin: Twin, *args: str) -> dict[str, Any]:
    """Run one CLI command that must succeed; its JSON answer ({} when it prints nothing)."""
    result = aws_run(twin, *args)
    # Only the command's name and stderr: stdout may hold tokens.
    assert result.returncode == 0, f"aws {' '.join(args[:2])} exited {result.returncode}: {result.stderr.strip()}"
    return json.loads(result.stdout) if result.stdout.strip() else {}


def secret_file(twin: Twin, name: str, content: str) -> str:
    """A `file://` parameter, so a password is never on a command line."""
    path = twin.folder / name
    path.touch(mode=0o600)
    path.write_text(content)  # no trailing newline: the CLI passes the file's bytes as they are
    return f"file://{path}"


def gateway(twin: Twin, api_id: str, path: str, token: str | None = None) -> requests.Response:
    """A call through the twin's gateway to the API `api_id`, selected by its execute-api Host name."""
    port = twin.base_url.rsplit(":", 1)[1]
    headers = {"Host": f"{api_id}.execute-api.localhost:{port}"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(twin.base_url + path, headers=headers, timeout=30)


def eventually(
    call: Callable[[], requests.Response], wanted: Callable[[requests.Response], bool], what: str, timeout: float = 30.0
) -> requests.Response:
    """Repeat `call` until its response is `wanted` (the gateway re-reads the control plane within a second;
    the ceiling is for a busy machine: `wanted` is a state only the final configuration has, so the wait ends
    as soon as it is served)."""
    deadline = time.monotonic() + timeout
    while not wanted(resp := call()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within {timeout} s (last: {resp.status_code})")
        time.sleep(0.1)
    return resp


def answers(status: int, body: dict[str, Any] | None = None) -> Callable[[requests.Response], bool]:
    return lambda r: r.status_code == status and (body is None or r.json() == body)


def test_guides_update_route_without_route_id_is_refused_by_the_cli(twin: Twin) -> None:
    result = aws_run(
        twin,
        "apigatewayv2",
        "update-route",
        "--api-id",
        "abc123",
        "--route-key",
        "GET /courses",
        "--authorization-type",
        "JWT",
        "--authorizer-id",
        "def456",
    )
    assert result.returncode == 2
    assert "the following arguments are required: --route-id" in result.stderr


def test_guides_commands_make_a_protected_api_that_works_through_the_gateway(twin: Twin) -> None:
    region, pool, client = twin.region, twin.env["cognito"]["user_pool_id"], twin.env["cognito"]["client_id"]
    function = twin.env["lambda"]["function_name"]
    function_arn = aws(twin, "lambda", "get-function", "--function-name", function)["Configuration"]["FunctionArn"]
    account = function_arn.split(":")[4]

    # create-api --target: quick create makes the integration, a $default route and an auto-deploy $default stage.
    api_id = aws(
        twin,
        "apigatewayv2",
        "create-api",
        "--name",
        "learninghub-api",
        "--protocol-type",
        "HTTP",
        "--target",
        function_arn,
    )["ApiId"]
    (integration,) = aws(twin, "apigatewayv2", "get-integrations", "--api-id", api_id)["Items"]
    assert (integration["IntegrationType"], integration["IntegrationUri"]) == ("AWS_PROXY", function_arn)
    (default_route,) = aws(twin, "apigatewayv2", "get-routes", "--api-id", api_id)["Items"]
    assert default_route["RouteKey"] == "$default"

    authorizer_id = aws(
        twin,
        "apigatewayv2",
        "create-authorizer",
        "--api-id",
        api_id,
        "--authorizer-type",
        "JWT",
        "--name",
        "CognitoJWTAuth",
        "--identity-source",
        "$request.header.Authorization",
        "--jwt-configuration",
        json.dumps({"Issuer": f"https://cognito-idp.{region}.amazonaws.com/{pool}", "Audience": [client]}),
    )["AuthorizerId"]

    # update-route --route-key "GET /courses": the only route is $default, whose key AWS does not let change.
    renamed = aws_run(
        twin,
        "apigatewayv2",
        "update-route",
        "--api-id",
        api_id,
        "--route-id",
        default_route["RouteId"],
        "--route-key",
        "GET /courses",
        "--authorization-type",
        "JWT",
        "--authorizer-id",
        authorizer_id,
    )
    assert renamed.returncode != 0 and "BadRequestException" in renamed.stderr
    # So a user creates the route on the quick-create integration, then attaches the authorizer as the guide says.
    route_id = aws(
        twin,
        "apigatewayv2",
        "create-route",
        "--api-id",
        api_id,
        "--route-key",
        "GET /courses",
        "--target",
        f"integrations/{integration['IntegrationId']}",
    )["RouteId"]
    route = aws(
        twin,
        "apigatewayv2",
        "update-route",
        "--api-id",
        api_id,
        "--route-id",
        route_id,
        "--authorization-type",
        "JWT",
        "--authorizer-id",
        authorizer_id,
    )
    assert (route["RouteKey"], route["AuthorizationType"], route["AuthorizerId"]) == (
        "GET /courses",
        "JWT",
        authorizer_id,
    )

    # add-permission --statement-id apigw-invoke: the twin's own API (provisioned the guide's way) holds that id.
    permission = [
        "lambda",
        "add-permission",
        "--function-name",
        function,
        "--action",
        "lambda:InvokeFunction",
        "--principal",
        "apigateway.amazonaws.com",
        "--source-arn",
        f"arn:aws:execute-api:{region}:{account}:{api_id}/*/*/*",
    ]
    taken = aws_run(twin, *permission, "--statement-id", "apigw-invoke")
    assert taken.returncode != 0 and "ResourceConflictException" in taken.stderr
    statement_id = f"apigw-invoke-{api_id}"
    aws(twin, *permission, "--statement-id", statement_id)

    # A user of the twin's pool; the guide's P@ssw0rd is below the pool's minimum length.
    username = f"guide-{secrets.token_hex(4)}"
    aws(
        twin,
        "cognito-idp",
        "admin-create-user",
        "--user-pool-id",
        pool,
        "--username",
        username,
        "--message-action",
        "SUPPRESS",
    )
    weak = aws_run(
        twin,
        "cognito-idp",
        "admin-set-user-password",
        "--user-pool-id",
        pool,
        "--username",
        username,
        "--password",
        "P@ssw0rd",
        "--permanent",
    )
    assert weak.returncode != 0 and "InvalidPasswordException" in weak.stderr
    password = f"Gd1#{secrets.token_urlsafe(12)}"
    aws(
        twin,
        "cognito-idp",
        "admin-set-user-password",
        "--user-pool-id",
        pool,
        "--username",
        username,
        "--password",
        secret_file(twin, "password", password),
        "--permanent",
    )
    credentials = secret_file(twin, "auth.json", json.dumps({"USERNAME": username, "PASSWORD": password}))
    sign_in = [
        "cognito-idp",
        "admin-initiate-auth",
        "--user-pool-id",
        pool,
        "--client-id",
        client,
        "--auth-parameters",
        credentials,
    ]
    # The guide's legacy flow name is still accepted (it is ADMIN_USER_PASSWORD_AUTH's old name).
    legacy = aws(twin, *sign_in, "--auth-flow", "ADMIN_NO_SRP_AUTH")["AuthenticationResult"]
    assert {"IdToken", "AccessToken", "RefreshToken"} <= set(legacy)
    token = aws(twin, *sign_in, "--auth-flow", "ADMIN_USER_PASSWORD_AUTH")["AuthenticationResult"]["IdToken"]

    # Through the gateway: the Lambda's own answer, the same as on the twin's provisioned API.
    expected = requests.get(f"{twin.base_url}/courses", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert expected.status_code == 200 and expected.json()["courses"]
    # 401 without a token first: only the JWT route answers it (GET /courses without its authorizer, or the
    # $default route, answer 200 or 500), so a 200 with the token cannot come from a route read before
    # update-route; that 200 then needs the permission, made last.
    eventually(
        lambda: gateway(twin, api_id, "/courses"),
        answers(401, {"message": "Unauthorized"}),
        "401 on GET /courses without a token",
    )
    ok = eventually(lambda: gateway(twin, api_id, "/courses", token), answers(200), "200 on GET /courses")
    assert ok.json() == expected.json()
    assert answers(401, {"message": "Unauthorized"})(gateway(twin, api_id, "/courses"))
    # The quick-create $default route still catches every other path; `/*/*/*` does not cover it ($default/$default).
    assert answers(500, {"message": "Internal Server Error"})(gateway(twin, api_id, "/elsewhere", token))
    aws(twin, "apigatewayv2", "delete-route", "--api-id", api_id, "--route-id", default_route["RouteId"])
    eventually(
        lambda: gateway(twin, api_id, "/elsewhere"),
        answers(404, {"message": "Not Found"}),
        "404 once the $default route is gone",
    )

    aws(twin, "lambda", "remove-permission", "--function-name", function, "--statement-id", statement_id)
    eventually(
        lambda: gateway(twin, api_id, "/courses", token),
        answers(500, {"message": "Internal Server Error"}),
        "500 without the permission",
    )
    assert answers(200)(
        requests.get(f"{twin.base_url}/courses", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    ), "the twin's own API keeps its permission"
