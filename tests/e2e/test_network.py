"""The SQL Server instance is really private: no public address, no internet route, SQL ports open
only to the Lambda's security groups, the Lambda in the same VPC; plus Prowler's EC2/VPC checks that
apply (default security group, public IPs on launch, IMDSv2) and, where the runner sits outside the
VPC on AWS, a TCP connect that must fail.

The instance comes from [database] instance_id; what is allowed comes from the env file; the rest is
read with ec2/lambda describe calls (which describe, but never define, what is expected).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import allure
import pytest

from fixtures.config import EnvConfig
from fixtures.posture.expect import db_allowed_cidrs
from fixtures.posture.network import (
    SQL_PORTS,
    default_group_findings,
    group_ids,
    imds_finding,
    internet_ingress_findings,
    internet_routes,
    lambda_admitted,
    public_addresses,
    route_table_for,
    sql_ingress_findings,
    subnet_ids,
)
from fixtures.posture.verdict import FIX_FUNCTION_NAME, aws_errors_fail, fail, fail_on

pytestmark = pytest.mark.network

CONNECT_TIMEOUT_S = 3.0
FIX_INSTANCE_ID = "copy the database's instance ID from EC2 > Instances into the env file, or remove the key"


@pytest.fixture(scope="module")
def ec2(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("ec2")


@pytest.fixture(scope="module")
def instance(env_config: EnvConfig, ec2: Any) -> dict[str, Any]:
    instance_id = env_config.database.instance_id
    if not instance_id:
        pytest.skip("the env file has no [database] instance_id: the database host is not an EC2 instance here")
    with aws_errors_fail(f"describing [database] instance_id {instance_id}", FIX_INSTANCE_ID):
        reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    found = [i for r in reservations for i in r["Instances"]]
    if not found:
        fail(f"instance {instance_id} from [database] instance_id does not exist: {FIX_INSTANCE_ID}")
    return found[0]


@pytest.fixture(scope="module")
def db_groups(ec2: Any, instance: dict[str, Any]) -> list[dict[str, Any]]:
    ids = group_ids(instance)
    if not ids:
        fail(f"instance {instance['InstanceId']} has no security group at all; attach the database's security group.")
    return ec2.describe_security_groups(GroupIds=ids)["SecurityGroups"]


@pytest.fixture(scope="module")
def lambda_vpc(env_config: EnvConfig, aws_client: Callable[[str], Any], ec2: Any) -> dict[str, Any]:
    """The function's VpcConfig, with its VPCs taken from its subnets: the subnets are what places the
    function (moto 5.2.5 answers a constant VpcConfig.VpcId)."""
    name = env_config.lambda_.function_name
    with aws_errors_fail(f"reading the configuration of [lambda] function_name {name}", FIX_FUNCTION_NAME):
        config = aws_client("lambda").get_function_configuration(FunctionName=name).get("VpcConfig") or {}
    subnets = config.get("SubnetIds") or []
    vpcs = {s["VpcId"] for s in ec2.describe_subnets(SubnetIds=subnets)["Subnets"]} if subnets else set()
    return {"name": name, "subnets": subnets, "groups": config.get("SecurityGroupIds") or [], "vpcs": vpcs}


@allure.title("The database instance has no public address")
def test_database_has_no_public_address(instance: dict[str, Any]) -> None:
    """Prowler ec2_instance_public_ip: neither the instance nor any of its interfaces has a public IP."""
    fail_on(
        f"database instance {instance['InstanceId']} has {a}; release it (disassociate the Elastic IP or "
        "relaunch without a public IP)."
        for a in public_addresses(instance)
    )


@allure.title("The database's subnets have no route to an internet gateway")
def test_database_subnets_do_not_route_to_the_internet(ec2: Any, instance: dict[str, Any]) -> None:
    """Each subnet of the instance, through its own route table or the VPC's main one, has no IGW route."""
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [instance["VpcId"]]}])["RouteTables"]
    findings: list[str] = []
    for subnet in subnet_ids(instance):
        table = route_table_for(subnet, tables)
        if table is None:
            findings.append(
                f"subnet {subnet} of the database has no route table at all (not even the main one); "
                "associate the private route table."
            )
            continue
        kind = (
            "main route table"
            if not any(a.get("SubnetId") == subnet for a in table.get("Associations", []))
            else "route table"
        )
        findings += [
            f"subnet {subnet} of the database uses {kind} {table.get('RouteTableId')} with the internet "
            f"route {route}; move the instance to a private subnet or route through a NAT gateway."
            for route in internet_routes(table)
        ]
    fail_on(findings)


@allure.title("The database's subnets give new instances no public IP")
def test_database_subnets_do_not_map_public_ips(ec2: Any, instance: dict[str, Any]) -> None:
    """Prowler vpc_subnet_no_public_ip_by_default, for the subnets the database lives in."""
    subnets = ec2.describe_subnets(SubnetIds=subnet_ids(instance))["Subnets"]
    fail_on(
        f"subnet {s['SubnetId']} of the database gives every new instance a public IP (MapPublicIpOnLaunch); "
        "turn it off with modify-subnet-attribute --no-map-public-ip-on-launch."
        for s in subnets
        if s.get("MapPublicIpOnLaunch")
    )


