"""Guide step 5: the identity pool's roles and the Lambda execution role, least privilege.

Trust policies bind the Cognito roles to this identity pool (aud) and to the identity's
authentication state (amr), as the guide's snippet shows; the Lambda role may write its own
log group, read the one DB secret and manage the ENIs a VPC-attached function needs.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from twin.provision import names
from twin.provision.aws import error_code


def cognito_trust_policy(identity_pool_id: str, amr: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool_id},
                    "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": amr},
                },
            }
        ],
    }


LAMBDA_TRUST_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def lambda_policy(region: str, account_id: str, secret_arn: str) -> dict[str, Any]:
    log_group = f"arn:aws:logs:{region}:{account_id}:log-group:/aws/lambda/{names.FUNCTION}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "CreateOwnLogGroup", "Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": log_group},
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group}:*",
            },
            {
                "Sid": "ReadDbSecret",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secret_arn,
            },
            # ENI actions take no resource-level permissions; AWS's own VPC access policy uses "*".
            {
                "Sid": "VpcNetworkInterfaces",
                "Effect": "Allow",
                "Action": [
                    "ec2:CreateNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                "Resource": "*",
            },
        ],
    }


def ensure_role(
    iam: Any,
    name: str,
    trust: dict[str, Any],
    description: str,
    inline: tuple[str, dict[str, Any]] | None = None,
) -> str:
    """The role's ARN; created with its trust policy (and optional inline policy) when absent."""
    try:
        arn: str = iam.get_role(RoleName=name)["Role"]["Arn"]
    except ClientError as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        arn = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(trust),
            Description=description,
            Tags=[{"Key": k, "Value": v} for k, v in names.PROJECT_TAG.items()],
        )["Role"]["Arn"]
    if inline is not None:
        policy_name, document = inline
        try:
            iam.get_role_policy(RoleName=name, PolicyName=policy_name)
        except ClientError as exc:
            if error_code(exc) != "NoSuchEntity":
                raise
            iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document))
    return arn
