"""Provisioning on a control plane that already differs from the contract: what it repairs,
what it follows (the secret, the code) and what it refuses (duplicates). Tests run in order."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest

from twin.provision import Stack, names, provision
from twin.provision.artifact import build_backend_zip, code_sha256
from twin.provision.aws import Clients, ProvisionError
from twin.provision.function import ensure_code_object, ensure_function
from twin.provision.network import Network

PASSWORD = "Drift#Passw0rd-1"


@pytest.fixture(scope="module")
def run(control_url: str) -> Callable[..., Stack]:
    def again(port: int = 20000, password: str = PASSWORD) -> Stack:
        return provision(control_url, db_host="127.0.0.1", db_port=port, db_app_password=password)

    return again


@pytest.fixture(scope="module")
def stack(run: Callable[..., Stack]) -> Stack:
    return run()


def test_secret_follows_a_new_port_under_the_same_arn(
    aws: Callable[[str], Any], run: Callable[..., Stack], stack: Stack
) -> None:
    moved = run(port=20001, password="Rotated#Passw0rd-2")
    assert moved == stack
    secrets = aws("secretsmanager")
    value = json.loads(secrets.get_secret_value(SecretId=names.DB_SECRET)["SecretString"])
    assert (value["port"], value["password"]) == (20001, "Rotated#Passw0rd-2")
    versions = secrets.describe_secret(SecretId=names.DB_SECRET)["VersionIdsToStages"]
    assert sorted(stage for stages in versions.values() for stage in stages) == ["AWSCURRENT", "AWSPREVIOUS"]


def test_a_deleted_route_is_recreated_alone(aws: Callable[[str], Any], run: Callable[..., Stack], stack: Stack) -> None:
    agw = aws("apigatewayv2")
    agw.delete_route(ApiId=stack.api_id, RouteId=stack.route_ids["POST /exams"])
    repaired = run()
    assert repaired.route_ids["POST /exams"] != stack.route_ids["POST /exams"]
    assert {k: v for k, v in repaired.route_ids.items() if k != "POST /exams"} == {
        k: v for k, v in stack.route_ids.items() if k != "POST /exams"
    }
    route = agw.get_route(ApiId=stack.api_id, RouteId=repaired.route_ids["POST /exams"])
    assert (route["AuthorizationType"], route["AuthorizerId"]) == ("JWT", stack.authorizer_id)
    assert len(agw.get_routes(ApiId=stack.api_id)["Items"]) == len(names.PUBLIC_ROUTES) + len(names.PROTECTED_ROUTES)


def test_changed_cors_is_restored(aws: Callable[[str], Any], run: Callable[..., Stack], stack: Stack) -> None:
    agw = aws("apigatewayv2")
    agw.update_api(ApiId=stack.api_id, CorsConfiguration={"AllowOrigins": ["*"], "AllowMethods": ["*"]})
    run()
    cors = agw.get_api(ApiId=stack.api_id)["CorsConfiguration"]
    assert cors["AllowOrigins"] == ["https://app.learninghub.test"] and cors["MaxAge"] == 300


def test_other_code_in_the_function_is_replaced_by_the_backend(
    aws: Callable[[str], Any], control_url: str, run: Callable[..., Stack], stack: Stack
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {'statusCode': 418}\n")
    other = buffer.getvalue()
    network = Network(
        stack.vpc_id,
        stack.public_subnet_id,
        stack.private_subnet_id,
        stack.igw_id,
        stack.public_route_table_id,
        stack.private_route_table_id,
        stack.lambda_sg_id,
        stack.db_sg_id,
    )
    clients = Clients(control_url, "us-east-1")
    ensure_code_object(clients("s3"), other, code_sha256(other))
    ensure_function(clients("lambda"), stack.lambda_role_arn, network, code_sha256(other))
    lam = aws("lambda")
    assert lam.get_function(FunctionName=names.FUNCTION)["Configuration"]["CodeSha256"] == code_sha256(other)

    run()
    assert lam.get_function(FunctionName=names.FUNCTION)["Configuration"]["CodeSha256"] == code_sha256(
        build_backend_zip()
    )


def test_a_duplicate_resource_is_refused_with_one_clear_line(
    aws: Callable[[str], Any], run: Callable[..., Stack]
) -> None:
    aws("cognito-idp").create_user_pool(PoolName=names.USER_POOL)
    with pytest.raises(ProvisionError, match=r"^2 user pools named learninghub-userpool exist; expected one\."):
        run()
