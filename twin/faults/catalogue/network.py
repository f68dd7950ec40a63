"""Network faults: the database instance gets a public address, open security-group rules or a route
to the internet, and the function leaves the VPC (EC2 and Lambda calls as an operator makes them)."""

from __future__ import annotations

from typing import Any

from twin.faults.context import FaultContext
from twin.faults.deploy import update_configuration
from twin.faults.lookup import (
    db_group_id,
    db_group_ids,
    db_instance,
    db_route_table,
    default_group_id,
    function_configuration,
    internet_gateway_id,
    public_route_table,
    route_tables,
    security_group,
)
from twin.faults.model import fault
from twin.faults.undo import Undo

INTERNET = "0.0.0.0/0"
METADATA_FIELDS = ("HttpTokens", "HttpPutResponseHopLimit", "HttpEndpoint", "HttpProtocolIpv6", "InstanceMetadataTags")


def observe_instance(ctx: FaultContext) -> dict[str, Any]:
    instance = db_instance(ctx)
    addresses = ctx.client("ec2").describe_addresses()["Addresses"]
    return {
        "instance": {k: instance.get(k) for k in ("PublicIpAddress", "PublicDnsName", "SubnetId", "MetadataOptions")},
        "interfaces": [ni.get("Association") for ni in instance.get("NetworkInterfaces", [])],
        "addresses": sorted(a["PublicIp"] for a in addresses),
    }


def observe_db_group(ctx: FaultContext) -> dict[str, Any]:
    return security_group(ctx, db_group_id(ctx))


def observe_route_tables(ctx: FaultContext) -> list[dict[str, Any]]:
    """Routes and associations; association ids are left out, since EC2 issues a new one on every
    re-association (a restored association is equal in everything else)."""
    tables = route_tables(ctx)
    for table in tables:
        table["Associations"] = sorted(
            ({k: v for k, v in a.items() if k != "RouteTableAssociationId"} for a in table.get("Associations", [])),
            key=lambda a: (a.get("SubnetId") or "", bool(a.get("Main"))),
        )
    return tables


def authorize_ingress(ctx: FaultContext, undo: Undo, group_id: str, permission: dict[str, Any]) -> None:
    ctx.client("ec2").authorize_security_group_ingress(GroupId=group_id, IpPermissions=[permission])
    undo.aws("ec2", "revoke_security_group_ingress", GroupId=group_id, IpPermissions=[permission])


def _tcp(port: int, cidr: str, description: str) -> dict[str, Any]:
    return {
        "IpProtocol": "tcp",
        "FromPort": port,
        "ToPort": port,
        "IpRanges": [{"CidrIp": cidr, "Description": description}],
    }


@fault(
    "db-public-ip",
    story="To connect SSMS from home an operator associates an Elastic IP with the database instance.",
    areas={"network"},
    observe=observe_instance,
)
def _db_public_ip(ctx: FaultContext, undo: Undo) -> None:
    ec2 = ctx.client("ec2")
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    undo.aws("ec2", "release_address", AllocationId=allocation)
    association = ec2.associate_address(AllocationId=allocation, InstanceId=ctx.target.instance_id)["AssociationId"]
    undo.aws("ec2", "disassociate_address", AssociationId=association)


@fault(
    "db-sg-sql-open-to-internet",
    story="During an outage someone opens TCP 1433 on the database's security group to 0.0.0.0/0 'just to "
    "check the login from a laptop'.",
    areas={"network"},
    observe=observe_db_group,
)
def _sql_open(ctx: FaultContext, undo: Undo) -> None:
    authorize_ingress(ctx, undo, db_group_id(ctx), _tcp(1433, INTERNET, "temporary debug"))


@fault(
    "db-sg-ssh-open-to-internet",
    story="An admin opens SSH (22) on the database's security group to the whole internet instead of "
    "using Session Manager.",
    areas={"network"},
    observe=observe_db_group,
)
def _ssh_open(ctx: FaultContext, undo: Undo) -> None:
    authorize_ingress(ctx, undo, db_group_id(ctx), _tcp(22, INTERNET, "admin ssh"))