@allure.title("SQL Server ports are open only to the Lambda's security groups")
def test_sql_ports_open_only_to_the_lambda(
    env_config: EnvConfig, db_groups: list[dict[str, Any]], lambda_vpc: dict[str, Any]
) -> None:
    """Prowler ec2_instance_port_sqlserver_exposed_to_internet and stricter: 1433/1434 admit only the
    Lambda's security groups (and CIDRs the env file allows), and the Lambda is admitted on 1433."""
    findings = sql_ingress_findings(
        db_groups, lambda_groups=lambda_vpc["groups"], allowed_cidrs=db_allowed_cidrs(env_config)
    )
    if lambda_vpc["groups"] and not lambda_admitted(db_groups, lambda_vpc["groups"]):
        findings.append(
            f"no security group of the database admits the Lambda's groups {lambda_vpc['groups']} on "
            "TCP 1433, so the function cannot reach SQL Server; add that ingress rule."
        )
    fail_on(findings)


@allure.title("The database's security groups open no port to the internet")
def test_database_groups_open_nothing_to_the_internet(db_groups: list[dict[str, Any]]) -> None:
    """Prowler ec2_securitygroup_allow_ingress_from_internet_to_any_port, for the database's groups."""
    fail_on(internet_ingress_findings(db_groups))


@allure.title("The Lambda runs in the database's VPC")
def test_lambda_runs_in_the_database_vpc(instance: dict[str, Any], lambda_vpc: dict[str, Any]) -> None:
    """Prowler awslambda_function_inside_vpc, and the same VPC as the database."""
    name = lambda_vpc["name"]
    if not lambda_vpc["subnets"] or not lambda_vpc["groups"]:
        fail(
            f"Lambda {name} is not attached to a VPC (no subnets or security groups), so it cannot reach the "
            "private database; set VpcConfig with the private subnets and the Lambda security group."
        )
    if lambda_vpc["vpcs"] != {instance["VpcId"]}:
        fail(
            f"Lambda {name} runs in {sorted(lambda_vpc['vpcs'])} but the database is in {instance['VpcId']}; "
            "attach the function to subnets of the database's VPC."
        )


@allure.title("The VPC's default security group, where used, has no rules")
def test_default_security_group_restricts_all_traffic(
    ec2: Any, instance: dict[str, Any], lambda_vpc: dict[str, Any]
) -> None:
    """Prowler ec2_securitygroup_default_restrict_traffic for the database's VPC: if anything uses the
    default group (a network interface, the database, the Lambda), the group must have no rules."""
    groups = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [instance["VpcId"]]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"]
    findings: list[str] = []
    for group in groups:
        gid = group["GroupId"]
        users = [
            f"network interface {ni['NetworkInterfaceId']}"
            for ni in ec2.describe_network_interfaces(Filters=[{"Name": "group-id", "Values": [gid]}])[
                "NetworkInterfaces"
            ][:5]
        ]
        if gid in group_ids(instance):
            users.append(f"the database instance {instance['InstanceId']}")
        if gid in lambda_vpc["groups"]:
            users.append(f"the Lambda {lambda_vpc['name']}")
        findings += default_group_findings(group, users)
    fail_on(findings)


@allure.title("The database instance requires IMDSv2")
def test_database_requires_imdsv2(instance: dict[str, Any]) -> None:
    """Prowler ec2_instance_imdsv2_enabled, where describe_instances shows MetadataOptions."""
    if not instance.get("MetadataOptions"):
        pytest.skip("describe_instances shows no MetadataOptions for the instance here")
    finding = imds_finding(instance)
    fail_on([finding] if finding else [])


@allure.title("The database is unreachable from a runner outside the VPC (TCP probe)")
def test_database_is_unreachable_from_the_runner(env_config: EnvConfig, instance: dict[str, Any]) -> None:
    """From a runner outside the VPC, a TCP connect to every address of the database fails within a
    bounded time. Only with [network] tcp_probe = true on AWS: anywhere else those addresses are not
    real, and this suite connects to nothing but loopback."""
    if env_config.is_twin:
        pytest.skip("on the twin the instance's addresses are bookkeeping only: nothing to connect to")
    if not env_config.network.tcp_probe:
        pytest.skip("[network] tcp_probe is false: the runner is not known to be outside the VPC")
    addresses = [
        a
        for a in (instance.get("PublicIpAddress"), instance.get("PublicDnsName"), instance.get("PrivateIpAddress"))
        if a
    ]
    findings: list[str] = []
    for address in dict.fromkeys(addresses):
        try:
            with socket.create_connection((address, SQL_PORTS[0]), timeout=CONNECT_TIMEOUT_S):
                findings.append(
                    f"a TCP connection from outside the VPC to the database at {address}:{SQL_PORTS[0]} "
                    "succeeded; remove public addresses and internet-facing rules."
                )
        except OSError:
            pass  # refused, unreachable or timed out: what a private database looks like from outside
    fail_on(findings)
