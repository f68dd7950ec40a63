"""What provisioning made: every id the env file, the supervisor and the faults need."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Stack:
    region: str
    account_id: str
    user_pool_id: str
    client_id: str
    expiry_client_id: str
    domain: str
    identity_pool_id: str
    issuer: str
    auth_role_arn: str
    unauth_role_arn: str
    lambda_role_arn: str
    vpc_id: str
    public_subnet_id: str
    private_subnet_id: str
    igw_id: str
    public_route_table_id: str
    private_route_table_id: str
    lambda_sg_id: str
    db_sg_id: str
    instance_id: str
    secret_id: str
    secret_arn: str
    bucket: str
    code_key: str
    code_sha256: str
    log_group: str
    function_name: str
    function_arn: str
    api_id: str
    api_endpoint: str
    authorizer_id: str
    integration_id: str
    route_ids: Mapping[str, str]  # route key -> route id
    stage: str
    source_arn: str
    issuer_type: str = "ORIGINAL"  # the user pool's IssuerConfiguration.Type; `issuer` is its form
    m2m_client_id: str = ""  # client credentials, with a secret
    resource_server: str = ""  # identifier of the resource server of the custom scopes
