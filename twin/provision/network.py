"""The private network of the guide's architecture: VPC, a public and a private subnet, the
internet gateway routed only from the public one, the two security groups (1433 open only from the
Lambda's group) and the SQL Server instance record in the private subnet without a public IP.

Resources are found by their Name tag (security groups by group name) before anything is created.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twin.provision import names
from twin.provision.aws import only, tags_list

_LIVE_STATES = ["pending", "running", "stopping", "stopped"]


@dataclass(frozen=True)
class Network:
    vpc_id: str
    public_subnet_id: str
    private_subnet_id: str
    igw_id: str
    public_route_table_id: str
    private_route_table_id: str
    lambda_sg_id: str
    db_sg_id: str


def _tag_spec(resource_type: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": tags_list({"Name": name})}]


def _by_name(filters: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [*filters, {"Name": "tag:Name", "Values": [name]}]


def _ensure_vpc(ec2: Any) -> str:
    found = ec2.describe_vpcs(Filters=_by_name([], names.VPC))["Vpcs"]
    existing = only(found, f"VPCs named {names.VPC}")
    if existing:
        found_id: str = existing["VpcId"]
        return found_id
    vpc = ec2.create_vpc(CidrBlock=names.VPC_CIDR, TagSpecifications=_tag_spec("vpc", names.VPC))["Vpc"]
    vpc_id: str = vpc["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    return vpc_id


def _ensure_subnet(ec2: Any, vpc_id: str, name: str, cidr: str, az: str, *, public: bool) -> str:
    found = ec2.describe_subnets(Filters=_by_name([{"Name": "vpc-id", "Values": [vpc_id]}], name))["Subnets"]
    existing = only(found, f"subnets named {name}")
    if existing:
        found_id: str = existing["SubnetId"]
        return found_id
    subnet_id: str = ec2.create_subnet(
        VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=az, TagSpecifications=_tag_spec("subnet", name)
    )["Subnet"]["SubnetId"]
    if public:
        ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
    return subnet_id


def _ensure_igw(ec2: Any, vpc_id: str) -> str:
    found = ec2.describe_internet_gateways(Filters=_by_name([], names.IGW))["InternetGateways"]
    igw = only(found, f"internet gateways named {names.IGW}")
    if igw is None:
        igw = ec2.create_internet_gateway(TagSpecifications=_tag_spec("internet-gateway", names.IGW))["InternetGateway"]
    if not any(a.get("VpcId") == vpc_id for a in igw.get("Attachments", [])):
        ec2.attach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=vpc_id)
    igw_id: str = igw["InternetGatewayId"]
    return igw_id


def _ensure_route_table(ec2: Any, vpc_id: str, name: str, subnet_id: str, igw_id: str | None) -> str:
    """A table associated with `subnet_id`; with `igw_id` it also routes 0.0.0.0/0 to the gateway."""
    found = ec2.describe_route_tables(Filters=_by_name([{"Name": "vpc-id", "Values": [vpc_id]}], name))["RouteTables"]
    table = only(found, f"route tables named {name}")
    if table is None:
        table = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=_tag_spec("route-table", name))["RouteTable"]
    table_id: str = table["RouteTableId"]
    has_default = any(r.get("DestinationCidrBlock") == "0.0.0.0/0" for r in table.get("Routes", []))
    if igw_id and not has_default:
        ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)
    if not any(a.get("SubnetId") == subnet_id for a in table.get("Associations", [])):
        ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
    return table_id


def _ensure_sg(ec2: Any, vpc_id: str, name: str, description: str) -> dict[str, Any]:
    found = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": [name]}]
    )["SecurityGroups"]
    existing: dict[str, Any] | None = only(found, f"security groups named {name}")
    if existing:
        return existing
    group_id = ec2.create_security_group(
        GroupName=name,
        Description=description,
        VpcId=vpc_id,
        TagSpecifications=_tag_spec("security-group", name),
    )["GroupId"]
    return {"GroupId": group_id, "IpPermissions": []}


def _ensure_db_ingress(ec2: Any, db_sg: dict[str, Any], lambda_sg_id: str) -> None:
    port = names.DB_PORT_ON_AWS
    for perm in db_sg.get("IpPermissions", []):
        if (
            perm.get("FromPort") == port
            and perm.get("ToPort") == port
            and any(pair.get("GroupId") == lambda_sg_id for pair in perm.get("UserIdGroupPairs", []))
        ):
            return
    ec2.authorize_security_group_ingress(
        GroupId=db_sg["GroupId"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": port,
                "ToPort": port,
                "UserIdGroupPairs": [{"GroupId": lambda_sg_id, "Description": "SQL Server from the Lambda only"}],
            }
        ],
    )


def ensure_network(ec2: Any, region: str) -> Network:
    vpc_id = _ensure_vpc(ec2)
    az = f"{region}a"
    public = _ensure_subnet(ec2, vpc_id, names.PUBLIC_SUBNET, names.PUBLIC_CIDR, az, public=True)
    private = _ensure_subnet(ec2, vpc_id, names.PRIVATE_SUBNET, names.PRIVATE_CIDR, az, public=False)
    igw_id = _ensure_igw(ec2, vpc_id)
    public_rt = _ensure_route_table(ec2, vpc_id, names.PUBLIC_ROUTE_TABLE, public, igw_id)
    private_rt = _ensure_route_table(ec2, vpc_id, names.PRIVATE_ROUTE_TABLE, private, None)
    lambda_sg = _ensure_sg(ec2, vpc_id, names.LAMBDA_SG, "learninghub Lambda functions")
    db_sg = _ensure_sg(ec2, vpc_id, names.DB_SG, "learninghub SQL Server: 1433 from the Lambda only")
    _ensure_db_ingress(ec2, db_sg, lambda_sg["GroupId"])
    return Network(
        vpc_id=vpc_id,
        public_subnet_id=public,
        private_subnet_id=private,
        igw_id=igw_id,
        public_route_table_id=public_rt,
        private_route_table_id=private_rt,
        lambda_sg_id=lambda_sg["GroupId"],
        db_sg_id=db_sg["GroupId"],
    )


def ensure_db_instance(ec2: Any, ssm: Any, network: Network) -> str:
    """The SQL Server host: private subnet, db security group, no public IP, IMDSv2 only."""
    reservations = ec2.describe_instances(
        Filters=_by_name([{"Name": "instance-state-name", "Values": _LIVE_STATES}], names.DB_INSTANCE)
    )["Reservations"]
    existing = only([i for r in reservations for i in r["Instances"]], f"instances named {names.DB_INSTANCE}")
    if existing:
        found_id: str = existing["InstanceId"]
        return found_id
    image_id = ssm.get_parameter(Name=names.AMI_PARAMETER)["Parameter"]["Value"]
    # SubnetId + SecurityGroupIds (not NetworkInterfaces): the groups then show on the instance itself.
    instance = ec2.run_instances(
        ImageId=image_id,
        InstanceType=names.DB_INSTANCE_TYPE,
        MinCount=1,
        MaxCount=1,
        SubnetId=network.private_subnet_id,
        SecurityGroupIds=[network.db_sg_id],
        MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
        TagSpecifications=_tag_spec("instance", names.DB_INSTANCE),
    )["Instances"][0]
    instance_id: str = instance["InstanceId"]
    return instance_id
