"""boto3 clients for the twin's control plane: dummy credentials, no retries, short timeouts.

The data plane must fail fast and visibly when the control plane misbehaves, so botocore's default retries
(which turn one 500 into three slow calls) are off.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=5, max_pool_connections=4)
# The log shipper sends thousands of events a second under load; botocore's per-field validation of each
# event would cost more CPU than the gateway itself.
_BULK_CONFIG = _CONFIG.merge(Config(parameter_validation=False))


def control_client(service: str, control_url: str, region: str, *, bulk: bool = False) -> Any:
    """A client of `service` on the twin's control plane (`bulk`: without client-side parameter validation)."""
    return boto3.session.Session().client(
        service,
        endpoint_url=control_url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=_BULK_CONFIG if bulk else _CONFIG,
    )


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError, '' for anything else."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
