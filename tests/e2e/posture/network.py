"""Network posture of the database instance from EC2's describe_* answers (boto3 shapes).

Hand-written because Prowler's checks (ec2_instance_public_ip, vpc_subnet_no_public_ip_by_default,
ec2_instance_port_sqlserver_exposed_to_internet, ec2_securitygroup_default_restrict_traffic,
ec2_instance_imdsv2_enabled) run only as a whole scanner against a real account, and this suite must
judge the same rules for one instance, against the twin as well, with the env file's expectations:
port 1433/1434 open to the Lambda's security groups only, no route to an internet gateway.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

SQL_PORTS = (1433, 1434)
INTERNET_V4 = "0.0.0.0/0"
INTERNET_V6 = "::/0"


def public_addresses(instance: Mapping[str, Any]) -> list[str]:
    """Public IPv4 addresses on the instance and on each of its network interfaces."""
    found: list[str] = []
    if instance.get("PublicIpAddress"):
        found.append(f"instance public IP {instance['PublicIpAddress']}")
    for ni in instance.get("NetworkInterfaces", []):
        ni_id = ni.get("NetworkInterfaceId", "?")
        if (ni.get("Association") or {}).get("PublicIp"):
            found.append(f"{ni_id} public IP {ni['Association']['PublicIp']}")
        for addr in ni.get("PrivateIpAddresses", []):
            ip = (addr.get("Association") or {}).get("PublicIp")
            if ip and not any(ip in f for f in found):
                found.append(f"{ni_id} secondary public IP {ip}")
    return found


def subnet_ids(instance: Mapping[str, Any]) -> list[str]:
    ids = [instance.get("SubnetId")] + [ni.get("SubnetId") for ni in instance.get("NetworkInterfaces", [])]
    return list(dict.fromkeys(i for i in ids if i))


def group_ids(instance: Mapping[str, Any]) -> list[str]:
    """Security groups of the instance; moto lists them only on the network interfaces."""
    ids = [g["GroupId"] for g in instance.get("SecurityGroups", [])]
    for ni in instance.get("NetworkInterfaces", []):
        ids += [g["GroupId"] for g in ni.get("Groups", [])]
    return list(dict.fromkeys(ids))


def route_table_for(subnet_id: str, route_tables: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The subnet's explicitly associated table, else the VPC's main table (as VPC routing does)."""
    tables = list(route_tables)
    for table in tables:
        if any(a.get("SubnetId") == subnet_id for a in table.get("Associations", [])):
            return table
    for table in tables:
        if any(a.get("Main") for a in table.get("Associations", [])):
            return table
    return None


def internet_routes(table: Mapping[str, Any]) -> list[str]:
    """Active routes to an internet gateway (any destination: one is enough to make a subnet public)."""
    out = []
    for route in table.get("Routes", []):
        gateway = route.get("GatewayId") or ""
        if gateway.startswith("igw-") and route.get("State", "active") != "blackhole":
            dest = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock") or \
                route.get("DestinationPrefixListId", "?")
            out.append(f"{dest} -> {gateway}")
    return out


def _covers_port(permission: Mapping[str, Any], port: int) -> bool:
    protocol = str(permission.get("IpProtocol", "")).lower()
    if protocol == "-1":
        return True
    if protocol not in ("tcp", "udp", "6", "17"):
        return False
    low, high = permission.get("FromPort"), permission.get("ToPort")
    if low is None or high is None or low == -1:
        return True
    return low <= port <= high


def _ports_text(permission: Mapping[str, Any]) -> str:
    if str(permission.get("IpProtocol")) == "-1":
        return "all traffic"
    low, high = permission.get("FromPort"), permission.get("ToPort")
    return f"{permission.get('IpProtocol')} {low}" if low == high else f"{permission.get('IpProtocol')} {low}-{high}"


def _within(cidr: str, allowed: Iterable[str]) -> bool:
    try:
        net = ipaddress.ip_network(cidr, strict=False)
        return any(net.version == a.version and net.subnet_of(a)  # type: ignore[arg-type]
                   for a in (ipaddress.ip_network(x, strict=False) for x in allowed))
    except ValueError:
        return False


