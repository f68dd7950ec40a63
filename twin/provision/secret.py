"""The DB secret the Lambda reads: where SQL Server is and how the app login signs in.

Unlike the other resources, the secret follows its arguments: the stand-in's port is chosen per
twin, so a changed host, port or password becomes a new secret version (same name, same ARN).
Its value never leaves this module except to Secrets Manager.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from twin.provision import names
from twin.provision.aws import error_code


def secret_value(host: str, port: int, password: str) -> dict[str, Any]:
    return {
        "host": host,
        "port": port,
        "username": names.DB_APP_LOGIN,
        "password": password,
        "dbname": names.DB_NAME,
        "engine": "sqlserver",
    }


def ensure_db_secret(sm: Any, host: str, port: int, password: str) -> str:
    """The secret's ARN, its current value equal to the given connection settings."""
    wanted = secret_value(host, port, password)
    try:
        arn: str = sm.describe_secret(SecretId=names.DB_SECRET)["ARN"]
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        created: str = sm.create_secret(
            Name=names.DB_SECRET,
            Description="learninghub SQL Server connection for the API Lambda",
            SecretString=json.dumps(wanted),
            Tags=[{"Key": k, "Value": v} for k, v in names.PROJECT_TAG.items()],
        )["ARN"]
        return created
    current = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
    if current != wanted:
        sm.put_secret_value(SecretId=arn, SecretString=json.dumps(wanted))
    return arn
