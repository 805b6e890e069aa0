"""Every resource kind the reconciler manages, by CloudFormation type.

Modules load lazily so that a command touching three kinds does not import
(and build clients for) every kind.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module

from reconciler.kinds.base import Kind

_KINDS: dict[str, str] = {
    "AWS::KMS::Key": "reconciler.kinds.kms_key:KmsKey",
    "AWS::KMS::Alias": "reconciler.kinds.kms_alias:KmsAlias",
    "AWS::S3::Bucket": "reconciler.kinds.s3_bucket:S3Bucket",
    "AWS::S3::BucketPolicy": "reconciler.kinds.s3_bucket_policy:S3BucketPolicy",
    "AWS::DynamoDB::Table": "reconciler.kinds.dynamodb_table:DynamoDBTable",
    "AWS::IAM::Role": "reconciler.kinds.iam_role:IamRole",
    "AWS::SecretsManager::Secret": "reconciler.kinds.secretsmanager_secret:Secret",
    "AWS::SecretsManager::RotationSchedule":
        "reconciler.kinds.secretsmanager_rotation_schedule:RotationSchedule",
    "AWS::Logs::LogGroup": "reconciler.kinds.logs_log_group:LogGroup",
    "AWS::EC2::VPC": "reconciler.kinds.ec2_vpc:Vpc",
    "AWS::EC2::Subnet": "reconciler.kinds.ec2_subnet:Subnet",
    "AWS::EC2::InternetGateway": "reconciler.kinds.ec2_internet_gateway:InternetGateway",
    "AWS::EC2::RouteTable": "reconciler.kinds.ec2_route_table:RouteTable",
    "AWS::EC2::Route": "reconciler.kinds.ec2_route:Route",
    "AWS::EC2::VPCEndpoint": "reconciler.kinds.ec2_vpc_endpoint:VpcEndpoint",
    "AWS::EC2::SubnetRouteTableAssociation":
        "reconciler.kinds.ec2_subnet_route_table_association:SubnetRouteTableAssociation",
    "AWS::EC2::EIP": "reconciler.kinds.ec2_eip:Eip",
    "AWS::EC2::NatGateway": "reconciler.kinds.ec2_nat_gateway:NatGateway",
    "AWS::EC2::VPCGatewayAttachment":
        "reconciler.kinds.ec2_vpc_gateway_attachment:VpcGatewayAttachment",
    "AWS::EC2::SecurityGroup": "reconciler.kinds.ec2_security_group:SecurityGroup",
    "AWS::EC2::SecurityGroupIngress":
        "reconciler.kinds.ec2_security_group_ingress:SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress":
        "reconciler.kinds.ec2_security_group_egress:SecurityGroupEgress",
    "AWS::ElasticLoadBalancingV2::LoadBalancer":
        "reconciler.kinds.elbv2_load_balancer:LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "reconciler.kinds.elbv2_target_group:TargetGroup",
    "AWS::ElasticLoadBalancingV2::Listener": "reconciler.kinds.elbv2_listener:Listener",
    "AWS::WAFv2::WebACL": "reconciler.kinds.wafv2_web_acl:WebAcl",
    "AWS::WAFv2::WebACLAssociation":
        "reconciler.kinds.wafv2_web_acl_association:WebAclAssociation",
    "AWS::Lambda::Function": "reconciler.kinds.lambda_function:LambdaFunction",
    "AWS::Lambda::Version": "reconciler.kinds.lambda_version:LambdaVersion",
    "AWS::Lambda::Alias": "reconciler.kinds.lambda_alias:LambdaAlias",
    "AWS::Lambda::Permission": "reconciler.kinds.lambda_permission:LambdaPermission",
    "AWS::CloudTrail::Trail": "reconciler.kinds.cloudtrail_trail:Trail",
    "AWS::Route53::HostedZone": "reconciler.kinds.route53_hosted_zone:HostedZone",
    "AWS::Route53::RecordSet": "reconciler.kinds.route53_record_set:RecordSet",
    "AWS::CloudFront::Distribution": "reconciler.kinds.cloudfront_distribution:Distribution",
    "AWS::RDS::DBSubnetGroup": "reconciler.kinds.rds_db_subnet_group:DBSubnetGroup",
    "AWS::RDS::DBCluster": "reconciler.kinds.rds_db_cluster:DBCluster",
    "AWS::RDS::DBInstance": "reconciler.kinds.rds_db_instance:DBInstance",
    "AWS::RDS::DBProxy": "reconciler.kinds.rds_db_proxy:DBProxy",
    "AWS::RDS::DBProxyTargetGroup":
        "reconciler.kinds.rds_db_proxy_target_group:DBProxyTargetGroup",
    "AWS::SQS::Queue": "reconciler.kinds.sqs_queue:Queue",
    "AWS::SQS::QueuePolicy": "reconciler.kinds.sqs_queue_policy:QueuePolicy",
    "AWS::Events::Rule": "reconciler.kinds.events_rule:Rule",
}


def kind_class(type_name: str) -> type[Kind] | None:
    target = _KINDS.get(type_name)
    if target is None:
        return None
    module, _, name = target.partition(":")
    return getattr(import_module(module), name)


class Catalog(Mapping[str, type[Kind]]):
    """Read-only mapping of CloudFormation type to kind class."""

    def __getitem__(self, type_name: str) -> type[Kind]:
        cls = kind_class(type_name)
        if cls is None:
            raise KeyError(type_name)
        return cls

    def __iter__(self) -> Iterator[str]:
        return iter(_KINDS)

    def __len__(self) -> int:
        return len(_KINDS)


def catalog() -> Catalog:
    return Catalog()
