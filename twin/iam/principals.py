"""The IAM users of an enforcing twin, created by the supervisor before enforcement starts.

- `twin-internal`: allowed everything; its keys go to the twin's own services (gateway, Lambda workers, log
  shipper) through environment variables, because after `POST /moto-api/reset-auth 0` moto refuses every call
  not signed by a key of an IAM user it knows, the twin's own included.
- `learninghub-ci`: the CI policy (env/ci-policy.json) rendered for this stack, in the form moto can enforce,
  attached as a managed policy. Its keys go to an AWS shared-credentials file (mode 0600) under the state
  folder, profile `learninghub-ci`; the env file names the profile. No key is ever printed.

Hand-written: a handful of boto3 IAM calls and one file; no library sets up moto principals.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.config import Config

from twin.iam.policy import Policy, render, twin_form
from twin.lambdas.aws import ACCESS_KEY_ENV, SECRET_KEY_ENV
from twin.state import StateLayout

INTERNAL_USER = "twin-internal"
CI_USER = "learninghub-ci"
CI_PROFILE = "learninghub-ci"
CI_POLICY_NAME = "learninghub-ci-e2e"
ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@dataclass(frozen=True)
class IamSetup:
    """What the supervisor hands on: the internal services' environment and where the CI profile lives."""

    credentials_file: Path
    profile: str
    ci_user_arn: str
    internal_env: dict[str, str] = field(repr=False)


def stack_values(stack: Any) -> dict[str, str]:
    """Placeholder values of the CI policy for a provisioned twin stack (twin.provision.Stack)."""
    return {
        "Region": stack.region,
        "Account": stack.account_id,
        "UserPoolId": stack.user_pool_id,
        "IdentityPoolId": stack.identity_pool_id,
        "ApiId": stack.api_id,
        "FunctionName": stack.function_name,
        "SecretId": stack.secret_id,
    }


def create_principals(
    control_url: str, region: str, policy: Policy, values: dict[str, str], state_dir: Path
) -> IamSetup:
    """Create both users (while moto still accepts anything) and write the CI credentials file."""
    iam = boto3.client(
        "iam",
        endpoint_url=control_url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )
    rendered = render(policy, values)
    layout = StateLayout(state_dir)
    folder = layout.iam
    folder.mkdir(mode=0o700, exist_ok=True)
    # For people reading what the twin enforces: the policy as it would be deployed, and moto's form of it.
    (folder / "ci-policy.rendered.json").write_text(json.dumps(rendered, indent=2))
    (folder / "ci-policy.twin.json").write_text(json.dumps(twin_form(rendered), indent=2))

    iam.create_user(UserName=INTERNAL_USER)
    iam.put_user_policy(UserName=INTERNAL_USER, PolicyName="twin-internal-all", PolicyDocument=json.dumps(ADMIN_POLICY))
    internal = iam.create_access_key(UserName=INTERNAL_USER)["AccessKey"]

    ci_arn = iam.create_user(UserName=CI_USER)["User"]["Arn"]
    document = json.dumps(twin_form(rendered))
    policy_arn = iam.create_policy(PolicyName=CI_POLICY_NAME, PolicyDocument=document)["Policy"]["Arn"]
    iam.attach_user_policy(UserName=CI_USER, PolicyArn=policy_arn)
    ci_key = iam.create_access_key(UserName=CI_USER)["AccessKey"]

    credentials_file = layout.iam_credentials
    fd = os.open(credentials_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(
            f"[{CI_PROFILE}]\naws_access_key_id = {ci_key['AccessKeyId']}\n"
            f"aws_secret_access_key = {ci_key['SecretAccessKey']}\n"
        )
    return IamSetup(
        credentials_file=credentials_file,
        profile=CI_PROFILE,
        ci_user_arn=ci_arn,
        internal_env={ACCESS_KEY_ENV: internal["AccessKeyId"], SECRET_KEY_ENV: internal["SecretAccessKey"]},
    )


def start_enforcement(control_url: str) -> None:
    """From now on moto checks the signature and the caller's policies on every AWS call."""
    response = requests.post(f"{control_url}/moto-api/reset-auth", data="0", timeout=10)
    if response.status_code != 200 or response.json().get("status") != "ok":
        raise RuntimeError(f"moto refused to start IAM enforcement (HTTP {response.status_code})")


def with_profile(env_text: str, profile: str) -> str:
    """The env file text with `[aws] profile` set, so the harness signs with the CI user's keys."""
    head, marker, tail = env_text.partition("[aws]\n")
    if not marker:
        raise ValueError("the env file has no [aws] section")
    return f"{head}{marker}profile = {json.dumps(profile)}\n{tail}"
