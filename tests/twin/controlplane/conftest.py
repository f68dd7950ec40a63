"""One control plane per test session (in-process, real socket on a free port) and Cognito helpers."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config

from twin.controlplane import ControlPlane, start_control_plane

REGION = "us-east-1"
PASSWORD = "Str0ng#Passw0rd!"
ALL_FLOWS = [
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
]


@pytest.fixture(scope="session")
def control_plane() -> Iterator[ControlPlane]:
    plane = start_control_plane()
    yield plane
    plane.stop()


@pytest.fixture(scope="session")
def aws(control_plane: ControlPlane) -> Callable[[str], Any]:
    """aws("cognito-idp") -> boto3 client bound to the control plane, retries off."""
    session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = session.client(service, endpoint_url=control_plane.url, config=config)
        return clients[service]

    return client


@pytest.fixture(scope="session")
def idp(aws: Callable[[str], Any]) -> Any:
    return aws("cognito-idp")


@dataclass
class Pool:
    id: str
    client_id: str
    username: str
    password: str
    sub: str
    issuer_type: str = "ORIGINAL"  # as created; a test that updates the pool knows its new type itself

    @property
    def issuer(self) -> str:
        host = "issuer-cognito-idp" if self.issuer_type == "UPDATED" else "cognito-idp"
        return f"https://{host}.{REGION}.amazonaws.com/{self.id}"

    @property
    def provider(self) -> str:
        return f"cognito-idp.{REGION}.amazonaws.com/{self.id}"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


POOL_POLICIES = {
    "PasswordPolicy": {
        "MinimumLength": 12,
        "RequireUppercase": True,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
    }
}


@pytest.fixture
def make_pool(idp: Any) -> Callable[..., Pool]:
    """A fresh pool (optionally with an IssuerConfiguration type) + app client + confirmed user (email verified)."""

    def make(flows: list[str] | None = ALL_FLOWS, issuer_type: str | None = None, **client_settings: Any) -> Pool:
        pool_id = idp.create_user_pool(
            PoolName=_name("pool"),
            Policies=POOL_POLICIES,
            **({"IssuerConfiguration": {"Type": issuer_type}} if issuer_type else {}),
        )["UserPool"]["Id"]
        settings = dict(client_settings)
        if flows is not None:
            settings["ExplicitAuthFlows"] = flows
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName=_name("client"), GenerateSecret=False, **settings
        )["UserPoolClient"]["ClientId"]
        username = _name("user")
        user = idp.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": f"{username}@example.test"},
                {"Name": "email_verified", "Value": "true"},
            ],
        )["User"]
        idp.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True)
        sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
        return Pool(pool_id, client_id, username, PASSWORD, sub, issuer_type or "ORIGINAL")

    return make


@pytest.fixture
def sign_in(idp: Any) -> Callable[[Pool], dict[str, Any]]:
    """Admin password sign-in; returns AuthenticationResult."""

    def run(pool: Pool, client_id: str | None = None) -> dict[str, Any]:
        return idp.admin_initiate_auth(
            UserPoolId=pool.id,
            ClientId=client_id or pool.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": pool.username, "PASSWORD": pool.password},
        )["AuthenticationResult"]

    return run


@pytest.fixture
def confidential(idp: Any, make_pool: Callable[..., Pool]) -> tuple[Pool, str, str]:
    """(pool, client id, creation secret) of an extra app client created with GenerateSecret."""
    pool = make_pool()
    client = idp.create_user_pool_client(
        UserPoolId=pool.id, ClientName=_name("confidential"), GenerateSecret=True, ExplicitAuthFlows=ALL_FLOWS
    )["UserPoolClient"]
    return pool, client["ClientId"], client["ClientSecret"]


TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


@pytest.fixture
def make_zip() -> Callable[..., bytes]:
    def build(source: str = "def handler(event, context):\n    return {'statusCode': 200}\n") -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("app.py", source)
        return buffer.getvalue()

    return build


@pytest.fixture
def make_function(aws: Callable[[str], Any], make_zip: Callable[..., bytes]) -> Callable[..., dict[str, Any]]:
    """Create a python3.12 function from a zip; returns create_function's answer."""

    def create(code: bytes | None = None) -> dict[str, Any]:
        role = aws("iam").create_role(RoleName=_name("role"), AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        return aws("lambda").create_function(
            FunctionName=_name("fn"),
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": code or make_zip()},
        )

    return create
