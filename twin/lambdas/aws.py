"""boto3 clients for the twin's control plane: dummy credentials, no retries, short timeouts.

The data plane must fail fast and visibly when the control plane misbehaves, so botocore's default retries
(which turn one 500 into three slow calls) are off.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=5, max_pool_connections=4)


def control_client(service: str, control_url: str, region: str) -> Any:
    """A client of `service` on the twin's control plane."""
    return boto3.session.Session().client(
        service,
        endpoint_url=control_url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=_CONFIG,
    )


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError, '' for anything else."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
