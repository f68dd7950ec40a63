"""env/ci-policy.json names exactly the actions the harness calls (derived from a recorded e2e run), none with a
wildcard, scoped to the stack wherever AWS allows; and the policy tooling behind `twin up --enforce-iam`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import allure
import pytest

from fixtures.local_twin import child_env
from tests.iam.enforced import ROOT, SuiteRun
from twin.iam.__main__ import main as render_main
from twin.iam.policy import (
    PolicyError,
    actions,
    allows,
    iam_action,
    load_policy,
    render,
    twin_form,
    without_action,
)
from twin.state import StateLayout

# Actions the policy grants that a run against the twin does not call, each for a reason the twin cannot stage.
CONDITIONAL = {
    "iam:GetRole": "read only when a role the identity pool maps does not trust the pool (a finding)",
    "iam:GetRolePolicy": "inline policies of the pool's roles; the twin's Cognito roles have none",
    "iam:GetPolicy": "attached managed policies of the pool's roles; the twin's have none",
    "iam:GetPolicyVersion": "attached managed policies of the pool's roles; the twin's have none",
    "cognito-idp:GetGroup": "the janitor reads a run lease that looks lapsed (another run's)",
}
AWS_MANAGED_POLICIES = "arn:aws:iam::aws:policy/"
# Actions AWS authorizes only against Resource "*" (no resource-level permissions; docs/iam.md).
UNSCOPABLE = {
    "sts:GetCallerIdentity",
    "cognito-idp:CreateUserPool",
    "cognito-idp:ListUserPools",
    "iam:ListRoles",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeRouteTables",
}


def called_actions(run: SuiteRun) -> dict[str, int]:
    """IAM action -> calls, from the run's botocore operations; unsigned (unauthenticated) APIs need none."""
    counts: dict[str, int] = {}
    for key, count in run.calls.items():
        signing_name, operation, method, auth = key.split("|")
        if auth != "none":
            action = iam_action(signing_name, operation, method)
            counts[action] = counts.get(action, 0) + count
    return counts


@allure.title("The policy names exactly the actions the harness calls")
def test_policy_actions_are_the_called_actions(suite_run: SuiteRun) -> None:
    assert suite_run.returncode == 0, f"the recorded run failed, its calls prove nothing:\n{suite_run.tail()}"
    policy = load_policy()
    called = called_actions(suite_run)
    granted = set(actions(policy))
    table = "\n".join(
        f"{a:45} {called.get(a, 0):>4} {'granted' if allows(policy, a) else 'NOT GRANTED'}"
        for a in sorted(set(called) | granted)
    )
    allure.attach(table, "action, calls in the run, policy", allure.attachment_type.TEXT)
    not_granted = sorted(a for a in called if not allows(policy, a))
    assert not not_granted, f"the harness calls actions the policy does not grant: {not_granted}"
    never_called = {a for a in granted if not any(c.lower() == a.lower() for c in called)}
    assert never_called == set(CONDITIONAL), (
        f"granted but not called (beyond the known conditional ones): {sorted(never_called - set(CONDITIONAL))}; "
        f"conditional ones now called or gone: {sorted(set(CONDITIONAL) - never_called)}"
    )


def test_no_wildcard_actions() -> None:
    wild = [a for a in actions(load_policy()) if "*" in a or "?" in a or a.endswith(":")]
    assert not wild, f"the CI policy must name actions one by one, found {wild}"


def test_only_unscopable_actions_use_every_resource() -> None:
    """Resource "*" only where AWS has no resource-level permission for the action; everything else names the
    stack's ARNs through placeholders."""
    for statement in load_policy()["Statement"]:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        named = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if "*" in resources:
            assert set(named) <= UNSCOPABLE, f"statement {statement['Sid']} grants {named} on every resource"
        else:
            literal = [r for r in resources if "${" not in r and not r.startswith(AWS_MANAGED_POLICIES)]
            assert not literal, f"statement {statement['Sid']} names resources of no stack: {literal}"


def test_render_fills_every_placeholder() -> None:
    values = {
        "Region": "eu-west-1",
        "Account": "111122223333",
        "UserPoolId": "eu-west-1_AbC",
        "ApiId": "a1b2c3",
        "IdentityPoolId": "eu-west-1:0000",
        "FunctionName": "api",
        "SecretId": "app/db",
    }
    text = json.dumps(render(load_policy(), values))
    assert "${" not in text
    assert "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_AbC" in text
    assert "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/db-??????" in text