@fault(
    "db-sg-sql-open-to-ipv6-internet",
    story="A dual-stack rollout copies the SQL rule for IPv6 as ::/0, opening 1433 to every IPv6 address "
    "while the IPv4 rule still looks right.",
    areas={"network"},
    observe=observe_db_group,
)
def _sql_open_ipv6(ctx: FaultContext, undo: Undo) -> None:
    authorize_ingress(
        ctx,
        undo,
        db_group_id(ctx),
        {"IpProtocol": "tcp", "FromPort": 1433, "ToPort": 1433, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
    )


@fault(
    "db-sg-sql-open-to-vpc",
    story="The SQL rule is 'simplified' to the whole VPC CIDR, so any instance in the VPC, not just the "
    "function, reaches SQL Server.",
    areas={"network"},
    observe=observe_db_group,
)
def _sql_open_vpc(ctx: FaultContext, undo: Undo) -> None:
    vpc_id = db_instance(ctx)["VpcId"]
    cidr = ctx.client("ec2").describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["CidrBlock"]
    authorize_ingress(ctx, undo, db_group_id(ctx), _tcp(1433, cidr, "whole vpc"))


@fault(
    "db-subnet-internet-route",
    story="A NAT change goes wrong and the private route table gets 0.0.0.0/0 straight to the internet gateway.",
    areas={"network"},
    observe=observe_route_tables,
)
def _internet_route(ctx: FaultContext, undo: Undo) -> None:
    table = db_route_table(ctx)["RouteTableId"]
    igw = internet_gateway_id(ctx)
    ctx.client("ec2").create_route(RouteTableId=table, DestinationCidrBlock=INTERNET, GatewayId=igw)
    undo.aws("ec2", "delete_route", RouteTableId=table, DestinationCidrBlock=INTERNET)


@fault(
    "db-subnet-on-public-route-table",
    story="The database's subnet is re-associated with the public route table while 'tidying up' route tables.",
    areas={"network"},
    observe=observe_route_tables,
)
def _public_table(ctx: FaultContext, undo: Undo) -> None:
    subnet = db_instance(ctx)["SubnetId"]
    private = db_route_table(ctx)
    association = next(a["RouteTableAssociationId"] for a in private["Associations"] if a.get("SubnetId") == subnet)
    new = ctx.client("ec2").replace_route_table_association(
        AssociationId=association, RouteTableId=public_route_table(ctx)["RouteTableId"]
    )["NewAssociationId"]
    undo.aws("ec2", "replace_route_table_association", AssociationId=new, RouteTableId=private["RouteTableId"])


def observe_subnet(ctx: FaultContext) -> dict[str, Any]:
    subnet: dict[str, Any] = ctx.client("ec2").describe_subnets(SubnetIds=[db_instance(ctx)["SubnetId"]])["Subnets"][0]
    return subnet


@fault(
    "db-subnet-maps-public-ips",
    story="MapPublicIpOnLaunch is switched on for the database's subnet, so its next replacement instance "
    "gets a public IP.",
    areas={"network"},
    observe=observe_subnet,
)
def _maps_public_ips(ctx: FaultContext, undo: Undo) -> None:
    subnet = observe_subnet(ctx)
    ctx.client("ec2").modify_subnet_attribute(SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": True})
    undo.aws(
        "ec2",
        "modify_subnet_attribute",
        SubnetId=subnet["SubnetId"],
        MapPublicIpOnLaunch={"Value": bool(subnet.get("MapPublicIpOnLaunch"))},
    )


def observe_default_group_use(ctx: FaultContext) -> dict[str, Any]:
    return {"groups": db_group_ids(ctx), "default": security_group(ctx, default_group_id(ctx))}


@fault(
    "db-joins-open-default-sg",
    story="Chasing a connectivity problem at 2 a.m., an operator attaches the VPC's default security group "
    "to the database and opens it to all traffic from anywhere.",
    areas={"network"},
    observe=observe_default_group_use,
)
def _default_sg(ctx: FaultContext, undo: Undo) -> None:
    groups, default = db_group_ids(ctx), default_group_id(ctx)
    authorize_ingress(ctx, undo, default, {"IpProtocol": "-1", "IpRanges": [{"CidrIp": INTERNET}]})
    ctx.client("ec2").modify_instance_attribute(InstanceId=ctx.target.instance_id, Groups=[*groups, default])
    undo.aws("ec2", "modify_instance_attribute", InstanceId=ctx.target.instance_id, Groups=groups)


@fault(
    "db-imdsv1-allowed",
    story="An old backup agent needs IMDSv1, so the instance's metadata options are set back to HttpTokens optional.",
    areas={"network"},
    observe=observe_instance,
)
def _imdsv1(ctx: FaultContext, undo: Undo) -> None:
    options = db_instance(ctx).get("MetadataOptions") or {}
    undo.aws(
        "ec2",
        "modify_instance_metadata_options",
        InstanceId=ctx.target.instance_id,
        **{k: options[k] for k in METADATA_FIELDS if k in options},
    )
    ctx.client("ec2").modify_instance_metadata_options(
        InstanceId=ctx.target.instance_id,
        HttpTokens="optional",
        **{k: options[k] for k in METADATA_FIELDS[1:] if k in options},
    )


@fault(
    "lambda-detached-from-vpc",
    story="To get internet access for a new dependency the function's VPC configuration is removed; it "
    "no longer runs next to the private database.",
    areas={"network"},
    observe=lambda ctx: function_configuration(ctx).get("VpcConfig"),
)
def _lambda_out_of_vpc(ctx: FaultContext, undo: Undo) -> None:
    update_configuration(ctx, undo, VpcConfig={"SubnetIds": [], "SecurityGroupIds": []})
