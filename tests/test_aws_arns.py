"""ARN -> (type, physical ID) for what the Tagging API returns: the inventory's keys."""

from __future__ import annotations

import pytest

from reconciler.aws.arns import Identified, identify, recoverable_types
from reconciler.kinds.registry import catalog

R, A = "us-east-1", "123456789012"
ELB = f"arn:aws:elasticloadbalancing:{R}:{A}"


@pytest.mark.parametrize(("arn", "type_name", "physical_id"), [
    ("arn:aws:s3:::my-bucket", "AWS::S3::Bucket", "my-bucket"),
    (f"arn:aws:dynamodb:{R}:{A}:table/cache", "AWS::DynamoDB::Table", "cache"),
    (f"arn:aws:kms:{R}:{A}:key/c5ae279b-746a", "AWS::KMS::Key", "c5ae279b-746a"),
    (f"arn:aws:logs:{R}:{A}:log-group:/app/x", "AWS::Logs::LogGroup", "/app/x"),
    (f"arn:aws:logs:{R}:{A}:log-group:/app/x:*", "AWS::Logs::LogGroup", "/app/x"),
    (f"arn:aws:secretsmanager:{R}:{A}:secret:db/master-nkoxCZ", "AWS::SecretsManager::Secret",
     "db/master"),
    (f"arn:aws:lambda:{R}:{A}:function:api", "AWS::Lambda::Function", "api"),
    (f"arn:aws:cloudtrail:{R}:{A}:trail/audit", "AWS::CloudTrail::Trail", "audit"),
    (f"arn:aws:ec2:{R}:{A}:vpc/vpc-0f72c2e0", "AWS::EC2::VPC", "vpc-0f72c2e0"),
    (f"arn:aws:ec2:{R}:{A}:subnet/subnet-30b4", "AWS::EC2::Subnet", "subnet-30b4"),
    (f"arn:aws:ec2:{R}:{A}:security-group/sg-fc9a", "AWS::EC2::SecurityGroup", "sg-fc9a"),
    (f"arn:aws:ec2:{R}:{A}:internet-gateway/igw-49bb", "AWS::EC2::InternetGateway", "igw-49bb"),
    (f"arn:aws:ec2:{R}:{A}:route-table/rtb-1c7f", "AWS::EC2::RouteTable", "rtb-1c7f"),
    (f"arn:aws:ec2:{R}:{A}:natgateway/nat-ee65", "AWS::EC2::NatGateway", "nat-ee65"),
    (f"arn:aws:ec2:{R}:{A}:elastic-ip/eipalloc-6ff8", "AWS::EC2::EIP", "eipalloc-6ff8"),
    (f"arn:aws:ec2:{R}:{A}:vpc-endpoint/vpce-7204", "AWS::EC2::VPCEndpoint", "vpce-7204"),
    (f"{ELB}:loadbalancer/app/toron/36f0", "AWS::ElasticLoadBalancingV2::LoadBalancer",
     f"{ELB}:loadbalancer/app/toron/36f0"),
    (f"{ELB}:targetgroup/api/d5ea", "AWS::ElasticLoadBalancingV2::TargetGroup",
     f"{ELB}:targetgroup/api/d5ea"),
    (f"{ELB}:listener/app/toron/36f0/0a17", "AWS::ElasticLoadBalancingV2::Listener",
     f"{ELB}:listener/app/toron/36f0/0a17"),
    (f"arn:aws:rds:{R}:{A}:cluster:aurora", "AWS::RDS::DBCluster", "aurora"),
    (f"arn:aws:rds:{R}:{A}:db:aurora-writer", "AWS::RDS::DBInstance", "aurora-writer"),
    (f"arn:aws:rds:{R}:{A}:subgrp:aurora", "AWS::RDS::DBSubnetGroup", "aurora"),
    (f"arn:aws:rds:{R}:{A}:db-proxy:prx-jx0vg4", "AWS::RDS::DBProxy", None),
    (f"arn:aws:cloudfront::{A}:distribution/SO9MINN0PU3XL", "AWS::CloudFront::Distribution",
     "SO9MINN0PU3XL"),
    ("arn:aws:route53:::hostedzone/S2YHF21A1NBK", "AWS::Route53::HostedZone", "S2YHF21A1NBK"),
    (f"arn:aws:wafv2:{R}:{A}:regional/webacl/toron/1405-7b82", "AWS::WAFv2::WebACL",
     "toron|1405-7b82|REGIONAL"),
    (f"arn:aws:wafv2:us-east-1:{A}:global/webacl/edge/9f", "AWS::WAFv2::WebACL",
     "edge|9f|CLOUDFRONT"),
])
def test_an_arn_names_its_type_and_physical_id(arn: str, type_name: str,
                                               physical_id: str | None) -> None:
    assert identify(arn) == Identified(type_name, physical_id)


@pytest.mark.parametrize("arn", [
    "arn:aws:s3:::bucket/some/object",  # an object, not a bucket
    f"{ELB}:listener-rule/app/toron/36f0/0a17/9b",  # no kind for listener rules
    f"arn:aws:lambda:{R}:{A}:function:api:live",  # an alias (untaggable kind)
    f"arn:aws:sqs:{R}:{A}:queue",  # not a managed type
    "not-an-arn",
])
def test_what_no_managed_type_has_is_not_guessed(arn: str) -> None:
    assert identify(arn) is None


def test_every_pattern_names_a_managed_taggable_kind() -> None:
    kinds = catalog()
    for type_name in recoverable_types():
        assert type_name in kinds and kinds[type_name].taggable, type_name
