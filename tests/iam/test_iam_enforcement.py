"""env/ci-policy.json proven on a twin that enforces IAM (`twin up --enforce-iam`): the whole e2e suite passes
signed as the CI user, calls outside the policy are refused, and removing one needed action breaks exactly the
area that needs it."""

from __future__ import annotations

import configparser
import functools
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import allure
import pytest
import requests
from botocore.exceptions import ClientError

from fixtures.signin import sign_in
from fixtures.users import make_password
from tests.iam.enforced import EnforcedTwin, SuiteRun, enforcing_twin, run_suite
from twin.iam.policy import load_policy, without_action
from twin.iam.principals import CI_PROFILE
from twin.state import StateLayout


def error_code(call: Callable[[], Any]) -> tuple[str, str]:
    try:
        call()
    except ClientError as exc:
        error = exc.response.get("Error", {})
        return str(error.get("Code")), str(error.get("Message"))
    return "no error", ""


@allure.title("The whole e2e suite passes with every AWS call signed as the CI user")
def test_suite_passes_with_ci_credentials(suite_run: SuiteRun) -> None:
    allure.attach(suite_run.tail(), "e2e run (last lines)", allure.attachment_type.TEXT)
    assert suite_run.returncode == 0, f"the e2e suite failed under the CI policy:\n{suite_run.tail()}"
    passed = [name for name, outcome in suite_run.outcomes.items() if outcome == "passed"]
    assert len(passed) >= 50, f"only {len(passed)} e2e checks passed; the run did not exercise the suite"
    log = suite_run.log.read_text(errors="replace")
    # Optional checks skip and harness chores only note a refusal; either would hide a missing permission.
    for refusal in ("AccessDenied", "UnauthorizedOperation", "the runner may not"):
        assert refusal not in log, f"the run reported {refusal!r}: a call the harness makes is outside the policy"


@allure.title("Enforcement is on: the twin's dummy keys and unsigned requests are refused")
def test_dummy_and_unsigned_requests_refused(enforced_twin: EnforcedTwin) -> None:
    pool = enforced_twin.env["cognito"]["user_pool_id"]
    dummy = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    idp = enforced_twin.client("cognito-idp", **dummy)
    assert error_code(lambda: idp.describe_user_pool(UserPoolId=pool))[0] == "UnrecognizedClientException"
    sts = enforced_twin.client("sts", **dummy)
    assert error_code(sts.get_caller_identity)[0] == "InvalidClientTokenId"
    unsigned = requests.post(
        enforced_twin.env["aws"]["endpoint_url"],
        data=json.dumps({"UserPoolId": pool}),
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.DescribeUserPool",
            "Content-Type": "application/x-amz-json-1.1",
        },
        timeout=10,
    )
    assert (unsigned.status_code, unsigned.json().get("__type")) == (400, "MissingAuthenticationTokenException")


@allure.title("Cognito's unauthenticated APIs (SRP, password sign-in) need nothing from the policy")
@pytest.mark.parametrize("flow", ["srp", "user_password"])
def test_unauthenticated_cognito_apis_work(enforced_twin: EnforcedTwin, flow: str) -> None:
    """RespondToAuthChallenge and InitiateAuth are unsigned on AWS and outside IAM; the twin must not refuse
    them (moto 5.2.5 answers the unsigned challenge response with HTTP 500 under enforcement)."""
    cognito = enforced_twin.env["cognito"]
    idp = enforced_twin.ci_client("cognito-idp")
    username, password = f"iam-{flow}-{secrets.token_hex(4)}", make_password(16)
    idp.admin_create_user(UserPoolId=cognito["user_pool_id"], Username=username, MessageAction="SUPPRESS")
    try:
        idp.admin_set_user_password(
            UserPoolId=cognito["user_pool_id"], Username=username, Password=password, Permanent=True
        )
        tokens = sign_in(idp, cognito["user_pool_id"], cognito["client_id"], username, password, flow=flow)
        assert tokens.access_token.count(".") == 2
    finally:
        idp.admin_delete_user(UserPoolId=cognito["user_pool_id"], Username=username)


