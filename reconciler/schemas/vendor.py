"""Refresh the vendored CloudFormation resource schemas from cfn-lint's copy.

    python -m reconciler.schemas.vendor [TYPE ...]

cfn-lint ships the registry schema of every type (with its ``handlers``, whose
permissions ``reconciler permissions`` reads). Descriptions are dropped: they are
prose for people, half the bytes, and nothing here reads them.
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from reconciler.kinds.schema import file_name

# Every type the reference stack uses, managed today or planned (issues 7-9).
TYPES = (
    "AWS::KMS::Key", "AWS::KMS::Alias", "AWS::S3::Bucket", "AWS::S3::BucketPolicy",
    "AWS::DynamoDB::Table", "AWS::IAM::Role", "AWS::SecretsManager::Secret",
    "AWS::SecretsManager::RotationSchedule",
    "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::InternetGateway",
    "AWS::EC2::VPCGatewayAttachment", "AWS::EC2::EIP", "AWS::EC2::NatGateway",
    "AWS::EC2::RouteTable", "AWS::EC2::Route", "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress", "AWS::EC2::VPCEndpoint",
    "AWS::Lambda::Function", "AWS::Lambda::Version", "AWS::Lambda::Alias",
    "AWS::Lambda::Permission", "AWS::RDS::DBSubnetGroup", "AWS::RDS::DBCluster",
    "AWS::RDS::DBInstance", "AWS::RDS::DBProxy", "AWS::RDS::DBProxyTargetGroup",
    "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::ElasticLoadBalancingV2::Listener", "AWS::WAFv2::WebACL",
    "AWS::WAFv2::WebACLAssociation", "AWS::CloudTrail::Trail", "AWS::Logs::LogGroup",
    "AWS::CloudFront::Distribution", "AWS::Route53::HostedZone", "AWS::Route53::RecordSet",
    # deploy/events/: the EventBridge rule and queue of event-driven drift (issue 11).
    "AWS::SQS::Queue", "AWS::SQS::QueuePolicy", "AWS::Events::Rule",
)
REGION = "us-east-1"


def without_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: without_descriptions(v) for k, v in node.items()
                if not (k == "description" and isinstance(v, str))}
    if isinstance(node, list):
        return [without_descriptions(v) for v in node]
    return node


def vendor(types: tuple[str, ...], target: Path) -> None:
    data = resources.files("cfnlint.data.schemas")
    index = json.loads(data.joinpath("providers", f"{REGION}.json").read_text())
    for type_name in types:
        schema = json.loads(data.joinpath("resources", f"{index[type_name]}.json").read_text())
        text = json.dumps(without_descriptions(schema), indent=1, sort_keys=True) + "\n"
        (target / file_name(type_name)).write_text(text)
        print(f"{type_name} -> {file_name(type_name)}")


if __name__ == "__main__":
    vendor(tuple(sys.argv[1:]) or TYPES, Path(__file__).parent)
