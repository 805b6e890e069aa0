"""AWS::S3::Bucket: the bucket and the sub-resources declared on it (versioning, default
encryption, public access block, lifecycle, ownership controls, canned ACL, logging,
replication, object lock, website, notifications, transfer acceleration, CORS), one
API pair each; shapes that are not the API's live in ``s3_bucket_settings``.

Observe reads only the declared sub-resources plus the tag set, which proves the bucket
exists (two declared settings: three calls); an unset one's error (NoSuchCORS...) is absent.
"""

from __future__ import annotations

import re
import secrets
import string
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.eventual import error_code, is_not_found
from reconciler.errors import ReconcilerError
from reconciler.kinds import s3_bucket_checks as checks
from reconciler.kinds import s3_bucket_lifecycle as lifecycle
from reconciler.kinds import s3_bucket_settings as settings
from reconciler.kinds.base import Observation, Props, TransientError
from reconciler.kinds.declared import Call, DeclaredKind, TagCalls
from reconciler.kinds.listing import Listing
from reconciler.kinds.s3_bucket_checks import bucket_name_issues

__all__ = ["S3Bucket", "bucket_name_issues"]

_PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                        "RestrictPublicBuckets")
# CloudFormation's shape of default encryption against the API's.
_ENCRYPTION = {
    "/BucketEncryption": "ServerSideEncryptionConfiguration",
    "/BucketEncryption/ServerSideEncryptionConfiguration": "Rules",
    "/BucketEncryption/ServerSideEncryptionConfiguration/*/ServerSideEncryptionByDefault":
        "ApplyServerSideEncryptionByDefault",
}
_REPLICATION = {
    "/ReplicationConfiguration/Rules/*/Id": "ID",
    "/ReplicationConfiguration/Rules/*/Filter/TagFilter": "Tag",
    "/ReplicationConfiguration/Rules/*/Filter/And/TagFilters": "Tags",
}
_CORS = {
    "/CorsConfiguration/CorsRules": "CORSRules",
    "/CorsConfiguration/CorsRules/*/Id": "ID",
    "/CorsConfiguration/CorsRules/*/ExposedHeaders": "ExposeHeaders",
    "/CorsConfiguration/CorsRules/*/MaxAge": "MaxAgeSeconds",
}
# Both object lock properties go in the one PutObjectLockConfiguration.
_OBJECT_LOCK = "write_object_lock"


