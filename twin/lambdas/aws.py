"""boto3 clients for the twin's control plane: the twin's credentials, no retries, short timeouts.

The data plane must fail fast and visibly when the control plane misbehaves, so botocore's default retries
(which turn one 500 into three slow calls) are off. Credentials are dummies unless the supervisor hands the
twin's services an IAM user's keys in the environment (`twin up --enforce-iam`, where moto checks every call).
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.config import Config

ACCESS_KEY_ENV = "TWIN_CONTROL_ACCESS_KEY_ID"
SECRET_KEY_ENV = "TWIN_CONTROL_SECRET_ACCESS_KEY"
_DUMMY = "testing"
_CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=5, max_pool_connections=4)
# The log shipper sends thousands of events a second under load; botocore's per-field validation of each
# event would cost more CPU than the gateway itself.
_BULK_CONFIG = _CONFIG.merge(Config(parameter_validation=False))


def control_credentials() -> tuple[str, str] | None:
    """(access key id, secret) handed to the twin's services, or None when they use the dummy credentials."""
    key, secret = os.environ.get(ACCESS_KEY_ENV), os.environ.get(SECRET_KEY_ENV)
    return (key, secret) if key and secret else None


def control_client(service: str, control_url: str, region: str, *, bulk: bool = False) -> Any:
    """A client of `service` on the twin's control plane (`bulk`: without client-side parameter validation)."""
    key, secret = control_credentials() or (_DUMMY, _DUMMY)
    return boto3.session.Session().client(
        service,
        endpoint_url=control_url,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=_BULK_CONFIG if bulk else _CONFIG,
    )


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError, '' for anything else."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
