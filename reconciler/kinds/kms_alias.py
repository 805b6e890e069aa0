"""AWS::KMS::Alias: a friendly name pointing at a KMS key. Not taggable; the name is the ID."""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.eventual import is_not_found
from reconciler.kinds.base import Kind, Observation, Props

_ALIAS_NAME = re.compile(r"^alias/[a-zA-Z0-9:/_-]+$")


class KmsAlias(Kind):
    type_name = "AWS::KMS::Alias"
    managed_properties = frozenset({"AliasName", "TargetKeyId"})
    # Users write the target as a key ID or a key ARN; AWS reports the ID.
    identifier_paths = frozenset({"/TargetKeyId"})

    @property
    def _kms(self) -> Any:
        return self.aws.client("kms")

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        issues: list[tuple[str, str]] = []
        name = props.get("AliasName")
        if isinstance(name, str):
            if not _ALIAS_NAME.match(name) or len(name) > 256:
                issues.append(("/AliasName", f"alias name {name!r} must match "
                               "alias/[a-zA-Z0-9:/_-]+ and be at most 256 characters"))
            elif name.startswith("alias/aws/"):
                issues.append(("/AliasName", f"alias name {name!r} is reserved for AWS "
                               "managed keys (prefix alias/aws/)"))
        target = props.get("TargetKeyId")
        if isinstance(target, str) and (target.startswith("alias/") or ":alias/" in target):
            issues.append(("/TargetKeyId", "TargetKeyId must be a key ID or key ARN, "
                           f"not an alias ({target!r})"))
        return issues

    def physical_id(self, props: Props) -> str | None:
        name = props.get("AliasName")
        return name if isinstance(name, str) else None

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        # DescribeKey resolves an alias in one call; ListAliases would page through the account.
        try:
            meta = self._kms.describe_key(KeyId=physical_id)["KeyMetadata"]
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise
        return Observation(
            physical_id=physical_id,
            properties={"AliasName": physical_id, "TargetKeyId": meta["KeyId"]},
            tags=None,
            attributes={"Ref": physical_id},
        )

    def create(self, desired: Props, tags: dict[str, str]) -> Observation:
        name = desired["AliasName"]
        self._kms.create_alias(AliasName=name, TargetKeyId=desired["TargetKeyId"])
        return Observation(physical_id=name, properties={}, tags=None,
                           attributes={"Ref": name})

    def update(self, physical_id: str, desired: Props, observed: Observation,
               changed: frozenset[str]) -> None:
        # AliasName is create-only (the engine replaces), so only the target can move.
        if "TargetKeyId" in changed:
            self._kms.update_alias(AliasName=physical_id, TargetKeyId=desired["TargetKeyId"])

    def set_tags(self, physical_id: str, add: dict[str, str], remove: list[str]) -> None:
        # KMS aliases cannot carry tags; ownership rests on the inventory alone.
        return None

    def delete(self, physical_id: str, desired: Props) -> None:
        try:
            self._kms.delete_alias(AliasName=physical_id)
        except ClientError as exc:
            if not is_not_found(exc):
                raise
