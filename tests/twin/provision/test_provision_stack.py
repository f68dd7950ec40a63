"""Provisioning against a running control plane: every resource checked with describe/get calls,
and a second run that returns the same ids and leaves the control plane exactly as it was."""

from __future__ import annotations

import io
import json
import tomllib
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
import requests

from fixtures.config import load_config
from tests.twin.controlplane.oauth_support import (
    PASSWORD,
    OAuthPool,
    claims,
    login,
    pkce,
    query_of,
    token_request,
)
from twin.provision import Stack, env_file_text, names, provision
from twin.provision.artifact import build_backend_zip, code_sha256

DB_PORT = 14333
DB_PASSWORD = "App#Passw0rd-for-tests"


def _snapshot(aws: Callable[[str], Any]) -> dict[str, Any]:
    """Everything provisioning touches, with the version markers an update would change."""
    idp, agw, ec2, lam = aws("cognito-idp"), aws("apigatewayv2"), aws("ec2"), aws("lambda")
    pools = idp.get_paginator("list_user_pools").paginate(MaxResults=60).build_full_result()["UserPools"]
    apis = agw.get_apis()["Items"]
    secret = aws("secretsmanager").describe_secret(SecretId=names.DB_SECRET)
    function = lam.get_function(FunctionName=names.FUNCTION)["Configuration"]
    code = aws("s3").head_object(Bucket=names.BUCKET, Key=names.CODE_KEY)
    return {
        "pools": sorted(p["Id"] for p in pools),
        "clients": {
            p["Id"]: sorted(c["ClientId"] for c in idp.list_user_pool_clients(UserPoolId=p["Id"])["UserPoolClients"])
            for p in pools
        },
        "identity_pools": aws("cognito-identity").list_identity_pools(MaxResults=60)["IdentityPools"],
        "roles": sorted(r["RoleName"] for r in aws("iam").list_roles()["Roles"]),
        "vpcs": sorted(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]),
        "subnets": sorted(s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]),
        "route_tables": sorted(
            (t["RouteTableId"], len(t["Routes"]), len(t["Associations"]))
            for t in ec2.describe_route_tables()["RouteTables"]
        ),
        "igws": sorted(g["InternetGatewayId"] for g in ec2.describe_internet_gateways()["InternetGateways"]),
        "sg_rules": sorted(r["SecurityGroupRuleId"] for r in ec2.describe_security_group_rules()["SecurityGroupRules"]),
        "instances": sorted(i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]),
        "secret_versions": secret["VersionIdsToStages"],
        "code_object": (code["ETag"], code["LastModified"]),
        "function": (function["LastModified"], function["CodeSha256"], function.get("RevisionId")),
        "policy": lam.get_policy(FunctionName=names.FUNCTION)["Policy"],
        "log_groups": [g["logGroupName"] for g in aws("logs").describe_log_groups()["logGroups"]],
        "apis": sorted(a["ApiId"] for a in apis),
        "api_children": {
            a["ApiId"]: {
                "routes": sorted(r["RouteId"] for r in agw.get_routes(ApiId=a["ApiId"])["Items"]),
                "integrations": sorted(i["IntegrationId"] for i in agw.get_integrations(ApiId=a["ApiId"])["Items"]),
                "authorizers": sorted(x["AuthorizerId"] for x in agw.get_authorizers(ApiId=a["ApiId"])["Items"]),
                "stages": sorted(s["StageName"] for s in agw.get_stages(ApiId=a["ApiId"])["Items"]),
                "cors": a.get("CorsConfiguration"),
            }
            for a in apis
        },
    }


@pytest.fixture(scope="module")
def runs(control_url: str, aws: Callable[[str], Any]) -> tuple[Stack, Stack, dict[str, Any], dict[str, Any]]:
    first = provision(control_url, db_host="127.0.0.1", db_port=DB_PORT, db_app_password=DB_PASSWORD)
    before = _snapshot(aws)
    second = provision(control_url, db_host="127.0.0.1", db_port=DB_PORT, db_app_password=DB_PASSWORD)
    return first, second, before, _snapshot(aws)


