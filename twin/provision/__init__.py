"""Provisioning of the twin: the deployment guide's steps as idempotent boto3 calls.

`provision(endpoint_url, db_host=..., db_port=..., db_app_password=...)` builds the whole stack
on a control plane and returns a `Stack` of ids; `env_file_text(stack, base_url, endpoint_url)`
renders the env file the harness reads.
"""

from twin.provision.deploy import provision
from twin.provision.envfile import env_file_text
from twin.provision.stack import Stack

__all__ = ["Stack", "env_file_text", "provision"]