def test_render_refuses_a_missing_value() -> None:
    with pytest.raises(PolicyError, match=r"no value for placeholder.*SecretId"):
        render(
            load_policy(),
            {
                "Region": "r",
                "Account": "1",
                "UserPoolId": "p",
                "ApiId": "a",
                "IdentityPoolId": "i",
                "FunctionName": "f",
            },
        )


def test_twin_form_keeps_actions_and_drops_what_moto_cannot_check() -> None:
    policy = load_policy()
    twin = twin_form(policy)
    assert not [s for s in twin["Statement"] if "Condition" in s]
    for statement in twin["Statement"]:  # the twin checks resources of Cognito user pool calls only
        original = next(s for s in policy["Statement"] if s["Sid"] == statement["Sid"])
        cognito_only = all(a.startswith("cognito-idp:") for a in statement["Action"])
        assert statement["Resource"] == (original["Resource"] if cognito_only else "*"), statement["Sid"]
    twin_actions = set(actions(twin))
    assert "apigateway:GET" not in twin_actions
    assert {"apigateway:GetApi", "apigateway:GetRoutes", "apigateway:GetAuthorizer"} <= twin_actions
    writes = ("Create", "Delete", "Update", "Import", "Reimport", "Tag", "Untag", "Reset")
    assert not {a for a in twin_actions if a.startswith("apigateway:") and a.split(":")[1].startswith(writes)}
    assert set(actions(policy)) - {"apigateway:GET"} <= twin_actions


def test_allows_and_without_action() -> None:
    policy = {
        "Statement": [
            {"Effect": "Allow", "Action": ["logs:Filter*", "lambda:GetPolicy"], "Resource": "*"},
            {"Effect": "Deny", "Action": "logs:FilterLogEvents", "Resource": "*"},
        ]
    }
    assert allows(policy, "LAMBDA:getpolicy")
    assert not allows(policy, "logs:FilterLogEvents")  # an explicit Deny wins
    assert not allows(policy, "lambda:GetFunction")
    trimmed = without_action(policy, "lambda:GetPolicy")
    assert not allows(trimmed, "lambda:GetPolicy") and allows(policy, "lambda:GetPolicy")
    with pytest.raises(PolicyError, match="leaves no statement"):
        without_action({"Statement": [{"Effect": "Allow", "Action": "sts:GetCallerIdentity"}]}, "sts:GetCallerIdentity")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("{not json", "is not JSON"),
        ('{"Statement": []}', "has no Statement list"),
        ('{"Statement": [{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}]}', "NotAction/NotResource"),
    ],
)
def test_load_policy_errors(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "policy.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(PolicyError, match=message):
        load_policy(path)


def _twin_up(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        sys.executable,
        "-m",
        "twin",
        "up",
        "--state-dir",
        str(tmp_path / "state"),
        "--env-out",
        str(tmp_path / "env.toml"),
        *args,
    ]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60, env=child_env(), check=False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ci-policy", "env/ci-policy.json"], "twin: --ci-policy needs --enforce-iam"),
        (["--enforce-iam", "--ci-policy", "no/such/policy.json"], "twin: policy file"),
    ],
)
def test_twin_up_bad_iam_options_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = _twin_up(tmp_path, *args)
    assert result.returncode == 1
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    assert not StateLayout(tmp_path / "state").state_file.exists() and not (tmp_path / "env.toml").exists()


REAL_ENV = """
[aws]
region = "eu-west-1"
[cognito]
user_pool_id = "eu-west-1_AbCdEf"
identity_pool_id = "eu-west-1:11111111-2222-3333-4444-555555555555"
[api]
api_id = "a1b2c3d4e5"
[lambda]
function_name = "learninghub-api"
[database]
secret_id = "learninghub/sqlserver"
"""


def test_render_cli_fills_the_policy_from_an_env_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env_file = tmp_path / "staging.toml"
    env_file.write_text(REAL_ENV)
    assert render_main(["render", "--env-file", str(env_file), "--account", "111122223333"]) == 0
    text = capsys.readouterr().out
    policy = json.loads(text)
    assert "${" not in text and actions(policy) == actions(load_policy())
    assert "arn:aws:apigateway:eu-west-1::/apis/a1b2c3d4e5/*" in text
    assert "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/learninghub-api:*" in text


def test_render_cli_names_the_missing_env_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env_file = tmp_path / "staging.toml"
    env_file.write_text(REAL_ENV.replace('identity_pool_id = "eu-west-1:11111111-2222-3333-4444-555555555555"', ""))
    assert render_main(["render", "--env-file", str(env_file), "--account", "111122223333"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has no [cognito] identity_pool_id for ${IdentityPoolId}" in err