@pytest.fixture(scope="module")
def stack(runs: tuple[Stack, Stack, dict[str, Any], dict[str, Any]]) -> Stack:
    return runs[0]


def test_second_run_returns_the_same_ids(runs: tuple[Stack, Stack, Any, Any]) -> None:
    first, second, _, _ = runs
    assert second == first


def test_second_run_changes_nothing(runs: tuple[Stack, Stack, dict[str, Any], dict[str, Any]]) -> None:
    _, _, before, after = runs
    assert after == before
    assert len(before["pools"]) == 1 and len(before["apis"]) == 1 and len(before["instances"]) == 1


def test_user_pool_password_policy_and_email(aws: Callable[[str], Any], stack: Stack) -> None:
    pool = aws("cognito-idp").describe_user_pool(UserPoolId=stack.user_pool_id)["UserPool"]
    assert pool["Name"] == "learninghub-userpool"
    policy = pool["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] == 12
    assert all(policy[k] for k in ("RequireUppercase", "RequireLowercase", "RequireNumbers", "RequireSymbols"))
    email = next(a for a in pool["SchemaAttributes"] if a["Name"] == "email")
    assert email["Required"] is True
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


@pytest.mark.parametrize(
    ("attr", "name", "minutes", "refresh_days"),
    [("client_id", "learninghub-web-client", 60, 30), ("expiry_client_id", "learninghub-expiry-probe", 5, 1)],
)
def test_app_clients(
    aws: Callable[[str], Any], stack: Stack, attr: str, name: str, minutes: int, refresh_days: int
) -> None:
    client = aws("cognito-idp").describe_user_pool_client(UserPoolId=stack.user_pool_id, ClientId=getattr(stack, attr))[
        "UserPoolClient"
    ]
    assert client["ClientName"] == name
    assert "ClientSecret" not in client
    assert sorted(client["ExplicitAuthFlows"]) == sorted(names.AUTH_FLOWS)
    assert client["AllowedOAuthFlows"] == ["code"]
    assert sorted(client["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    assert client["CallbackURLs"] == ["https://app.learninghub.test/callback"]
    assert (client["AccessTokenValidity"], client["IdTokenValidity"]) == (minutes, minutes)
    assert client["RefreshTokenValidity"] == refresh_days
    assert client["TokenValidityUnits"] == {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"}


def test_domain(aws: Callable[[str], Any], stack: Stack) -> None:
    assert stack.domain.startswith("learninghub-twin-") and len(stack.domain) == len("learninghub-twin-") + 8
    int(stack.domain.rsplit("-", 1)[1], 16)
    described = aws("cognito-idp").describe_user_pool_domain(Domain=stack.domain)["DomainDescription"]
    assert described["UserPoolId"] == stack.user_pool_id


def test_identity_pool_and_role_mapping(aws: Callable[[str], Any], stack: Stack) -> None:
    identity = aws("cognito-identity")
    pool = identity.describe_identity_pool(IdentityPoolId=stack.identity_pool_id)
    assert pool["IdentityPoolName"] == "learninghub_identitypool"
    assert pool["AllowUnauthenticatedIdentities"] is False
    [provider] = pool["CognitoIdentityProviders"]
    assert provider["ProviderName"] == f"cognito-idp.us-east-1.amazonaws.com/{stack.user_pool_id}"
    assert provider["ClientId"] == stack.client_id
    roles = identity.get_identity_pool_roles(IdentityPoolId=stack.identity_pool_id)["Roles"]
    assert roles == {"authenticated": stack.auth_role_arn, "unauthenticated": stack.unauth_role_arn}


@pytest.mark.parametrize(
    ("role", "amr"), [("learninghub-cognito-auth", "authenticated"), ("learninghub-cognito-unauth", "unauthenticated")]
)
def test_cognito_role_trust_is_bound_to_the_pool(aws: Callable[[str], Any], stack: Stack, role: str, amr: str) -> None:
    trust = aws("iam").get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    [statement] = trust["Statement"]
    assert statement["Principal"] == {"Federated": "cognito-identity.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"]["StringEquals"] == {"cognito-identity.amazonaws.com:aud": stack.identity_pool_id}
    assert statement["Condition"]["ForAnyValue:StringLike"] == {"cognito-identity.amazonaws.com:amr": amr}


def test_lambda_role_is_least_privilege(aws: Callable[[str], Any], stack: Stack) -> None:
    iam = aws("iam")
    trust = iam.get_role(RoleName="learninghub-lambda-exec")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    document = iam.get_role_policy(RoleName="learninghub-lambda-exec", PolicyName=names.LAMBDA_POLICY)["PolicyDocument"]
    statements = {s["Sid"]: s for s in document["Statement"]}
    assert statements["ReadDbSecret"]["Resource"] == stack.secret_arn
    assert statements["ReadDbSecret"]["Action"] == "secretsmanager:GetSecretValue"
    assert statements["WriteOwnLogs"]["Resource"].endswith(":log-group:/aws/lambda/learninghub-api:*")
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in a for a in actions), statement
        if statement["Resource"] == "*":  # only the ENI actions, which take no resource ARNs
            assert all(a.startswith("ec2:") for a in actions), statement


def test_function_is_deployed_from_s3_with_the_backend_code(
    aws: Callable[[str], Any], control_url: str, stack: Stack
) -> None:
    config = aws("lambda").get_function(FunctionName="learninghub-api")["Configuration"]
    assert (config["Runtime"], config["Handler"], config["Timeout"]) == ("python3.12", "app.handler", 10)
    assert config["Role"] == stack.lambda_role_arn
    assert config["Environment"]["Variables"] == {"DB_SECRET_ID": "learninghub/sqlserver"}
    assert config["VpcConfig"]["SubnetIds"] == [stack.private_subnet_id]
    assert config["VpcConfig"]["SecurityGroupIds"] == [stack.lambda_sg_id]
    local = build_backend_zip()
    stored = aws("s3").get_object(Bucket="learninghub-artifacts", Key="lambda/learninghub-api.zip")["Body"].read()
    assert stored == local
    assert config["CodeSha256"] == code_sha256(local) == stack.code_sha256
    deployed = requests.get(f"{control_url}/_twin/lambda/learninghub-api/code", timeout=10)
    assert deployed.status_code == 200 and deployed.content == local
    assert "app.py" in zipfile.ZipFile(io.BytesIO(deployed.content)).namelist()


def test_log_group(aws: Callable[[str], Any]) -> None:
    [group] = aws("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/learninghub-api")["logGroups"]
    assert group["logGroupName"] == "/aws/lambda/learninghub-api"
    assert group["retentionInDays"] == 14


def test_http_api_cors(aws: Callable[[str], Any], stack: Stack) -> None:
    api = aws("apigatewayv2").get_api(ApiId=stack.api_id)
    assert api["Name"] == "learninghub-api" and api["ProtocolType"] == "HTTP"
    cors = api["CorsConfiguration"]
    assert cors["AllowOrigins"] == ["https://app.learninghub.test"]
    assert sorted(cors["AllowMethods"]) == ["GET", "OPTIONS", "POST"]
    assert sorted(cors["AllowHeaders"]) == ["authorization", "content-type"]
    assert cors["ExposeHeaders"] == ["x-request-id"]
    assert cors["MaxAge"] == 300 and cors["AllowCredentials"] is False


def test_jwt_authorizer(aws: Callable[[str], Any], stack: Stack) -> None:
    authorizer = aws("apigatewayv2").get_authorizer(ApiId=stack.api_id, AuthorizerId=stack.authorizer_id)
    assert authorizer["Name"] == "CognitoJWTAuth" and authorizer["AuthorizerType"] == "JWT"
    assert authorizer["IdentitySource"] == ["$request.header.Authorization"]
    assert authorizer["JwtConfiguration"] == {
        "Issuer": f"https://cognito-idp.us-east-1.amazonaws.com/{stack.user_pool_id}",
        "Audience": [stack.client_id, stack.expiry_client_id, stack.m2m_client_id],
    }


def test_integration_routes_and_stage(aws: Callable[[str], Any], stack: Stack) -> None:
    agw = aws("apigatewayv2")
    integration = agw.get_integration(ApiId=stack.api_id, IntegrationId=stack.integration_id)
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["IntegrationUri"] == stack.function_arn
    assert integration["PayloadFormatVersion"] == "2.0" and integration["TimeoutInMillis"] == 29000
    routes = {r["RouteKey"]: r for r in agw.get_routes(ApiId=stack.api_id)["Items"]}
    assert sorted(routes) == sorted([*names.PUBLIC_ROUTES, *names.PROTECTED_ROUTES])
    assert {k: r["RouteId"] for k, r in routes.items()} == dict(stack.route_ids)
    for key, route in routes.items():
        assert route["Target"] == f"integrations/{stack.integration_id}"
        if key == "GET /health":
            assert route["AuthorizationType"] == "NONE"
        else:
            assert (route["AuthorizationType"], route["AuthorizerId"]) == ("JWT", stack.authorizer_id), key
            assert route.get("AuthorizationScopes", []) == list(names.SCOPED_ROUTES.get(key, ())), key
    assert names.SCOPED_ROUTES == {"GET /reports/courses": ("learninghub/reports.read",)}
    [stage] = agw.get_stages(ApiId=stack.api_id)["Items"]
    assert stage["StageName"] == "$default" and stage["AutoDeploy"] is True


def test_invoke_permission_is_scoped_to_this_api(aws: Callable[[str], Any], stack: Stack) -> None:
    policy = json.loads(aws("lambda").get_policy(FunctionName="learninghub-api")["Policy"])
    [statement] = policy["Statement"]
    assert statement["Sid"] == "apigw-invoke"
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Action"] == "lambda:InvokeFunction"
    arn = f"arn:aws:execute-api:us-east-1:123456789012:{stack.api_id}/*/*/*"
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == arn == stack.source_arn


def test_network_private_and_public_subnets(aws: Callable[[str], Any], stack: Stack) -> None:
    ec2 = aws("ec2")
    [vpc] = ec2.describe_vpcs(VpcIds=[stack.vpc_id])["Vpcs"]
    assert vpc["CidrBlock"] == "10.20.0.0/16"
    in_vpc = [{"Name": "vpc-id", "Values": [stack.vpc_id]}]
    subnets = {s["SubnetId"]: s for s in ec2.describe_subnets(Filters=in_vpc)["Subnets"]}
    assert subnets[stack.public_subnet_id]["CidrBlock"] == "10.20.1.0/24"
    assert subnets[stack.private_subnet_id]["CidrBlock"] == "10.20.2.0/24"
    assert subnets[stack.private_subnet_id]["MapPublicIpOnLaunch"] is False

    def table_of(subnet_id: str) -> dict[str, Any]:
        [table] = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])[
            "RouteTables"
        ]
        return table

    def igw_routes(table: dict[str, Any]) -> list[dict[str, Any]]:
        return [r for r in table["Routes"] if r.get("GatewayId", "").startswith("igw-")]

    assert [r["DestinationCidrBlock"] for r in igw_routes(table_of(stack.public_subnet_id))] == ["0.0.0.0/0"]
    assert igw_routes(table_of(stack.private_subnet_id)) == []


def test_db_port_is_open_only_to_the_lambda_group(aws: Callable[[str], Any], stack: Stack) -> None:
    [db_sg] = aws("ec2").describe_security_groups(GroupIds=[stack.db_sg_id])["SecurityGroups"]
    assert db_sg["GroupName"] == "learninghub-db-sg"
    [rule] = db_sg["IpPermissions"]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 1433, 1433)
    assert [p["GroupId"] for p in rule["UserIdGroupPairs"]] == [stack.lambda_sg_id]
    assert rule["IpRanges"] == [] and rule.get("Ipv6Ranges", []) == []


