"""AWS::S3::Bucket: the bucket and the sub-resources declared on it (versioning, default
encryption, public access block, lifecycle, ownership controls), one API pair each.

Observe reads only the sub-resources the desired state declares, plus the tag set,
which also proves the bucket exists: a bucket with two declared settings costs three calls.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import string
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.eventual import error_code, is_not_found
from reconciler.errors import ReconcilerError
from reconciler.kinds import s3_bucket_lifecycle as lifecycle
from reconciler.kinds.base import Observation, Props, is_intrinsic
from reconciler.kinds.declared import Call, DeclaredKind, TagCalls

_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
# Regions whose website endpoint is "s3-website-<region>" rather than "s3-website.<region>".
_DASHED_WEBSITE_REGIONS = frozenset({
    "us-east-1", "us-west-1", "us-west-2", "ap-southeast-1", "ap-southeast-2",
    "ap-northeast-1", "eu-west-1", "sa-east-1", "us-gov-west-1",
})
_PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                        "RestrictPublicBuckets")
# CloudFormation's shape of default encryption against the API's.
_ENCRYPTION = {
    "/BucketEncryption": "ServerSideEncryptionConfiguration",
    "/BucketEncryption/ServerSideEncryptionConfiguration": "Rules",
    "/BucketEncryption/ServerSideEncryptionConfiguration/*/ServerSideEncryptionByDefault":
        "ApplyServerSideEncryptionByDefault",
}


class S3Bucket(DeclaredKind):
    type_name = "AWS::S3::Bucket"
    managed_properties = frozenset({
        "BucketName", "VersioningConfiguration", "BucketEncryption",
        "PublicAccessBlockConfiguration", "LifecycleConfiguration", "OwnershipControls", "Tags",
    })
    # Lifecycle rules are a whole: an extra rule added out of band is drift. An unset public
    # access flag means false, so a flag switched on out of band is drift too.
    exact_paths = frozenset({"/LifecycleConfiguration", "/PublicAccessBlockConfiguration"})
    identifier_paths = frozenset({
        "/BucketEncryption/ServerSideEncryptionConfiguration/*/ServerSideEncryptionByDefault"
        "/KMSMasterKeyID",
    })
    data_bearing = True

    service, identifier = "s3", "Bucket"
    # The tag set also proves the bucket exists: one call where HeadBucket would be a second.
    read_call = Call("GetBucketTagging")
    create_call = Call("CreateBucket", renames={"/BucketName": "Bucket"})
    delete_call = Call("DeleteBucket")
    gone_codes = ("NoSuchBucket",)
    # A bucket made a moment ago can still answer NoSuchBucket to a sub-resource call.
    transient_codes = {"NoSuchBucket": ()}
    tag_calls = TagCalls("PutBucketTagging", "DeleteBucketTagging", result="TagSet")
    readers = {
        "VersioningConfiguration": "read_versioning",
        "BucketEncryption": Call("GetBucketEncryption", renames=_ENCRYPTION,
                                 result="ServerSideEncryptionConfiguration",
                                 absent=("ServerSideEncryptionConfigurationNotFoundError",)),
        "PublicAccessBlockConfiguration": "read_public_access_block",
        "LifecycleConfiguration": "read_lifecycle",
        "OwnershipControls": Call("GetBucketOwnershipControls", result="OwnershipControls",
                                  absent=("OwnershipControlsNotFoundError",)),
    }
    # In this order: ownership and public access guard what the later settings expose.
    writers = {
        "OwnershipControls": Call("PutBucketOwnershipControls",
                                  off="DeleteBucketOwnershipControls"),
        "PublicAccessBlockConfiguration": "write_public_access_block",
        "BucketEncryption": Call("PutBucketEncryption", renames=_ENCRYPTION,
                                 off="DeleteBucketEncryption"),
        "VersioningConfiguration": "write_versioning",
        "LifecycleConfiguration": "write_lifecycle",
    }

    def generated_name(self, logical_id: str, owner: str) -> Props:
        suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits)
                         for _ in range(6))
        stem = "-".join(p for p in (_name_part(owner), _name_part(logical_id)) if p)
        # 63 characters at most, with room for "-" and the suffix.
        stem = stem[:63 - 7].strip("-.") or "bucket"
        return {"BucketName": f"{stem}-{suffix}"}

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        found = bucket_name_issues(props.get("BucketName"))
        found.extend(_encryption_issues(props.get("BucketEncryption")))
        found.extend(lifecycle.issues(props.get("LifecycleConfiguration"),
                                      "/LifecycleConfiguration"))
        ownership = props.get("OwnershipControls")
        if isinstance(ownership, dict) and isinstance(ownership.get("Rules"), list):
            rules = ownership["Rules"]
            if len(rules) != 1:
                found.append(("/OwnershipControls/Rules",
                              "S3 takes exactly one ownership controls rule"))
            elif isinstance(rules[0], dict) and "ObjectOwnership" not in rules[0]:
                found.append(("/OwnershipControls/Rules/0", "ObjectOwnership is required"))
        return found

    # --- observe ----------------------------------------------------------------------------

    def read(self, physical_id: str) -> dict[str, Any] | None:
        try:
            return dict(self.client.get_bucket_tagging(Bucket=physical_id))
        except ClientError as exc:
            if error_code(exc) != "NoSuchTagSet":
                raise
            return {"TagSet": []}

    def read_versioning(self, bucket: str, want: Any) -> Any:
        status = self.client.get_bucket_versioning(Bucket=bucket).get("Status")
        # A bucket never versioned has no status at all (not "Suspended").
        return {"Status": status} if status else None

    def read_public_access_block(self, bucket: str, want: Any) -> Any:
        try:
            config = self.client.get_public_access_block(Bucket=bucket)[
                "PublicAccessBlockConfiguration"]
        except ClientError as exc:
            if error_code(exc) != "NoSuchPublicAccessBlockConfiguration":
                raise
            return None
        declared = want if isinstance(want, dict) else {}
        # Undeclared flags mean false: show only those declared or switched on.
        return {k: bool(config.get(k)) for k in _PUBLIC_ACCESS_FLAGS
                if k in declared or config.get(k)}

    def read_lifecycle(self, bucket: str, want: Any) -> Any:
        try:
            response = self.client.get_bucket_lifecycle_configuration(Bucket=bucket)
        except ClientError as exc:
            if error_code(exc) != "NoSuchLifecycleConfiguration":
                raise
            return None
        return lifecycle.from_aws(response, want if isinstance(want, dict) else {})

    def attributes_from(self, resource: dict[str, Any], bucket: str) -> dict[str, Any]:
        region, suffix = self.aws.region, _url_suffix(self.aws)
        website_host = (f"s3-website-{region}" if region in _DASHED_WEBSITE_REGIONS
                        else f"s3-website.{region}")
        return {
            "Ref": bucket,
            "Arn": f"arn:{_partition(self.aws)}:s3:::{bucket}",
            "DomainName": f"{bucket}.s3.{suffix}",
            "RegionalDomainName": f"{bucket}.s3.{region}.{suffix}",
            "DualStackDomainName": f"{bucket}.s3.dualstack.{region}.{suffix}",
            "WebsiteURL": f"http://{bucket}.{website_host}.{suffix}",
        }

    # --- changes ----------------------------------------------------------------------------

    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        bucket = desired["BucketName"]
        args: dict[str, Any] = {"Bucket": bucket}
        # us-east-1 is the API's default and refuses an explicit LocationConstraint.
        if self.aws.region != "us-east-1":
            args["CreateBucketConfiguration"] = {"LocationConstraint": self.aws.region}
        # Never retried by botocore: a lost reply is found again by name and tags.
        self.aws.client("s3", retries=False).create_bucket(**args)
        # Tagging right away marks ownership before anything else can fail.
        with self.transients("CreateBucket"):
            if tags:
                self._put_tags(bucket, tags)
            self.write_all(bucket, desired, None,
                           frozenset(p for p in desired if p in self.writers))
        return Observation(physical_id=bucket, properties={}, tags=dict(tags),
                           attributes=self.attributes_from({}, bucket))

    def write_public_access_block(self, bucket: str, values: Props,
                                  observed: Observation | None) -> None:
        block = values.get("PublicAccessBlockConfiguration")
        if block is not None:
            self.client.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
                k: bool(block.get(k, False)) for k in _PUBLIC_ACCESS_FLAGS})
        elif observed is not None:
            self.client.delete_public_access_block(Bucket=bucket)

    def write_versioning(self, bucket: str, values: Props, observed: Observation | None) -> None:
        status = (values.get("VersioningConfiguration") or {}).get("Status")
        if status is None and observed is not None:
            # Versioning can never be removed, only suspended (CloudFormation's default).
            was = (observed.properties.get("VersioningConfiguration") or {}).get("Status")
            status = "Suspended" if was == "Enabled" else None
        if status:
            self.client.put_bucket_versioning(Bucket=bucket,
                                              VersioningConfiguration={"Status": status})

    def write_lifecycle(self, bucket: str, values: Props, observed: Observation | None) -> None:
        config = values.get("LifecycleConfiguration")
        if config:
            self.client.put_bucket_lifecycle_configuration(Bucket=bucket,
                                                           **lifecycle.to_aws(config))
        elif observed is not None:
            self.client.delete_bucket_lifecycle(Bucket=bucket)

    def set_tags(self, physical_id: str, add: dict[str, str], remove: list[str]) -> None:
        # S3 has no per-key tagging: read the set, edit it, write it back whole.
        tags = self.read_tags(physical_id, self.read(physical_id) or {})
        for key in remove:
            tags.pop(key, None)
        tags.update(add)
        # aws: tags belong to AWS services and may not be written by us.
        tags = {k: v for k, v in tags.items() if not k.startswith("aws:")}
        if tags:
            self._put_tags(physical_id, tags)
        else:
            self.client.delete_bucket_tagging(Bucket=physical_id)

    def _put_tags(self, bucket: str, tags: dict[str, str]) -> None:
        self.client.put_bucket_tagging(Bucket=bucket, Tagging={
            "TagSet": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]})

    def delete(self, physical_id: str, desired: Props) -> None:
        try:
            self.client.delete_bucket(Bucket=physical_id)
        except ClientError as exc:
            if is_not_found(exc, "NoSuchBucket"):
                return
            if error_code(exc) == "BucketNotEmpty":
                # Emptying it here would destroy data the user may not mean to lose.
                raise ReconcilerError(
                    f"bucket {physical_id} is not empty: S3 deletes only empty buckets. Empty "
                    "it (all object versions) yourself, or set DeletionPolicy: Retain"
                ) from exc
            raise


# --- module helpers ---------------------------------------------------------------------------

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


def _name_part(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _partition(aws: Any) -> str:
    return str(getattr(aws, "partition", "aws"))


def _url_suffix(aws: Any) -> str:
    return str(getattr(aws, "url_suffix", "amazonaws.com"))
