"""Lambda permission faults: the function's resource policy (AddPermission / RemovePermission), a
public function URL, and an integration that points at a function that does not exist."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from twin.faults.context import FaultContext
from twin.faults.deploy import deployed_zip
from twin.faults.lookup import function_configuration, integration_id, route
from twin.faults.model import FaultError, fault
from twin.faults.undo import Undo

INVOKE_SID = "apigw-invoke"
STAGING_API_ID = "stg0api1"
# A removed invoke permission breaks every call through the API, so each area reading through it fails too.
THROUGH_API = ("authorizer", "sqlserver", "cors")
# A public URL comes with a statement for principal '*', which the policy check reports too; only the URL check's
# own finding proves that public URLs are looked for.
MUST_SAY = {"function-url-public": "public function URL", "function-url-public-second-function": "public function URL"}


def statements(ctx: FaultContext) -> list[dict[str, Any]]:
    try:
        policy = ctx.client("lambda").get_policy(FunctionName=ctx.target.function_name)["Policy"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            return []
        raise
    return sorted(json.loads(policy).get("Statement", []), key=lambda s: s.get("Sid", ""))


def observe_policy(ctx: FaultContext) -> list[dict[str, Any]]:
    return statements(ctx)


def invoke_statement(ctx: FaultContext) -> dict[str, Any]:
    found = [s for s in statements(ctx) if s.get("Sid") == INVOKE_SID]
    if len(found) != 1:
        raise FaultError(f"the function policy has {len(found)} statements {INVOKE_SID!r}, expected 1")
    return found[0]


def _source_arn(statement: dict[str, Any]) -> str:
    return str(statement["Condition"]["ArnLike"]["AWS:SourceArn"])


def add_permission(ctx: FaultContext, undo: Undo, sid: str, **params: Any) -> None:
    ctx.client("lambda").add_permission(
        FunctionName=ctx.target.function_name, StatementId=sid, Action="lambda:InvokeFunction", **params
    )
    undo.aws("lambda", "remove_permission", FunctionName=ctx.target.function_name, StatementId=sid)


def remove_invoke_permission(ctx: FaultContext, undo: Undo) -> str:
    """Removes the API's statement; the undo adds it back as it was. Returns its SourceArn."""
    source_arn = _source_arn(invoke_statement(ctx))
    ctx.client("lambda").remove_permission(FunctionName=ctx.target.function_name, StatementId=INVOKE_SID)
    undo.aws(
        "lambda",
        "add_permission",
        FunctionName=ctx.target.function_name,
        StatementId=INVOKE_SID,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=source_arn,
    )
    return source_arn


@fault(
    "permission-removed",
    story="A cleanup script removes 'unused' resource-policy statements from the function, including the "
    "one that lets API Gateway invoke it.",
    areas={"lambda_permissions"},
    collateral=THROUGH_API,
    observe=observe_policy,
)
def _permission_removed(ctx: FaultContext, undo: Undo) -> None:
    remove_invoke_permission(ctx, undo)


@fault(
    "permission-without-source-arn",
    story="Someone recreates the invoke permission from a blog post without --source-arn, so any API "
    "Gateway API in any account may invoke the function.",
    areas={"lambda_permissions"},
    observe=observe_policy,
)
def _permission_without_source_arn(ctx: FaultContext, undo: Undo) -> None:
    remove_invoke_permission(ctx, undo)
    add_permission(ctx, undo, INVOKE_SID, Principal="apigateway.amazonaws.com")


@fault(
    "permission-whole-account",
    story="The permission's SourceArn is widened to every API of the account "
    "(arn:aws:execute-api:region:account:*/*/*/*) 'so the next API works too'.",
    areas={"lambda_permissions"},
    observe=observe_policy,
)
def _permission_whole_account(ctx: FaultContext, undo: Undo) -> None:
    api_part = remove_invoke_permission(ctx, undo).rsplit(":", 1)[0]
    add_permission(ctx, undo, INVOKE_SID, Principal="apigateway.amazonaws.com", SourceArn=f"{api_part}:*/*/*/*")


@fault(
    "permission-other-api",
    story="A copy-paste from the staging runbook re-creates the permission with the staging API's id, so "
    "this API may no longer invoke the function.",
    areas={"lambda_permissions"},
    collateral=THROUGH_API,
    observe=observe_policy,
)
def _permission_other_api(ctx: FaultContext, undo: Undo) -> None:
    source_arn = remove_invoke_permission(ctx, undo)
    add_permission(
        ctx,
        undo,
        INVOKE_SID,
        Principal="apigateway.amazonaws.com",
        SourceArn=source_arn.replace(f":{ctx.target.api_id}/", f":{STAGING_API_ID}/"),
    )


@fault(
    "permission-public-principal",
    story="To 'fix' an AccessDenied at 2 a.m. an operator adds a statement with principal '*', letting "
    "anyone invoke the function directly.",
    areas={"lambda_permissions"},
    observe=observe_policy,
)
def _permission_public(ctx: FaultContext, undo: Undo) -> None:
    add_permission(ctx, undo, "debug-anyone", Principal="*")


