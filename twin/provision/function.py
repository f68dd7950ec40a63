"""The Lambda: code uploaded to S3 and deployed from there (so what is deployed is what runs),
its log group, the function in the private subnet, and API Gateway's permission to invoke it.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from twin.provision import names
from twin.provision.aws import error_code
from twin.provision.network import Network

LOG_GROUP = f"/aws/lambda/{names.FUNCTION}"


def ensure_code_object(s3: Any, zip_bytes: bytes, sha256: str) -> None:
    """Bucket and code object; the object is rewritten only when the zip's digest changed."""
    try:
        s3.head_bucket(Bucket=names.BUCKET)
    except ClientError as exc:
        if error_code(exc) not in ("404", "NoSuchBucket"):
            raise
        s3.create_bucket(Bucket=names.BUCKET)
        s3.put_public_access_block(
            Bucket=names.BUCKET,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
    try:
        stored = s3.head_object(Bucket=names.BUCKET, Key=names.CODE_KEY)["Metadata"].get("code-sha256")
    except ClientError as exc:
        if error_code(exc) not in ("404", "NoSuchKey"):
            raise
        stored = None
    if stored != sha256:
        s3.put_object(Bucket=names.BUCKET, Key=names.CODE_KEY, Body=zip_bytes, Metadata={"code-sha256": sha256})


def ensure_log_group(logs: Any) -> None:
    groups = logs.describe_log_groups(logGroupNamePrefix=LOG_GROUP)["logGroups"]
    if not any(g["logGroupName"] == LOG_GROUP for g in groups):
        logs.create_log_group(logGroupName=LOG_GROUP, tags=names.PROJECT_TAG)
        logs.put_retention_policy(logGroupName=LOG_GROUP, retentionInDays=names.LOG_RETENTION_DAYS)


def ensure_function(lam: Any, role_arn: str, network: Network, sha256: str) -> str:
    """The function's ARN; new code in S3 (a different digest) is deployed, nothing else changes."""
    try:
        config = lam.get_function(FunctionName=names.FUNCTION)["Configuration"]
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        config = lam.create_function(
            FunctionName=names.FUNCTION,
            Runtime=names.RUNTIME,
            Role=role_arn,
            Handler=names.HANDLER,
            Code={"S3Bucket": names.BUCKET, "S3Key": names.CODE_KEY},
            Description="learninghub reference API",
            Timeout=names.FUNCTION_TIMEOUT_S,
            MemorySize=256,
            Environment={"Variables": {"DB_SECRET_ID": names.DB_SECRET}},
            VpcConfig={"SubnetIds": [network.private_subnet_id], "SecurityGroupIds": [network.lambda_sg_id]},
            Tags=names.PROJECT_TAG,
        )
    else:
        if config["CodeSha256"] != sha256:
            lam.update_function_code(FunctionName=names.FUNCTION, S3Bucket=names.BUCKET, S3Key=names.CODE_KEY)
    # On AWS a VPC function stays Pending while its ENIs are made; bounded wait (60 x 1 s).
    lam.get_waiter("function_active_v2").wait(FunctionName=names.FUNCTION, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    arn: str = config["FunctionArn"]
    return arn


def source_arn(region: str, account_id: str, api_id: str) -> str:
    return f"arn:aws:execute-api:{region}:{account_id}:{api_id}/*/*/*"


def ensure_invoke_permission(lam: Any, arn: str) -> None:
    """Guide step 7: API Gateway may invoke the function, from this API only."""
    try:
        policy = json.loads(lam.get_policy(FunctionName=names.FUNCTION)["Policy"])
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        policy = {"Statement": []}
    if any(s.get("Sid") == names.PERMISSION_SID for s in policy["Statement"]):
        return
    lam.add_permission(
        FunctionName=names.FUNCTION,
        StatementId=names.PERMISSION_SID,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=arn,
    )