class S3Bucket(DeclaredKind):
    type_name = "AWS::S3::Bucket"
    listing = Listing("s3", "ListBuckets", "Buckets[].Name")
    managed_properties = frozenset({
        "BucketName", "VersioningConfiguration", "BucketEncryption",
        "PublicAccessBlockConfiguration", "LifecycleConfiguration", "OwnershipControls", "Tags",
        "AccessControl", "LoggingConfiguration", "ReplicationConfiguration",
        "ObjectLockEnabled", "ObjectLockConfiguration", "WebsiteConfiguration",
        "NotificationConfiguration", "AccelerateConfiguration", "CorsConfiguration",
    })
    refused = {
        "AnalyticsConfigurations": "not implemented yet (storage class analysis, by id)",
        "InventoryConfigurations": "not implemented yet (S3 Inventory reports, by id)",
        "MetricsConfigurations": "not implemented yet (CloudWatch request metrics, by id)",
        "IntelligentTieringConfigurations": "not implemented yet (archive tiers, by id)",
        "MetadataConfiguration": "not implemented yet (S3 Metadata tables live in a table "
                                 "bucket the reconciler does not manage)",
        "MetadataTableConfiguration": "superseded by MetadataConfiguration, and not "
                                      "implemented (S3 Metadata tables)",
        "AbacStatus": "not implemented yet (attribute-based access control for buckets)",
        "BucketNamePrefix": "the reconciler generates a missing BucketName itself; declare "
                            "BucketName to choose it",
        "BucketNamespace": "not implemented yet (account-regional bucket namespaces)",
    }
    # Read back from the grants (see s3_bucket_settings), though the schema says write-only.
    readable = frozenset({"/AccessControl"})
    # Lifecycle rules are a whole: an extra rule added out of band is drift. An unset public
    # access flag means false, so a flag switched on out of band is drift too. Logging, the
    # website and notifications read back only what differs from "not set": all of it counts.
    exact_paths = frozenset({"/LifecycleConfiguration", "/PublicAccessBlockConfiguration",
                             "/LoggingConfiguration", "/WebsiteConfiguration",
                             "/NotificationConfiguration"})
    identifier_paths = frozenset({
        "/BucketEncryption/ServerSideEncryptionConfiguration/*/ServerSideEncryptionByDefault"
        "/KMSMasterKeyID",
        "/ReplicationConfiguration/Rules/*/Destination/EncryptionConfiguration/ReplicaKmsKeyID",
    })
    data_bearing = True

    service, identifier = "s3", "Bucket"
    # The tag set also proves the bucket exists: one call where HeadBucket would be a second.
    read_call = Call("GetBucketTagging")
    create_call = Call("CreateBucket", renames={"/BucketName": "Bucket"})
    delete_call = Call("DeleteBucket")
    gone_codes = ("NoSuchBucket",)
    # Just made, a bucket may answer NoSuchBucket; a log target's policy may be due this pass.
    transient_codes = {"NoSuchBucket": (), "InvalidTargetBucketForLogging": ("permissions",)}
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
        "AccessControl": "read_acl",
        "LoggingConfiguration": "read_logging",
        "ReplicationConfiguration": Call(
            "GetBucketReplication", renames=_REPLICATION, result="ReplicationConfiguration",
            absent=("ReplicationConfigurationNotFoundError",)),
        "ObjectLockEnabled": "read_object_lock_enabled",
        "ObjectLockConfiguration": Call(
            "GetObjectLockConfiguration", result="ObjectLockConfiguration",
            absent=("ObjectLockConfigurationNotFoundError",)),
        "WebsiteConfiguration": "read_website",
        "NotificationConfiguration": "read_notifications",
        "AccelerateConfiguration": "read_accelerate",
        "CorsConfiguration": Call("GetBucketCors", renames=_CORS,
                                  absent=("NoSuchCORSConfiguration",)),
    }
    # In this order: ownership and public access guard what the later settings expose.
    writers = {
        "OwnershipControls": Call("PutBucketOwnershipControls",
                                  off="DeleteBucketOwnershipControls"),
        "PublicAccessBlockConfiguration": "write_public_access_block",
        "AccessControl": "write_acl",
        "BucketEncryption": Call("PutBucketEncryption", renames=_ENCRYPTION,
                                 off="DeleteBucketEncryption"),
        "VersioningConfiguration": "write_versioning",
        # Object lock and replication need versioning on first.
        "ObjectLockEnabled": _OBJECT_LOCK,
        "ObjectLockConfiguration": _OBJECT_LOCK,
        "ReplicationConfiguration": Call(
            "PutBucketReplication", off="DeleteBucketReplication",
            renames={"/ReplicationConfiguration": "ReplicationConfiguration", **_REPLICATION}),
        "LifecycleConfiguration": "write_lifecycle",
        "LoggingConfiguration": "write_logging",
        "WebsiteConfiguration": "write_website",
        "CorsConfiguration": Call("PutBucketCors", off="DeleteBucketCors", renames={
            "/CorsConfiguration": "CORSConfiguration", **_CORS}),
        "AccelerateConfiguration": "write_accelerate",
        "NotificationConfiguration": "write_notifications",
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
        return checks.issues(props)

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

    def read_acl(self, bucket: str, want: Any) -> Any:
        return settings.acl_from_aws(self.client.get_bucket_acl(Bucket=bucket), want)

    def read_logging(self, bucket: str, want: Any) -> Any:
        return settings.logging_from_aws(self.client.get_bucket_logging(Bucket=bucket), want,
                                         bucket)

    def read_object_lock_enabled(self, bucket: str, want: Any) -> Any:
        try:
            config = self.client.get_object_lock_configuration(Bucket=bucket)
        except ClientError as exc:
            if error_code(exc) != "ObjectLockConfigurationNotFoundError":
                raise
            return False
        return (config.get("ObjectLockConfiguration") or {}).get("ObjectLockEnabled") == \
            "Enabled"

    def read_website(self, bucket: str, want: Any) -> Any:
        try:
            return settings.website_from_aws(self.client.get_bucket_website(Bucket=bucket))
        except ClientError as exc:
            if error_code(exc) != "NoSuchWebsiteConfiguration":
                raise
            return None

    def read_notifications(self, bucket: str, want: Any) -> Any:
        response = self.client.get_bucket_notification_configuration(Bucket=bucket)
        return settings.notification_from_aws(response, want)

    def read_accelerate(self, bucket: str, want: Any) -> Any:
        # A bucket never accelerated answers no status: the same as Suspended.
        status = self.client.get_bucket_accelerate_configuration(Bucket=bucket).get("Status")
        return {"AccelerationStatus": status or "Suspended"}

    def attributes_from(self, resource: dict[str, Any], bucket: str) -> dict[str, Any]:
        region, suffix = self.aws.region, _url_suffix(self.aws)
        return {
            "Ref": bucket,
            "Arn": f"arn:{_partition(self.aws)}:s3:::{bucket}",
            "DomainName": f"{bucket}.s3.{suffix}",
            "RegionalDomainName": f"{bucket}.s3.{region}.{suffix}",
            "DualStackDomainName": f"{bucket}.s3.dualstack.{region}.{suffix}",
            "WebsiteURL": f"http://{bucket}.{settings.website_host(region)}.{suffix}",
        }

    # --- changes ----------------------------------------------------------------------------

    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        bucket = desired["BucketName"]
        args: dict[str, Any] = {"Bucket": bucket}
        # us-east-1 is the API's default and refuses an explicit LocationConstraint.
        if self.aws.region != "us-east-1":
            args["CreateBucketConfiguration"] = {"LocationConstraint": self.aws.region}
        if desired.get("ObjectLockEnabled") is True:
            args["ObjectLockEnabledForBucket"] = True  # versioning comes on with it
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

    def write_acl(self, bucket: str, values: Props, observed: Observation | None) -> None:
        acl = values.get("AccessControl")
        if acl is None and observed is None:
            return
        # No longer declared: back to CloudFormation's default, the owner alone.
        self.client.put_bucket_acl(Bucket=bucket,
                                   ACL=settings.CANNED_API[acl or "Private"])

    def write_object_lock(self, bucket: str, values: Props,
                          observed: Observation | None) -> None:
        """Object lock can be turned on for a versioned bucket, never off; the default
        retention rule goes with it, and is removed by writing the configuration without."""
        if "ObjectLockEnabled" in values and values["ObjectLockEnabled"] is not True:
            if observed is not None and observed.properties.get("ObjectLockEnabled"):
                raise ReconcilerError(
                    f"bucket {bucket}: S3 cannot turn object lock off once it is on; declare "
                    "ObjectLockEnabled: true again, or a new bucket under another name")
            if "ObjectLockConfiguration" not in values:
                return  # off, and staying off
        config = values.get("ObjectLockConfiguration")
        rule = config.get("Rule") if isinstance(config, dict) else None
        if observed is None and not rule:
            return  # CreateBucket turned it on; no default retention to set
        body: dict[str, Any] = {"ObjectLockEnabled": "Enabled"}
        if rule:
            body["Rule"] = rule
        self.client.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=body)

    def write_logging(self, bucket: str, values: Props, observed: Observation | None) -> None:
        config = values.get("LoggingConfiguration")
        if config is not None or observed is not None:
            try:
                with self.transients("PutBucketLogging"):
                    self.client.put_bucket_logging(Bucket=bucket, BucketLoggingStatus=(
                        settings.logging_to_aws(config, bucket)))
            except TransientError as exc:  # the permission is due in this same pass
                raise TransientError(str(exc), delay=2.0) from exc

    def write_website(self, bucket: str, values: Props, observed: Observation | None) -> None:
        config = values.get("WebsiteConfiguration")
        if config is not None:
            self.client.put_bucket_website(
                Bucket=bucket, WebsiteConfiguration=settings.website_to_aws(config))
        elif observed is not None:
            self.client.delete_bucket_website(Bucket=bucket)

    def write_accelerate(self, bucket: str, values: Props, observed: Observation | None) -> None:
        status = (values.get("AccelerateConfiguration") or {}).get("AccelerationStatus")
        if status is None and observed is None:
            return
        # No longer declared: suspended (acceleration cannot be removed, only suspended).
        self.client.put_bucket_accelerate_configuration(
            Bucket=bucket, AccelerateConfiguration={"Status": status or "Suspended"})

    def write_notifications(self, bucket: str, values: Props,
                            observed: Observation | None) -> None:
        config = values.get("NotificationConfiguration")
        if config is not None or observed is not None:
            self.client.put_bucket_notification_configuration(
                Bucket=bucket,
                NotificationConfiguration=settings.notification_to_aws(config))

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

def _name_part(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _partition(aws: Any) -> str:
    return str(getattr(aws, "partition", "aws"))


def _url_suffix(aws: Any) -> str:
    return str(getattr(aws, "url_suffix", "amazonaws.com"))
