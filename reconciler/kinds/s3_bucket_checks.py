"""AWS::S3::Bucket: what S3 refuses but moto accepts, checked at validate (cheap checks only)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from reconciler.kinds import s3_bucket_lifecycle as lifecycle
from reconciler.kinds import s3_bucket_settings as settings
from reconciler.kinds.base import Props, is_intrinsic

_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def issues(props: Props) -> list[tuple[str, str]]:
    found = bucket_name_issues(props.get("BucketName"))
    found.extend(_encryption_issues(props.get("BucketEncryption")))
    found.extend(lifecycle.issues(props.get("LifecycleConfiguration"),
                                  "/LifecycleConfiguration"))
    found.extend(settings.acl_issues(props))
    found.extend(settings.website_issues(props.get("WebsiteConfiguration")))
    found.extend(settings.notification_issues(props.get("NotificationConfiguration")))
    found.extend(_versioning_needs(props))
    found.extend(_replication_issues(props.get("ReplicationConfiguration")))
    found.extend(_object_lock_issues(props))
    name = props.get("BucketName")
    if "AccelerateConfiguration" in props and isinstance(name, str) and "." in name:
        found.append(("/AccelerateConfiguration",
                      "S3 Transfer Acceleration refuses bucket names with periods"))
    ownership = props.get("OwnershipControls")
    if isinstance(ownership, dict) and isinstance(ownership.get("Rules"), list):
        rules = ownership["Rules"]
        if len(rules) != 1:
            found.append(("/OwnershipControls/Rules",
                          "S3 takes exactly one ownership controls rule"))
        elif isinstance(rules[0], dict) and "ObjectOwnership" not in rules[0]:
            found.append(("/OwnershipControls/Rules/0", "ObjectOwnership is required"))
    return found


def bucket_name_issues(name: Any, path: str = "/BucketName") -> list[tuple[str, str]]:
    """S3's bucket naming rules (moto enforces only some)."""
    if not isinstance(name, str):
        return []
    rules = [
        (_NAME.match(name) is not None,
         "3 to 63 characters of lowercase letters, digits, dots and hyphens, starting and "
         "ending with a letter or digit"),
        (".." not in name and ".-" not in name and "-." not in name,
         "no two adjacent periods and no period next to a hyphen"),
        (not _is_ip_address(name), "not formatted as an IP address"),
        (not name.startswith(_RESERVED_PREFIXES),
         f"not starting with {', '.join(_RESERVED_PREFIXES)}"),
        (not name.endswith(_RESERVED_SUFFIXES),
         f"not ending with {', '.join(_RESERVED_SUFFIXES)}"),
    ]
    return [(path, f"bucket name {name!r} is invalid: must be {message}")
            for ok, message in rules if not ok]


def _encryption_issues(encryption: Any) -> list[tuple[str, str]]:
    if not isinstance(encryption, dict) or is_intrinsic(encryption):
        return []
    rules = encryption.get("ServerSideEncryptionConfiguration")
    if not isinstance(rules, list):
        return []
    found: list[tuple[str, str]] = []
    if len(rules) != 1:
        found.append(("/BucketEncryption/ServerSideEncryptionConfiguration",
                      "S3 takes exactly one default encryption rule"))
    for index, rule in enumerate(rules):
        where = f"/BucketEncryption/ServerSideEncryptionConfiguration/{index}"
        if not isinstance(rule, dict):
            continue
        if "BlockedEncryptionTypes" in rule:
            found.append((f"{where}/BlockedEncryptionTypes",
                          "BlockedEncryptionTypes is not supported by the reconciler yet"))
        default = _dict(rule.get("ServerSideEncryptionByDefault"))
        algorithm = default.get("SSEAlgorithm")
        if "KMSMasterKeyID" in default and algorithm == "AES256":
            found.append((f"{where}/ServerSideEncryptionByDefault/KMSMasterKeyID",
                          "KMSMasterKeyID applies only to SSEAlgorithm aws:kms or aws:kms:dsse"))
    return found


def _versioning_needs(props: Props) -> list[tuple[str, str]]:
    """Replication needs versioning on; object lock keeps it on for good."""
    status = _dict(props.get("VersioningConfiguration")).get("Status")
    found = []
    if "ReplicationConfiguration" in props and status != "Enabled" and not is_intrinsic(status):
        found.append(("/ReplicationConfiguration", "S3 replicates only from a versioned "
                      "bucket: declare VersioningConfiguration Status Enabled"))
    if props.get("ObjectLockEnabled") is True and status == "Suspended":
        found.append(("/VersioningConfiguration/Status",
                      "versioning cannot be suspended on a bucket with object lock"))
    return found


def _replication_issues(config: Any) -> list[tuple[str, str]]:
    rules = _dict(config).get("Rules")
    found: list[tuple[str, str]] = []
    priorities: set[Any] = set()
    for i, rule in enumerate(rules if isinstance(rules, list) else ()):
        rule, where = _dict(rule), f"/ReplicationConfiguration/Rules/{i}"
        if "Filter" in rule and "Prefix" in rule:
            found.append((f"{where}/Prefix", "Prefix (the older rule form) and Filter do not "
                                             "go together: put the prefix in Filter"))
        if "Filter" in rule and "DeleteMarkerReplication" not in rule:
            found.append((f"{where}/DeleteMarkerReplication", "is required with a Filter"))
        priority = rule.get("Priority")
        if priority is not None and priority in priorities:
            found.append((f"{where}/Priority", f"priority {priority} is used by another rule"))
        priorities.add(priority)
    return found


def _object_lock_issues(props: Props) -> list[tuple[str, str]]:
    config = props.get("ObjectLockConfiguration")
    if config is None:
        return []
    found = []
    if props.get("ObjectLockEnabled") is not True and not is_intrinsic(
            props.get("ObjectLockEnabled")):
        found.append(("/ObjectLockEnabled", "must be true for an ObjectLockConfiguration"))
    retention = _dict(_dict(_dict(config).get("Rule")).get("DefaultRetention"))
    if retention and ("Days" in retention) == ("Years" in retention):
        found.append(("/ObjectLockConfiguration/Rule/DefaultRetention",
                      "takes Days or Years, exactly one"))
    if retention and "Mode" not in retention:
        found.append(("/ObjectLockConfiguration/Rule/DefaultRetention/Mode", "is required"))
    return found


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