def test_db_instance_is_private(aws: Callable[[str], Any], stack: Stack) -> None:
    [reservation] = aws("ec2").describe_instances(InstanceIds=[stack.instance_id])["Reservations"]
    [instance] = reservation["Instances"]
    assert {"Key": "Name", "Value": "learninghub-sqlserver"} in instance["Tags"]
    assert instance["SubnetId"] == stack.private_subnet_id
    assert "PublicIpAddress" not in instance
    assert [g["GroupId"] for g in instance["SecurityGroups"]] == [stack.db_sg_id]
    image = aws("ssm").get_parameter(Name=names.AMI_PARAMETER)["Parameter"]["Value"]
    assert instance["ImageId"] == image


def test_db_secret(aws: Callable[[str], Any], stack: Stack) -> None:
    value = aws("secretsmanager").get_secret_value(SecretId="learninghub/sqlserver")
    assert value["ARN"] == stack.secret_arn
    assert json.loads(value["SecretString"]) == {
        "host": "127.0.0.1",
        "port": DB_PORT,
        "username": "learninghub_app",
        "password": DB_PASSWORD,
        "dbname": "LearningHub",
        "engine": "sqlserver",
    }


def test_env_file_is_the_contract_toml(stack: Stack, control_url: str) -> None:
    text = env_file_text(stack, "http://127.0.0.1:5555", control_url)
    assert DB_PASSWORD not in text
    env = tomllib.loads(text)
    assert env["aws"] == {"region": "us-east-1", "endpoint_url": control_url}
    assert env["cognito"]["user_pool_id"] == stack.user_pool_id
    assert env["cognito"]["client_id"] == stack.client_id
    assert env["cognito"]["expiry_client_id"] == stack.expiry_client_id
    assert env["cognito"]["identity_pool_id"] == stack.identity_pool_id
    assert env["cognito"]["allowed_auth_flows"] == list(names.AUTH_FLOWS)
    assert env["api"]["api_id"] == stack.api_id and env["api"]["base_url"] == "http://127.0.0.1:5555"
    assert env["api"]["expose_headers"] == ["x-request-id"]
    assert env["api"]["public_routes"] == ["GET /health"]
    assert len(env["api"]["protected_routes"]) == 6
    assert env["api"]["scoped_routes"] == {"GET /reports/courses": ["learninghub/reports.read"]}
    assert env["cognito"]["m2m_client_id"] == stack.m2m_client_id
    assert env["cognito"]["domain"] == stack.domain
    assert env["cognito"]["hosted_ui_url"] == f"{control_url}/hosted/{stack.domain}"
    assert env["lambda"] == {"function_name": "learninghub-api"}
    assert env["database"] == {
        "instance_id": stack.instance_id,
        "secret_id": "learninghub/sqlserver",
        "probe": "direct",
        "canary_course_id": 9001,
    }
    assert env["env"] == {"name": "local-twin", "protected": False}
    assert env["identity_pool"] == {"allow_unauthenticated": False}
    assert env["network"] == {"tcp_probe": False}


