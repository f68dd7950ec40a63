"""`provision()`: the guide's deployment, step by step in the guide's order, against a control plane.

Steps 1-4 (Cognito), then what the guide's architecture assumes already exists (the VPC, the
SQL Server host and its secret), then 5 (roles), the Lambda, 6 (HTTP API), 7 (permission) and
8 (CORS). Each step is idempotent, so the whole is: a second run returns the same Stack.
`issuer_type` (ORIGINAL or UPDATED) is the user pool's IssuerConfiguration; the JWT authorizer names the
matching issuer, and a second run with another type moves both.
"""

from __future__ import annotations

import dataclasses

from twin.provision import cognito, function, httpapi, iam, names, network, secret
from twin.provision.artifact import build_backend_zip, code_sha256
from twin.provision.aws import Clients
from twin.provision.stack import Stack


def provision(
    endpoint_url: str,
    *,
    region: str = "us-east-1",
    db_host: str,
    db_port: int,
    db_app_password: str,
    issuer_type: str = names.DEFAULT_ISSUER_TYPE,
) -> Stack:
    if issuer_type not in names.ISSUER_TYPES:
        raise ValueError(f"issuer type must be one of {', '.join(names.ISSUER_TYPES)}, not {issuer_type!r}")
    aws = Clients(endpoint_url, region)
    account_id = aws("sts").get_caller_identity()["Account"]

    idp = aws("cognito-idp")
    pool_id = cognito.ensure_user_pool(idp, issuer_type)
    client_id = cognito.ensure_app_client(idp, pool_id, names.WEB_CLIENT, token_minutes=60, refresh_days=30)
    expiry_id = cognito.ensure_app_client(idp, pool_id, names.EXPIRY_CLIENT, token_minutes=5, refresh_days=1)
    domain = cognito.ensure_domain(idp, pool_id)
    resource_server = cognito.ensure_resource_server(idp, pool_id)  # before the client that asks for its scopes
    m2m_id = cognito.ensure_m2m_client(idp, pool_id)
    identity_pool_id = cognito.ensure_identity_pool(aws("cognito-identity"), region, pool_id, client_id)
    issuer = cognito.issuer(region, pool_id, issuer_type)  # the authorizer names the tokens' issuer exactly

    net = network.ensure_network(aws("ec2"), region)
    instance_id = network.ensure_db_instance(aws("ec2"), aws("ssm"), net)
    secret_arn = secret.ensure_db_secret(aws("secretsmanager"), db_host, db_port, db_app_password)

    auth_arn = iam.ensure_role(
        aws("iam"),
        names.AUTH_ROLE,
        iam.cognito_trust_policy(identity_pool_id, "authenticated"),
        "learninghub identity pool: signed-in users",
    )
    unauth_arn = iam.ensure_role(
        aws("iam"),
        names.UNAUTH_ROLE,
        iam.cognito_trust_policy(identity_pool_id, "unauthenticated"),
        "learninghub identity pool: guests (guest access is off)",
    )
    cognito.ensure_identity_pool_roles(aws("cognito-identity"), identity_pool_id, auth_arn, unauth_arn)
    lambda_role_arn = iam.ensure_role(
        aws("iam"),
        names.LAMBDA_ROLE,
        iam.LAMBDA_TRUST_POLICY,
        "learninghub API Lambda",
        inline=(names.LAMBDA_POLICY, iam.lambda_policy(region, account_id, secret_arn)),
    )

    zip_bytes = build_backend_zip()
    sha = code_sha256(zip_bytes)
    function.ensure_code_object(aws("s3"), zip_bytes, sha)
    function.ensure_log_group(aws("logs"))
    function_arn = function.ensure_function(aws("lambda"), lambda_role_arn, net, sha)

    agw = aws("apigatewayv2")
    api = httpapi.ensure_api(agw)
    api_id = api["ApiId"]
    audience = [client_id, expiry_id, *([m2m_id] if names.AUDIENCE_HAS_M2M else [])]
    authorizer_id = httpapi.ensure_authorizer(agw, api_id, issuer, audience)
    integration_id = httpapi.ensure_integration(agw, api_id, function_arn)
    route_ids = httpapi.ensure_routes(agw, api_id, integration_id, authorizer_id)
    httpapi.ensure_stage(agw, api_id)
    source_arn = function.source_arn(region, account_id, api_id)
    function.ensure_invoke_permission(aws("lambda"), source_arn)
    httpapi.ensure_cors(agw, api_id)

    return Stack(
        region=region,
        account_id=account_id,
        user_pool_id=pool_id,
        client_id=client_id,
        expiry_client_id=expiry_id,
        domain=domain,
        identity_pool_id=identity_pool_id,
        issuer=issuer,
        auth_role_arn=auth_arn,
        unauth_role_arn=unauth_arn,
        lambda_role_arn=lambda_role_arn,
        **dataclasses.asdict(net),  # the stack repeats every network id under the same name
        instance_id=instance_id,
        secret_id=names.DB_SECRET,
        secret_arn=secret_arn,
        bucket=names.BUCKET,
        code_key=names.CODE_KEY,
        code_sha256=sha,
        log_group=function.LOG_GROUP,
        function_name=names.FUNCTION,
        function_arn=function_arn,
        api_id=api_id,
        api_endpoint=api["ApiEndpoint"],
        authorizer_id=authorizer_id,
        integration_id=integration_id,
        route_ids=route_ids,
        stage=names.STAGE,
        source_arn=source_arn,
        issuer_type=issuer_type,
        m2m_client_id=m2m_id,
        resource_server=resource_server,
    )