def _outside_calls(env: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], str, str]]:
    """(service, method, params, IAM action as moto names it, expected error code): all outside the policy."""
    pool, client = env["cognito"]["user_pool_id"], env["cognito"]["client_id"]
    function, api = env["lambda"]["function_name"], env["api"]["api_id"]
    role = "arn:aws:iam::123456789012:role/learninghub-lambda-exec"
    return [
        ("iam", "create_user", {"UserName": "intruder"}, "iam:CreateUser", "AccessDenied"),
        (
            "iam",
            "attach_user_policy",
            {"UserName": "learninghub-ci", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
            "iam:AttachUserPolicy",
            "AccessDenied",
        ),
        ("sts", "assume_role", {"RoleArn": role, "RoleSessionName": "intruder"}, "sts:AssumeRole", "AccessDenied"),
        (
            "cognito-idp",
            "delete_user_pool",
            {"UserPoolId": pool},
            "cognito-idp:DeleteUserPool",
            "AccessDeniedException",
        ),
        (
            "cognito-idp",
            "update_user_pool_client",
            {"UserPoolId": pool, "ClientId": client},
            "cognito-idp:UpdateUserPoolClient",
            "AccessDeniedException",
        ),
        (
            "cognito-idp",
            "admin_add_user_to_group",
            {"UserPoolId": pool, "Username": "x", "GroupName": "admins"},
            "cognito-idp:AdminAddUserToGroup",
            "AccessDeniedException",
        ),
        (
            "cognito-identity",
            "delete_identity_pool",
            {"IdentityPoolId": env["cognito"]["identity_pool_id"]},
            "cognito-identity:DeleteIdentityPool",
            "AccessDeniedException",
        ),
        (
            "lambda",
            "update_function_configuration",
            {"FunctionName": function, "Timeout": 3},
            "lambda:UpdateFunctionConfiguration",
            "AccessDeniedException",
        ),
        (
            "lambda",
            "add_permission",
            {"FunctionName": function, "StatementId": "intruder", "Action": "lambda:*", "Principal": "*"},
            "lambda:AddPermission",
            "AccessDeniedException",
        ),
        (
            "apigatewayv2",
            "update_api",
            {"ApiId": api, "Name": "intruder"},
            "apigateway:UpdateApi",
            "AccessDeniedException",
        ),
        (
            "secretsmanager",
            "put_secret_value",
            {"SecretId": env["database"]["secret_id"], "SecretString": "x"},
            "secretsmanager:PutSecretValue",
            "AccessDeniedException",
        ),
        (
            "logs",
            "delete_log_group",
            {"logGroupName": f"/aws/lambda/{function}"},
            "logs:DeleteLogGroup",
            "AccessDeniedException",
        ),
        (
            "ec2",
            "authorize_security_group_ingress",
            {"GroupId": "sg-00000000", "IpProtocol": "tcp", "FromPort": 1433, "ToPort": 1433, "CidrIp": "0.0.0.0/0"},
            "ec2:AuthorizeSecurityGroupIngress",
            "UnauthorizedOperation",
        ),
    ]


@allure.title("Calls outside the policy are refused with the service's access-denied error")
def test_calls_outside_the_policy_refused(enforced_twin: EnforcedTwin) -> None:
    refused = []
    for service, method, params, action, expected in _outside_calls(enforced_twin.env):
        client = enforced_twin.ci_client(service)
        code, message = error_code(functools.partial(getattr(client, method), **params))
        refused.append(f"{action}: {code}")
        assert code == expected, f"{action} with the CI user's keys answered {code!r}, expected {expected}"
        assert action in message and "learninghub-ci" in message, f"{action} refused for another reason: {message}"
    allure.attach("\n".join(refused), "refused calls", allure.attachment_type.TEXT)


@allure.title("Removing {action} from the policy fails the {area} checks, and only them")
@pytest.mark.parametrize(
    ("action", "area"),
    [
        ("lambda:GetPolicy", "tests/e2e/test_lambda_permissions"),
        ("ec2:DescribeSecurityGroups", "tests/e2e/test_network"),
    ],
)
def test_removed_action_fails_its_area(iam_dir: Path, action: str, area: str) -> None:
    folder = iam_dir / f"without-{action.replace(':', '-')}"
    folder.mkdir()
    policy = folder / "ci-policy.json"
    policy.write_text(json.dumps(without_action(load_policy(), action), indent=2))
    with enforcing_twin(folder / "twin", policy) as twin:
        run = run_suite(twin, folder / "suite")
    allure.attach("\n".join(run.failed()) or "(none)", "failed checks", allure.attachment_type.TEXT)
    assert run.returncode == 1, f"the suite did not fail without {action}:\n{run.tail()}"
    assert run.failed(), f"no e2e check failed without {action}"
    elsewhere = [name for name in run.failed() if not name.startswith(area)]
    assert not elsewhere, f"without {action} checks outside {area} failed too: {elsewhere}"
    assert action in run.log.read_text(errors="replace"), f"the failures do not name the refused {action}"


@allure.title("The CI user's keys appear only in the credentials file")
def test_keys_never_in_logs_or_env_file(enforced_twin: EnforcedTwin, suite_run: SuiteRun) -> None:
    credentials = configparser.ConfigParser()
    credentials.read(enforced_twin.credentials_file)
    secret = credentials[CI_PROFILE]["aws_secret_access_key"]
    assert len(secret) >= 20 and enforced_twin.credentials_file.stat().st_mode & 0o077 == 0
    written = [
        enforced_twin.env_file,
        suite_run.log,
        *enforced_twin.folder.glob("*.log"),
        *(p for p in StateLayout(enforced_twin.state_dir).logs.rglob("*") if p.is_file()),
    ]
    leaked = [str(p) for p in written if secret in p.read_text(errors="replace")]
    assert not leaked, f"the CI user's secret key was written to {leaked}"
