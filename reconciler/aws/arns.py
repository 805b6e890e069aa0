"""From an ARN to the CloudFormation type and the physical ID the inventory records for it.

The Resource Groups Tagging API answers with ARNs; the inventory keys each resource by
its kind's physical ID (a bucket's name, a key's ID, ``sg-…``, a load balancer's ARN…).
One pattern per managed type that the Tagging API can return; types it never returns
(IAM roles), and kinds that cannot carry tags, have no entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
_ARN = re.compile(r"^arn:[^:]+:(?P<service>[^:]+):[^:]*:[^:]*:(?P<resource>.+)$")


@dataclass(frozen=True)
class Pattern:
    type_name: str
    service: str
    resource: re.Pattern[str]  # over the resource part; group "id" is the physical ID
    whole_arn: bool = False  # the physical ID is the ARN itself (ELBv2)
    # WAFv2 web ACLs: their physical ID is "name|id|scope".
    waf_scope: bool = False


def _p(type_name: str, service: str, resource: str, **flags: bool) -> Pattern:
    return Pattern(type_name, service, re.compile(resource), **flags)


PATTERNS: tuple[Pattern, ...] = (
    _p("AWS::S3::Bucket", "s3", r"^(?P<id>[^/]+)$"),
    _p("AWS::DynamoDB::Table", "dynamodb", r"^table/(?P<id>[^/]+)$"),
    _p("AWS::KMS::Key", "kms", r"^key/(?P<id>[^/]+)$"),
    _p("AWS::Logs::LogGroup", "logs", r"^log-group:(?P<id>.+?)(:\*)?$"),
    # A secret's ARN ends in "-" and six random characters AWS adds to its name.
    _p("AWS::SecretsManager::Secret", "secretsmanager", r"^secret:(?P<id>.+)-[A-Za-z0-9]{6}$"),
    _p("AWS::Lambda::Function", "lambda", r"^function:(?P<id>[^:]+)$"),
    _p("AWS::CloudTrail::Trail", "cloudtrail", r"^trail/(?P<id>[^/]+)$"),
    _p("AWS::EC2::VPC", "ec2", r"^vpc/(?P<id>vpc-[0-9a-f]+)$"),
    _p("AWS::EC2::Subnet", "ec2", r"^subnet/(?P<id>subnet-[0-9a-f]+)$"),
    _p("AWS::EC2::SecurityGroup", "ec2", r"^security-group/(?P<id>sg-[0-9a-f]+)$"),
    _p("AWS::EC2::InternetGateway", "ec2", r"^internet-gateway/(?P<id>igw-[0-9a-f]+)$"),
    _p("AWS::EC2::RouteTable", "ec2", r"^route-table/(?P<id>rtb-[0-9a-f]+)$"),
    _p("AWS::EC2::NatGateway", "ec2", r"^natgateway/(?P<id>nat-[0-9a-f]+)$"),
    _p("AWS::EC2::EIP", "ec2", r"^elastic-ip/(?P<id>eipalloc-[0-9a-f]+)$"),
    _p("AWS::EC2::VPCEndpoint", "ec2", r"^vpc-endpoint/(?P<id>vpce-[0-9a-f]+)$"),
    _p("AWS::ElasticLoadBalancingV2::LoadBalancer", "elasticloadbalancing",
       r"^loadbalancer/(app|net|gwy)/", whole_arn=True),
    _p("AWS::ElasticLoadBalancingV2::TargetGroup", "elasticloadbalancing", r"^targetgroup/",
       whole_arn=True),
    _p("AWS::ElasticLoadBalancingV2::Listener", "elasticloadbalancing",
       r"^listener/(app|net|gwy)/", whole_arn=True),
    _p("AWS::RDS::DBCluster", "rds", r"^cluster:(?P<id>[^:]+)$"),
    _p("AWS::RDS::DBInstance", "rds", r"^db:(?P<id>[^:]+)$"),
    _p("AWS::RDS::DBSubnetGroup", "rds", r"^subgrp:(?P<id>[^:]+)$"),
    # A proxy's ARN carries its resource ID, not the name the kind is keyed by: the caller
    # looks the name up (None here).
    _p("AWS::RDS::DBProxy", "rds", r"^db-proxy:prx-"),
    _p("AWS::CloudFront::Distribution", "cloudfront", r"^distribution/(?P<id>[A-Z0-9]+)$"),
    _p("AWS::Route53::HostedZone", "route53", r"^hostedzone/(?P<id>[A-Z0-9]+)$"),
    _p("AWS::WAFv2::WebACL", "wafv2", r"^(?P<scope>regional|global)/webacl/(?P<name>[^/]+)/"
       r"(?P<id>[^/]+)$", waf_scope=True),
)

# Types whose physical ID needs a call to AWS beyond the ARN (see PATTERNS).
LOOKED_UP = frozenset({"AWS::RDS::DBProxy"})


@dataclass(frozen=True)
class Identified:
    type_name: str
    physical_id: str | None  # None: only a lookup finds it (LOOKED_UP)


def identify(arn: str) -> Identified | None:
    """The managed type and physical ID of ``arn``; None when no managed type has it."""
    parts = _ARN.match(arn)
    if parts is None:
        return None
    service, resource = parts["service"], parts["resource"]
    for pattern in PATTERNS:
        if pattern.service != service:
            continue
        found = pattern.resource.search(resource)
        if found is None:
            continue
        if pattern.whole_arn:
            return Identified(pattern.type_name, arn)
        if pattern.waf_scope:
            scope = "CLOUDFRONT" if found["scope"] == "global" else "REGIONAL"
            return Identified(pattern.type_name, f"{found['name']}|{found['id']}|{scope}")
        physical_id = found.groupdict().get("id")
        return Identified(pattern.type_name, physical_id)
    return None


def recoverable_types() -> frozenset[str]:
    return frozenset(p.type_name for p in PATTERNS)