def observe_function_url(ctx: FaultContext) -> dict[str, Any] | None:
    try:
        url = ctx.client("lambda").get_function_url_config(FunctionName=ctx.target.function_name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise
    return {"AuthType": url.get("AuthType"), "FunctionUrl": url.get("FunctionUrl")}


@fault(
    "function-url-public",
    story="A developer enables a function URL with auth type NONE to test the backend from curl, "
    "bypassing API Gateway and its authorizer.",
    areas={"lambda_permissions"},
    observe=lambda ctx: {"url": observe_function_url(ctx), "policy": observe_policy(ctx)},
)
def _function_url(ctx: FaultContext, undo: Undo) -> None:
    lam = ctx.client("lambda")
    lam.create_function_url_config(FunctionName=ctx.target.function_name, AuthType="NONE")
    undo.aws("lambda", "delete_function_url_config", FunctionName=ctx.target.function_name)
    # The console adds this statement with the URL; without it AWS refuses unauthenticated URL calls.
    add_permission(ctx, undo, "FunctionURLAllowPublicAccess", Principal="*", FunctionUrlAuthType="NONE")


SECOND_SUFFIX = "-health"
SECOND_ROUTE = "GET /health"


def _second_name(ctx: FaultContext) -> str:
    return f"{ctx.target.function_name}{SECOND_SUFFIX}"


def observe_second_function(ctx: FaultContext) -> dict[str, Any]:
    name = _second_name(ctx)
    try:
        arn = ctx.client("lambda").get_function_configuration(FunctionName=name)["FunctionArn"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        arn = None
    url = None
    if arn:
        try:
            url = ctx.client("lambda").get_function_url_config(FunctionName=name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
    integrations = ctx.client("apigatewayv2").get_integrations(ApiId=ctx.target.api_id).get("Items", [])
    return {
        "function": arn,
        "url": url and {"AuthType": url.get("AuthType"), "FunctionUrl": url.get("FunctionUrl")},
        "route": route(ctx, SECOND_ROUTE).get("Target"),
        "integrations": sorted(i["IntegrationId"] for i in integrations),
    }


@fault(
    "function-url-public-second-function",
    story="The team moves GET /health to a small function of its own (learninghub-api-health, same code); "
    "its developer enables a function URL with auth type NONE on it to test from curl. The main "
    "function has no URL, so a check of that one function alone sees nothing.",
    areas={"lambda_permissions"},
    observe=observe_second_function,
)
def _second_function_url(ctx: FaultContext, undo: Undo) -> None:
    lam, agw, name = ctx.client("lambda"), ctx.client("apigatewayv2"), _second_name(ctx)
    config = function_configuration(ctx)
    vpc = config.get("VpcConfig") or {}
    lam.create_function(
        FunctionName=name,
        Runtime=config["Runtime"],
        Role=config["Role"],
        Handler=config["Handler"],
        Code={"ZipFile": deployed_zip(ctx)},
        Timeout=config.get("Timeout", 3),
        MemorySize=config.get("MemorySize", 128),
        Environment={"Variables": (config.get("Environment") or {}).get("Variables", {})},
        VpcConfig={"SubnetIds": vpc.get("SubnetIds", []), "SecurityGroupIds": vpc.get("SecurityGroupIds", [])},
    )
    undo.aws("lambda", "delete_function", FunctionName=name)
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    lam.add_permission(
        FunctionName=name,
        StatementId=INVOKE_SID,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=_source_arn(invoke_statement(ctx)),
    )
    undo.aws("lambda", "remove_permission", FunctionName=name, StatementId=INVOKE_SID)
    lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    undo.aws("lambda", "delete_function_url_config", FunctionName=name)
    lam.add_permission(
        FunctionName=name,
        StatementId="FunctionURLAllowPublicAccess",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )  # what the console adds with the URL
    undo.aws("lambda", "remove_permission", FunctionName=name, StatementId="FunctionURLAllowPublicAccess")
    current = agw.get_integration(ApiId=ctx.target.api_id, IntegrationId=integration_id(ctx))
    created = agw.create_integration(
        ApiId=ctx.target.api_id,
        IntegrationType=current["IntegrationType"],
        IntegrationUri=current["IntegrationUri"].replace(f":function:{ctx.target.function_name}", f":function:{name}"),
        PayloadFormatVersion=current.get("PayloadFormatVersion", "2.0"),
        **({"IntegrationMethod": current["IntegrationMethod"]} if current.get("IntegrationMethod") else {}),
    )
    undo.aws("apigatewayv2", "delete_integration", ApiId=ctx.target.api_id, IntegrationId=created["IntegrationId"])
    api_id, health = ctx.target.api_id, route(ctx, SECOND_ROUTE)
    agw.update_route(ApiId=api_id, RouteId=health["RouteId"], Target=f"integrations/{created['IntegrationId']}")
    undo.aws("apigatewayv2", "update_route", ApiId=api_id, RouteId=health["RouteId"], Target=health["Target"])


def observe_integration(ctx: FaultContext) -> dict[str, Any]:
    found: dict[str, Any] = ctx.client("apigatewayv2").get_integration(
        ApiId=ctx.target.api_id, IntegrationId=integration_id(ctx)
    )
    return found


@fault(
    "integration-missing-function",
    story="A rename to learninghub-api-v2 updates the integration before the new function exists; every "
    "route now targets a function that is not there.",
    areas={"lambda_permissions"},
    collateral=THROUGH_API,
    observe=observe_integration,
)
def _integration_missing_function(ctx: FaultContext, undo: Undo) -> None:
    current = observe_integration(ctx)
    uri = current["IntegrationUri"]
    undo.aws(
        "apigatewayv2",
        "update_integration",
        ApiId=ctx.target.api_id,
        IntegrationId=current["IntegrationId"],
        IntegrationUri=uri,
    )
    ctx.client("apigatewayv2").update_integration(
        ApiId=ctx.target.api_id, IntegrationId=current["IntegrationId"],
        IntegrationUri=uri.replace(f":function:{ctx.target.function_name}", f":function:{ctx.target.function_name}-v2"),
    )  # fmt: skip
