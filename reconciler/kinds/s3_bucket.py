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
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.eventual import error_code, is_not_found, retry_while_propagating
from reconciler.errors import ReconcilerError
from reconciler.kinds import s3_bucket_lifecycle as lifecycle
from reconciler.kinds.base import Kind, Observation, Props, is_intrinsic

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
# The "not configured" answer of each Get call; anything else is a real error.
_ABSENT = {
    "VersioningConfiguration": (),
    "BucketEncryption": ("ServerSideEncryptionConfigurationNotFoundError",),
    "PublicAccessBlockConfiguration": ("NoSuchPublicAccessBlockConfiguration",),
    "LifecycleConfiguration": ("NoSuchLifecycleConfiguration",),
    "OwnershipControls": ("OwnershipControlsNotFoundError",),
}


class S3Bucket(Kind):
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

    @property
    def _s3(self) -> Any:
        return self.aws.client("s3")

    # --- identity and validation ----------------------------------------------------------

    def physical_id(self, props: Props) -> str | None:
        name = props.get("BucketName")
        return name if isinstance(name, str) else None

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

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        try:
            tag_set = self._s3.get_bucket_tagging(Bucket=physical_id)["TagSet"]
        except ClientError as exc:
            if is_not_found(exc, "NoSuchBucket"):
                return None
            if error_code(exc) != "NoSuchTagSet":
                raise
            tag_set = []
        readers: dict[str, Callable[[str, Any], Any]] = {
            "VersioningConfiguration": self._read_versioning,
            "BucketEncryption": self._read_encryption,
            "PublicAccessBlockConfiguration": self._read_public_access_block,
            "LifecycleConfiguration": self._read_lifecycle,
            "OwnershipControls": self._read_ownership,
        }
        props: Props = {"BucketName": physical_id}
        for name, read in readers.items():
            if name not in desired:
                continue  # not declared: not judged, so not read
            try:
                props[name] = read(physical_id, desired[name])
            except ClientError as exc:
                if error_code(exc) not in _ABSENT[name]:
                    raise
                props[name] = None
        return Observation(
            physical_id=physical_id,
            properties=props,
            tags={str(t["Key"]): str(t.get("Value", "")) for t in tag_set},
            attributes=self._attributes(physical_id),
        )

    def _read_versioning(self, bucket: str, want: Any) -> Any:
        status = self._s3.get_bucket_versioning(Bucket=bucket).get("Status")
        # A bucket never versioned has no status at all (not "Suspended").
        return {"Status": status} if status else None

    def _read_encryption(self, bucket: str, want: Any) -> Any:
        config = self._s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
        wanted = _dict(want).get("ServerSideEncryptionConfiguration")
        wanted = wanted if isinstance(wanted, list) else []
        rules = []
        for index, rule in enumerate(config.get("Rules") or []):
            want_rule = _dict(wanted[index]) if index < len(wanted) else {}
            out: dict[str, Any] = {}
            default = rule.get("ApplyServerSideEncryptionByDefault")
            if default:
                out["ServerSideEncryptionByDefault"] = {
                    k: default[k] for k in ("SSEAlgorithm", "KMSMasterKeyID") if k in default
                }
            # S3 reports BucketKeyEnabled false even when nobody set it; false is the default.
            if rule.get("BucketKeyEnabled") or "BucketKeyEnabled" in want_rule:
                out["BucketKeyEnabled"] = bool(rule.get("BucketKeyEnabled"))
            rules.append(out)
        return {"ServerSideEncryptionConfiguration": rules}

    def _read_public_access_block(self, bucket: str, want: Any) -> Any:
        config = self._s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        declared = _dict(want)
        # Undeclared flags mean false: show only those declared or switched on.
        return {k: bool(config.get(k)) for k in _PUBLIC_ACCESS_FLAGS
                if k in declared or config.get(k)}

    def _read_lifecycle(self, bucket: str, want: Any) -> Any:
        response = self._s3.get_bucket_lifecycle_configuration(Bucket=bucket)
        return lifecycle.from_aws(response, _dict(want))

    def _read_ownership(self, bucket: str, want: Any) -> Any:
        controls = self._s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
        return {"Rules": [{"ObjectOwnership": r.get("ObjectOwnership")}
                          for r in controls.get("Rules") or []]}

    def _attributes(self, bucket: str) -> dict[str, Any]:
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
        self._s3.create_bucket(**args)
        # Tagging right away marks ownership before anything else can fail; a bucket made a
        # moment ago can still answer NoSuchBucket to a sub-resource call.
        if tags:
            retry_while_propagating(lambda: self._put_tags(bucket, tags),
                                    codes=frozenset({"NoSuchBucket"}))
        self._apply(bucket, desired, frozenset(desired), observed=None)
        return Observation(physical_id=bucket, properties={}, tags=dict(tags),
                           attributes=self._attributes(bucket))

    def update(self, physical_id: str, desired: Props, observed: Observation,
               changed: frozenset[str]) -> None:
        self._apply(physical_id, desired, changed, observed)

    def _apply(self, bucket: str, desired: Props, names: frozenset[str],
               observed: Observation | None) -> None:
        s3 = self._s3
        # Ownership and public access first: they guard what the later settings expose.
        if "OwnershipControls" in names:
            if desired.get("OwnershipControls"):
                s3.put_bucket_ownership_controls(Bucket=bucket,
                                                 OwnershipControls=desired["OwnershipControls"])
            elif observed is not None:
                s3.delete_bucket_ownership_controls(Bucket=bucket)
        if "PublicAccessBlockConfiguration" in names:
            block = desired.get("PublicAccessBlockConfiguration")
            if block is not None:
                s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
                    k: bool(block.get(k, False)) for k in _PUBLIC_ACCESS_FLAGS})
            elif observed is not None:
                s3.delete_public_access_block(Bucket=bucket)
        if "BucketEncryption" in names:
            if desired.get("BucketEncryption"):
                s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=(
                    _encryption_to_aws(desired["BucketEncryption"])))
            elif observed is not None:
                s3.delete_bucket_encryption(Bucket=bucket)
        if "VersioningConfiguration" in names:
            status = _dict(desired.get("VersioningConfiguration")).get("Status")
            if status is None and observed is not None:
                # Versioning can never be removed, only suspended (CloudFormation's default).
                was = _dict(observed.properties.get("VersioningConfiguration")).get("Status")
                status = "Suspended" if was == "Enabled" else None
            if status:
                s3.put_bucket_versioning(Bucket=bucket,
                                         VersioningConfiguration={"Status": status})
        if "LifecycleConfiguration" in names:
            if desired.get("LifecycleConfiguration"):
                s3.put_bucket_lifecycle_configuration(
                    Bucket=bucket, **lifecycle.to_aws(desired["LifecycleConfiguration"]))
            elif observed is not None:
                s3.delete_bucket_lifecycle(Bucket=bucket)

    def set_tags(self, physical_id: str, add: dict[str, str], remove: list[str]) -> None:
        # S3 has no per-key tagging: read the set, edit it, write it back whole.
        try:
            current = self._s3.get_bucket_tagging(Bucket=physical_id)["TagSet"]
        except ClientError as exc:
            if error_code(exc) != "NoSuchTagSet":
                raise
            current = []
        tags = {str(t["Key"]): str(t.get("Value", "")) for t in current}
        for key in remove:
            tags.pop(key, None)
        tags.update(add)
        # aws: tags belong to AWS services and may not be written by us.
        tags = {k: v for k, v in tags.items() if not k.startswith("aws:")}
        if tags:
            self._put_tags(physical_id, tags)
        else:
            self._s3.delete_bucket_tagging(Bucket=physical_id)

    def _put_tags(self, bucket: str, tags: dict[str, str]) -> None:
        self._s3.put_bucket_tagging(Bucket=bucket, Tagging={
            "TagSet": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]})

    def delete(self, physical_id: str, desired: Props) -> None:
        try:
            self._s3.delete_bucket(Bucket=physical_id)
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


def _encryption_to_aws(encryption: dict[str, Any]) -> dict[str, Any]:
    rules = []
    for rule in encryption.get("ServerSideEncryptionConfiguration") or []:
        out: dict[str, Any] = {}
        if rule.get("ServerSideEncryptionByDefault"):
            out["ApplyServerSideEncryptionByDefault"] = dict(rule["ServerSideEncryptionByDefault"])
        if "BucketKeyEnabled" in rule:
            out["BucketKeyEnabled"] = bool(rule["BucketKeyEnabled"])
        rules.append(out)
    return {"Rules": rules}


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
