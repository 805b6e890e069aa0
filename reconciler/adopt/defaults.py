"""What AWS gives a resource created without the setting, where the schema states no
``default``: ``import --type`` leaves these out, as a user would not write them.

Top-level values, compared after pruning (see ``properties``); policy documents compare
canonically, with the account filled in.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.aws.normalize import canonical_policy

_OFF = {"Enabled": False}

AWS_DEFAULTS: dict[str, dict[str, Any]] = {
    "AWS::S3::Bucket": {
        "AccelerateConfiguration": {"AccelerationStatus": "Suspended"},
        "AccessControl": "Private",
        "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": False}},
        "ObjectLockEnabled": False,
        # New buckets since 2023: SSE-S3, ACLs disabled, public access blocked.
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
            "ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
            "BucketKeyEnabled": False}]},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True},
    },
    "AWS::EC2::VPC": {"EnableDnsSupport": True, "EnableDnsHostnames": False,
                      "InstanceTenancy": "default"},
    "AWS::EC2::Subnet": {"MapPublicIpOnLaunch": False},
    "AWS::EC2::SecurityGroup": {"SecurityGroupEgress": [{"IpProtocol": "-1",
                                                         "CidrIp": "0.0.0.0/0"}]},
    "AWS::IAM::Role": {"MaxSessionDuration": 3600},
    "AWS::DynamoDB::Table": {
        "DeletionProtectionEnabled": False,
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": False},
        "SSESpecification": {"SSEEnabled": False},
        "TimeToLiveSpecification": _OFF,
    },
    "AWS::KMS::Key": {
        "EnableKeyRotation": False,
        "Enabled": True,
        "KeyPolicy": {"Statement": [{
            "Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": {"AWS": "arn:{partition}:iam::{account}:root"},
            "Action": "kms:*", "Resource": "*"}]},
    },
    "AWS::Lambda::Function": {
        "Architectures": ["x86_64"], "MemorySize": 128, "Timeout": 3,
        "PackageType": "Zip", "EphemeralStorage": {"Size": 512},
        "TracingConfig": {"Mode": "PassThrough"},
    },
}


def is_aws_default(type_name: str, name: str, value: Any, policy: bool, account: str,
                   partition: str) -> bool:
    defaults = AWS_DEFAULTS.get(type_name, {})
    if name not in defaults:
        return False
    default = defaults[name]
    if not policy:
        return bool(value == default)
    text = json.dumps(default).replace("{account}", account).replace("{partition}", partition)
    try:
        document = value if isinstance(value, dict) else json.loads(value)
    except (TypeError, ValueError):
        return False
    if not isinstance(document, dict):
        return False
    document = {k: v for k, v in document.items() if k != "Id"}  # key-default-1 and kin
    return bool(canonical_policy(document, partition) == canonical_policy(json.loads(text),
                                                                          partition))