def test_the_env_file_loads_in_the_harness_config(stack: Stack, control_url: str, tmp_path: Any) -> None:
    path = tmp_path / "twin.toml"
    path.write_text(env_file_text(stack, "http://127.0.0.1:5555", control_url))
    config = load_config(path, environ={})
    assert config.api.scoped_routes == {"GET /reports/courses": ["learninghub/reports.read"]}
    assert (config.cognito.m2m_client_id, config.cognito.domain) == (stack.m2m_client_id, stack.domain)
    assert config.cognito.hosted_ui_url == f"{control_url}/hosted/{stack.domain}"


def test_resource_server_and_m2m_client(aws: Callable[[str], Any], stack: Stack) -> None:
    idp = aws("cognito-idp")
    server = idp.describe_resource_server(UserPoolId=stack.user_pool_id, Identifier=stack.resource_server)
    assert server["ResourceServer"]["Identifier"] == "learninghub"
    assert [s["ScopeName"] for s in server["ResourceServer"]["Scopes"]] == ["reports.read", "reports.write"]
    client = idp.describe_user_pool_client(UserPoolId=stack.user_pool_id, ClientId=stack.m2m_client_id)
    client = client["UserPoolClient"]
    assert client["ClientName"] == "learninghub-reporting" and client["ClientSecret"]
    assert client["AllowedOAuthFlows"] == ["client_credentials"] and client["AllowedOAuthFlowsUserPoolClient"]
    assert client["AllowedOAuthScopes"] == ["learninghub/reports.read"]
    web = idp.describe_user_pool_client(UserPoolId=stack.user_pool_id, ClientId=stack.client_id)["UserPoolClient"]
    assert web["LogoutURLs"] == ["https://app.learninghub.test/"] and web["AllowedOAuthFlowsUserPoolClient"]


