"""boto3 clients for the control plane and the small error helpers provisioning shares.

Clients talk only to the given endpoint with retries off (a control-plane gap must fail at
once and visibly, not after three slow retries) and with fixed dummy credentials: the control plane
accepts any, and provisioning must never pick up a developer's real AWS credentials.
"""

from __future__ import annotations

from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from twin.provision.names import PROJECT_TAG

_CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)


class ProvisionError(RuntimeError):
    """The control plane holds something provisioning cannot reconcile (for example a duplicate)."""


class Clients:
    """One boto3 client per service, created on first use, all bound to one endpoint."""

    def __init__(self, endpoint_url: str, region: str) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._session = boto3.session.Session(
            aws_access_key_id="twin", aws_secret_access_key="twin", region_name=region
        )
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(service, endpoint_url=self.endpoint_url, config=_CONFIG)
        return self._clients[service]


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


T = TypeVar("T")


def only(items: list[T], what: str) -> T | None:
    """The single match of a lookup by name, None when absent; two matches are a drifted stack."""
    if len(items) > 1:
        raise ProvisionError(f"{len(items)} {what} exist; expected one. Delete the extras and re-run.")
    return items[0] if items else None


def tags_list(extra: dict[str, str] | None = None) -> list[dict[str, str]]:
    """EC2-style tag list: the project tags plus `extra` (usually the Name tag)."""
    merged = {**PROJECT_TAG, **(extra or {})}
    return [{"Key": k, "Value": v} for k, v in merged.items()]
