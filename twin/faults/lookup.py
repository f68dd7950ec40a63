"""Finding the resources a fault changes, by the ids in the env file and describe calls.

Hand-written glue: the env file names the API, the function, the instance and the pools; the rest
(the authorizer, a route's id, the database's subnet, route table and security groups, the
identity pool's roles) is read the way an operator would find it in the console.
"""

from __future__ import annotations

from typing import Any

from twin.faults.context import FaultContext
from twin.faults.model import FaultError

MAX_PAGES = 20


def routes(ctx: FaultContext) -> list[dict[str, Any]]:
    agw = ctx.client("apigatewayv2")
    items: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        page = agw.get_routes(ApiId=ctx.target.api_id, **({"NextToken": token} if token else {}))
        items += page.get("Items", [])
        token = page.get("NextToken")
        if not token:
            break
    return items


def route(ctx: FaultContext, key: str) -> dict[str, Any]:
    found = [r for r in routes(ctx) if r["RouteKey"] == key]
    if len(found) != 1:
        raise FaultError(f"expected one route {key!r} on API {ctx.target.api_id}, found {len(found)}")
    return found[0]


def authorizer_id(ctx: FaultContext) -> str:
    """The JWT authorizer the protected routes use (the contract's GET /me)."""
    found = route(ctx, "GET /me").get("AuthorizerId")
    if not found:
        raise FaultError("GET /me has no authorizer: the stack is not in its provisioned state")
    return str(found)


def integration_id(ctx: FaultContext) -> str:
    target = route(ctx, "GET /health").get("Target") or ""
    if not target.startswith("integrations/"):
        raise FaultError("GET /health has no integration target: the stack is not in its provisioned state")
    return target.split("/", 1)[1]


def db_instance(ctx: FaultContext) -> dict[str, Any]:
    reservations = ctx.client("ec2").describe_instances(InstanceIds=[ctx.target.instance_id])["Reservations"]
    instance: dict[str, Any] = reservations[0]["Instances"][0]
    return instance


def db_group_ids(ctx: FaultContext) -> list[str]:
    instance = db_instance(ctx)
    ids = [g["GroupId"] for g in instance.get("SecurityGroups", [])]
    ids += [g["GroupId"] for ni in instance.get("NetworkInterfaces", []) for g in ni.get("Groups", [])]
    return list(dict.fromkeys(ids))


def db_group_id(ctx: FaultContext) -> str:
    ids = db_group_ids(ctx)
    if not ids:
        raise FaultError(f"instance {ctx.target.instance_id} has no security group")
    return ids[0]


def security_group(ctx: FaultContext, group_id: str) -> dict[str, Any]:
    group: dict[str, Any] = ctx.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    return group


def default_group_id(ctx: FaultContext) -> str:
    groups = ctx.client("ec2").describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [db_instance(ctx)["VpcId"]]}, {"Name": "group-name", "Values": ["default"]},
    ])["SecurityGroups"]  # fmt: skip
    if not groups:
        raise FaultError("the database's VPC has no default security group")
    return str(groups[0]["GroupId"])


def route_tables(ctx: FaultContext) -> list[dict[str, Any]]:
    vpc = db_instance(ctx)["VpcId"]
    tables = ctx.client("ec2").describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
    return sorted(tables, key=lambda t: t["RouteTableId"])


def db_route_table(ctx: FaultContext) -> dict[str, Any]:
    """The table the database's subnet is explicitly associated with (the provisioned private one)."""
    subnet = db_instance(ctx)["SubnetId"]
    for table in route_tables(ctx):
        if any(a.get("SubnetId") == subnet for a in table.get("Associations", [])):
            return table
    raise FaultError(f"subnet {subnet} of the database has no route table association of its own")


def public_route_table(ctx: FaultContext) -> dict[str, Any]:
    """A table of the VPC with a route to an internet gateway (the public subnet's)."""
    for table in route_tables(ctx):
        if any((r.get("GatewayId") or "").startswith("igw-") for r in table.get("Routes", [])):
            return table
    raise FaultError("the database's VPC has no route table with an internet gateway route")


def internet_gateway_id(ctx: FaultContext) -> str:
    for r in public_route_table(ctx).get("Routes", []):
        if (r.get("GatewayId") or "").startswith("igw-"):
            return str(r["GatewayId"])
    raise FaultError("no internet gateway found")  # unreachable after public_route_table


def identity_roles(ctx: FaultContext) -> dict[str, str]:
    """{"authenticated": role name, "unauthenticated": role name} as the identity pool maps them."""
    roles = (
        ctx.client("cognito-identity").get_identity_pool_roles(IdentityPoolId=ctx.target.identity_pool_id).get("Roles")
        or {}
    )
    if "authenticated" not in roles or "unauthenticated" not in roles:
        raise FaultError("the identity pool does not map both roles: the stack is not in its provisioned state")
    return {kind: arn.rsplit("/", 1)[-1] for kind, arn in roles.items()}


def function_configuration(ctx: FaultContext) -> dict[str, Any]:
    config: dict[str, Any] = ctx.client("lambda").get_function_configuration(FunctionName=ctx.target.function_name)
    return config