def _hosted(stack: Stack, control_url: str, aws: Callable[[str], Any]) -> OAuthPool:
    idp = aws("cognito-idp")
    username = "hosted-ui-user"
    user = idp.admin_create_user(
        UserPoolId=stack.user_pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "hosted@e2e.invalid"}, {"Name": "email_verified", "Value": "true"}],
    )["User"]
    idp.admin_set_user_password(UserPoolId=stack.user_pool_id, Username=username, Password=PASSWORD, Permanent=True)
    secret = idp.describe_user_pool_client(UserPoolId=stack.user_pool_id, ClientId=stack.m2m_client_id)[
        "UserPoolClient"
    ]["ClientSecret"]
    sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
    return OAuthPool(
        stack.user_pool_id,
        stack.domain,
        f"{control_url}/hosted/{stack.domain}",
        stack.client_id,
        stack.m2m_client_id,
        secret,
        username,
        sub,
    )


def test_the_web_client_signs_in_on_the_hosted_page_with_pkce(
    stack: Stack, control_url: str, aws: Callable[[str], Any]
) -> None:
    pool = _hosted(stack, control_url, aws)
    verifier, challenge = pkce()
    answer = login(
        requests.Session(),
        pool,
        redirect_uri=names.CALLBACK_URL,
        state="s",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    assert answer.status_code == 302 and answer.headers["Location"].startswith(names.CALLBACK_URL + "?code=")
    tokens = token_request(
        pool,
        {
            "grant_type": "authorization_code",
            "client_id": stack.client_id,
            "code": query_of(answer.headers["Location"])["code"],
            "redirect_uri": names.CALLBACK_URL,
            "code_verifier": verifier,
        },
    )
    assert tokens.status_code == 200, tokens.text
    assert claims(tokens.json()["access_token"])["scope"] == "openid email profile"


def test_the_m2m_client_gets_the_scoped_routes_scope(stack: Stack, control_url: str, aws: Callable[[str], Any]) -> None:
    idp = aws("cognito-idp")
    secret = idp.describe_user_pool_client(UserPoolId=stack.user_pool_id, ClientId=stack.m2m_client_id)[
        "UserPoolClient"
    ]["ClientSecret"]
    answer = requests.post(
        f"{control_url}/hosted/{stack.domain}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(stack.m2m_client_id, secret),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    access = claims(answer.json()["access_token"])
    assert access["scope"] == "learninghub/reports.read" and access["client_id"] == stack.m2m_client_id
    assert "username" not in access
