"""Network posture rules on EC2 describe_* shapes (a private instance and its broken variants)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fixtures.posture.network import (
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

# describe_instances' and describe_security_groups' shapes, as the rules take them
PRIVATE_INSTANCE: dict[str, Any] = {
    "InstanceId": "i-1",
    "SubnetId": "subnet-private",
    "PrivateIpAddress": "10.20.2.5",
    "SecurityGroups": [],
    "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
    "NetworkInterfaces": [
        {
            "NetworkInterfaceId": "eni-1",
            "SubnetId": "subnet-private",
            "Association": {},
            "Groups": [{"GroupId": "sg-db"}],
            "PrivateIpAddresses": [{"PrivateIpAddress": "10.20.2.5"}],
        }
    ],
}
MAIN = {
    "RouteTableId": "rtb-main",
    "Associations": [{"Main": True}],
    "Routes": [{"DestinationCidrBlock": "10.20.0.0/16", "GatewayId": "local", "State": "active"}],
}
PUBLIC = {
    "RouteTableId": "rtb-pub",
    "Associations": [{"SubnetId": "subnet-public", "Main": False}],
    "Routes": [
        {"DestinationCidrBlock": "10.20.0.0/16", "GatewayId": "local"},
        {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "active"},
    ],
}
DB_SG: dict[str, Any] = {
    "GroupId": "sg-db",
    "VpcId": "vpc-1",
    "IpPermissions": [
        {
            "IpProtocol": "tcp",
            "FromPort": 1433,
            "ToPort": 1433,
            "IpRanges": [],
            "Ipv6Ranges": [],
            "UserIdGroupPairs": [{"GroupId": "sg-lambda"}],
        }
    ],
    "IpPermissionsEgress": [],
}


def sg_with(rule: dict) -> dict:
    sg = copy.deepcopy(DB_SG)
    sg["IpPermissions"].append({"IpRanges": [], "Ipv6Ranges": [], "UserIdGroupPairs": [], **rule})
    return sg


def test_private_instance_has_no_public_address_and_lists_its_parts() -> None:
    assert public_addresses(PRIVATE_INSTANCE) == []
    assert subnet_ids(PRIVATE_INSTANCE) == ["subnet-private"]
    assert group_ids(PRIVATE_INSTANCE) == ["sg-db"]
    assert imds_finding(PRIVATE_INSTANCE) is None


def test_public_addresses_on_instance_and_interfaces() -> None:
    inst = copy.deepcopy(PRIVATE_INSTANCE)
    inst["PublicIpAddress"] = "54.1.2.3"
    inst["NetworkInterfaces"][0]["Association"] = {"PublicIp": "54.1.2.3"}
    inst["NetworkInterfaces"][0]["PrivateIpAddresses"].append(
        {"PrivateIpAddress": "10.20.2.6", "Association": {"PublicIp": "54.9.9.9"}}
    )
    found = public_addresses(inst)
    assert any("54.1.2.3" in f for f in found) and any("54.9.9.9" in f for f in found)


def test_route_table_resolution_explicit_then_main() -> None:
    tables = [MAIN, PUBLIC]
    assert route_table_for("subnet-private", tables) is MAIN
    assert route_table_for("subnet-public", tables) is PUBLIC
    assert internet_routes(MAIN) == []
    assert internet_routes(PUBLIC) == ["0.0.0.0/0 -> igw-1"]
    blackhole = {"Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "blackhole"}]}
    assert internet_routes(blackhole) == []
    v6 = {"Routes": [{"DestinationIpv6CidrBlock": "::/0", "GatewayId": "igw-2"}]}
    assert internet_routes(v6) == ["::/0 -> igw-2"]
    assert route_table_for("subnet-x", []) is None


def test_db_group_open_only_to_lambda_is_clean() -> None:
    assert sql_ingress_findings([DB_SG], lambda_groups=["sg-lambda"]) == []
    assert internet_ingress_findings([DB_SG]) == []
    assert lambda_admitted([DB_SG], ["sg-lambda"])
    assert not lambda_admitted([DB_SG], ["sg-other"])


@pytest.mark.parametrize(
    ("rule", "needle"),
    [
        (
            {"IpProtocol": "tcp", "FromPort": 1433, "ToPort": 1433, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            "whole internet",
        ),
        ({"IpProtocol": "tcp", "FromPort": 1434, "ToPort": 1434, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}, "::/0"),
        ({"IpProtocol": "udp", "FromPort": 1434, "ToPort": 1434, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}, "10.0.0.0/8"),
        ({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "192.168.1.0/24"}]}, "all traffic"),
        ({"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "UserIdGroupPairs": [{"GroupId": "sg-web"}]}, "sg-web"),
        ({"IpProtocol": "tcp", "FromPort": 1433, "ToPort": 1433, "PrefixListIds": [{"PrefixListId": "pl-1"}]}, "pl-1"),
    ],
)
def test_sql_ports_open_beyond_the_lambda_are_reported(rule: dict, needle: str) -> None:
    findings = sql_ingress_findings([sg_with(rule)], lambda_groups=["sg-lambda"])
    assert any(needle in f for f in findings), findings


def test_allowed_cidrs_and_other_ports() -> None:
    rule = {"IpProtocol": "tcp", "FromPort": 1433, "ToPort": 1433, "IpRanges": [{"CidrIp": "10.20.5.0/24"}]}
    assert sql_ingress_findings([sg_with(rule)], lambda_groups=["sg-lambda"], allowed_cidrs=["10.20.0.0/16"]) == []
    assert sql_ingress_findings([sg_with(rule)], lambda_groups=["sg-lambda"], allowed_cidrs=["10.30.0.0/16"])
    ssh = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    assert sql_ingress_findings([sg_with(ssh)], lambda_groups=["sg-lambda"]) == []
    assert any("tcp 22" in f for f in internet_ingress_findings([sg_with(ssh)]))
    icmp = {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
    assert sql_ingress_findings([sg_with(icmp)], lambda_groups=["sg-lambda"]) == []


def test_default_group_in_use_must_be_empty() -> None:
    empty = {"GroupId": "sg-d", "IpPermissions": [], "IpPermissionsEgress": []}
    assert default_group_findings(empty, ["eni-1"]) == []
    rules = {
        "GroupId": "sg-d",
        "VpcId": "vpc-1",
        "IpPermissions": [{"IpProtocol": "-1"}],
        "IpPermissionsEgress": [{"IpProtocol": "-1"}],
    }
    assert default_group_findings(rules, []) == []  # unused: AWS creates every VPC's default group with rules
    findings = default_group_findings(rules, ["eni-1", "the database"])
    assert any("2 rule(s)" in f and "eni-1, the database" in f for f in findings)


def test_imds_rules() -> None:
    inst = copy.deepcopy(PRIVATE_INSTANCE)
    inst["MetadataOptions"] = {"HttpTokens": "optional", "HttpEndpoint": "enabled"}
    assert "IMDSv1" in (imds_finding(inst) or "")
    inst["MetadataOptions"] = {"HttpTokens": "optional", "HttpEndpoint": "disabled"}
    assert imds_finding(inst) is None
    del inst["MetadataOptions"]
    assert imds_finding(inst) is None