def sql_ingress_findings(groups: Iterable[Mapping[str, Any]], *, lambda_groups: Iterable[str],
                         allowed_cidrs: Iterable[str] = ()) -> list[str]:
    """Ingress to 1433/1434 from anything but the Lambda's groups (or CIDRs the env file allows)."""
    lambda_groups, allowed_cidrs = set(lambda_groups), list(allowed_cidrs)
    out: list[str] = []
    for group in groups:
        gid = group.get("GroupId", "?")
        for perm in group.get("IpPermissions", []):
            ports = [p for p in SQL_PORTS if _covers_port(perm, p)]
            if not ports:
                continue
            what = f"security group {gid} opens {_ports_text(perm)} (SQL Server {ports})"
            for r in perm.get("IpRanges", []):
                cidr = r.get("CidrIp", "")
                if cidr == INTERNET_V4:
                    out.append(f"{what} to the whole internet ({cidr}); remove the rule and allow only the "
                               "Lambda's security group.")
                elif not _within(cidr, allowed_cidrs):
                    out.append(f"{what} to {cidr}, which the env file does not allow; remove the rule and allow "
                               "only the Lambda's security group.")
            for r in perm.get("Ipv6Ranges", []):
                cidr = r.get("CidrIpv6", "")
                if cidr == INTERNET_V6 or not _within(cidr, allowed_cidrs):
                    out.append(f"{what} to {cidr}; remove the rule and allow only the Lambda's security group.")
            for p in perm.get("PrefixListIds", []):
                out.append(f"{what} to prefix list {p.get('PrefixListId')}; remove the rule and allow only the "
                           "Lambda's security group.")
            for pair in perm.get("UserIdGroupPairs", []):
                if pair.get("GroupId") not in lambda_groups:
                    out.append(f"{what} to security group {pair.get('GroupId')}, which is not the Lambda's "
                               f"({sorted(lambda_groups)}); reference only the Lambda's security group.")
    return out


def lambda_admitted(groups: Iterable[Mapping[str, Any]], lambda_groups: Iterable[str]) -> bool:
    """Whether some rule lets one of the Lambda's groups reach TCP 1433."""
    lambda_groups = set(lambda_groups)
    for group in groups:
        for perm in group.get("IpPermissions", []):
            if str(perm.get("IpProtocol")).lower() in ("tcp", "6", "-1") and _covers_port(perm, 1433) and any(
                pair.get("GroupId") in lambda_groups for pair in perm.get("UserIdGroupPairs", [])
            ):
                return True
    return False


def internet_ingress_findings(groups: Iterable[Mapping[str, Any]]) -> list[str]:
    """Any port open to 0.0.0.0/0 or ::/0 on the database's groups (Prowler's any-port check)."""
    out: list[str] = []
    for group in groups:
        for perm in group.get("IpPermissions", []):
            world = [r.get("CidrIp") for r in perm.get("IpRanges", []) if r.get("CidrIp") == INTERNET_V4]
            world += [r.get("CidrIpv6") for r in perm.get("Ipv6Ranges", []) if r.get("CidrIpv6") == INTERNET_V6]
            if world:
                out.append(f"security group {group.get('GroupId')} of the database opens {_ports_text(perm)} to "
                           f"{world}; remove the rule (reach the instance through SSM Session Manager instead).")
    return out


def default_group_findings(group: Mapping[str, Any], users: Iterable[str]) -> list[str]:
    """Prowler ec2_securitygroup_default_restrict_traffic: a default group in use must have no rules.

    `users` names what uses the group (network interfaces, the database, the Lambda); like Prowler, an
    unused default group is not reported, since AWS creates every VPC's with rules.
    """
    users = list(users)
    rules = len(group.get("IpPermissions", [])) + len(group.get("IpPermissionsEgress", []))
    if rules and users:
        return [f"the default security group {group.get('GroupId')} of VPC {group.get('VpcId')} has {rules} "
                f"rule(s) and is used by {', '.join(users)}; give those their own groups and revoke every rule of "
                "the default group."]
    return []


def imds_finding(instance: Mapping[str, Any]) -> str | None:
    """IMDSv1 left on, where the API shows MetadataOptions at all (None when fine or not visible)."""
    options = instance.get("MetadataOptions")
    if not options or options.get("HttpEndpoint") == "disabled":
        return None
    if options.get("HttpTokens") != "required":
        return (f"instance {instance.get('InstanceId')} accepts IMDSv1 (HttpTokens={options.get('HttpTokens')!r}); "
                "run modify-instance-metadata-options --http-tokens required.")
    return None
