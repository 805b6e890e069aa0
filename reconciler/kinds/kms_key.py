"""AWS::KMS::Key: customer managed keys. Keys are never deleted at once, only scheduled."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.eventual import is_not_found, retry_while_propagating
from reconciler.aws.normalize import LOGICAL_ID_TAG, OWNER_TAG, tags_to_dict
from reconciler.kinds.base import Kind, Observation, Props

# A policy naming a role created moments ago is refused until IAM has propagated it.
_POLICY_PROPAGATION = frozenset({"MalformedPolicyDocumentException"})


class KmsKey(Kind):
    type_name = "AWS::KMS::Key"
    managed_properties = frozenset({
        "Description", "Enabled", "EnableKeyRotation", "KeyPolicy", "KeySpec", "KeyUsage",
        "PendingWindowInDays", "Tags",
    })
    # KMS cannot change a key's spec or usage; CloudFormation replaces the key.
    replace_on = frozenset({"KeySpec", "KeyUsage"})
    policy_paths = frozenset({"/KeyPolicy"})
    data_bearing = True

    @property
    def _kms(self) -> Any:
        return self.aws.client("kms")

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        try:
            meta = self._kms.describe_key(KeyId=physical_id)["KeyMetadata"]
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise
        key_id = meta["KeyId"]
        pending_deletion = meta.get("KeyState") == "PendingDeletion"
        props: Props = {
            "Description": meta.get("Description", ""),
            "Enabled": bool(meta.get("Enabled")) and not pending_deletion,
            "KeySpec": meta.get("KeySpec") or meta.get("CustomerMasterKeySpec"),
            "KeyUsage": meta.get("KeyUsage"),
        }
        if "EnableKeyRotation" in desired:
            status = self._kms.get_key_rotation_status(KeyId=key_id)
            props["EnableKeyRotation"] = bool(status.get("KeyRotationEnabled"))
        if "KeyPolicy" in desired:
            policy = self._kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
            props["KeyPolicy"] = json.loads(policy)
        tags = tags_to_dict(self._kms.list_resource_tags(KeyId=key_id).get("Tags"),
                            "TagKey", "TagValue")
        return Observation(
            physical_id=key_id,
            properties=props,
            tags=tags,
            attributes={"Ref": key_id, "KeyId": key_id, "Arn": meta["Arn"],
                        "PendingDeletion": pending_deletion},
        )

    def find(self, owner: str, logical_id: str) -> str | None:
        for page in self._kms.get_paginator("list_keys").paginate():
            for key in page["Keys"]:
                try:
                    listed = self._kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags")
                except ClientError:
                    continue  # AWS managed keys and keys we may not read
                tags = tags_to_dict(listed, "TagKey", "TagValue")
                if tags.get(OWNER_TAG) == owner and tags.get(LOGICAL_ID_TAG) == logical_id:
                    return str(key["KeyId"])
        return None

    def create(self, desired: Props, tags: dict[str, str]) -> Observation:
        args: dict[str, Any] = {
            "Tags": [{"TagKey": k, "TagValue": v} for k, v in sorted(tags.items())],
        }
        for prop, arg in (("Description", "Description"), ("KeySpec", "KeySpec"),
                          ("KeyUsage", "KeyUsage")):
            if prop in desired:
                args[arg] = desired[prop]
        if "KeyPolicy" in desired:
            args["Policy"] = _policy_text(desired["KeyPolicy"])
        meta = retry_while_propagating(lambda: self._kms.create_key(**args),
                                       codes=_POLICY_PROPAGATION)["KeyMetadata"]
        key_id = meta["KeyId"]
        if desired.get("EnableKeyRotation"):
            self._kms.enable_key_rotation(KeyId=key_id)
        if desired.get("Enabled") is False:
            self._kms.disable_key(KeyId=key_id)
        return Observation(physical_id=key_id, properties={}, tags=dict(tags),
                           attributes={"Ref": key_id, "KeyId": key_id, "Arn": meta["Arn"]})

    def update(self, physical_id: str, desired: Props, observed: Observation,
               changed: frozenset[str]) -> None:
        kms = self._kms
        if observed.attributes.get("PendingDeletion") and desired.get("Enabled", True):
            kms.cancel_key_deletion(KeyId=physical_id)
            kms.enable_key(KeyId=physical_id)
        elif "Enabled" in changed:
            if desired["Enabled"]:
                kms.enable_key(KeyId=physical_id)
            else:
                kms.disable_key(KeyId=physical_id)
        if "Description" in changed:
            kms.update_key_description(KeyId=physical_id,
                                       Description=desired.get("Description", ""))
        if "EnableKeyRotation" in changed:
            if desired.get("EnableKeyRotation"):
                kms.enable_key_rotation(KeyId=physical_id)
            else:
                kms.disable_key_rotation(KeyId=physical_id)
        if "KeyPolicy" in changed:
            policy = _policy_text(desired["KeyPolicy"])
            retry_while_propagating(
                lambda: kms.put_key_policy(KeyId=physical_id, PolicyName="default",
                                           Policy=policy),
                codes=_POLICY_PROPAGATION,
            )

    def set_tags(self, physical_id: str, add: dict[str, str], remove: list[str]) -> None:
        if remove:
            self._kms.untag_resource(KeyId=physical_id, TagKeys=remove)
        if add:
            self._kms.tag_resource(
                KeyId=physical_id,
                Tags=[{"TagKey": k, "TagValue": v} for k, v in sorted(add.items())],
            )

    def delete(self, physical_id: str, desired: Props) -> None:
        # Never an immediate delete: KMS only schedules it, 7 to 30 days out.
        window = int(desired.get("PendingWindowInDays", 30))
        try:
            self._kms.schedule_key_deletion(KeyId=physical_id, PendingWindowInDays=window)
        except ClientError as exc:
            if not is_not_found(exc):
                raise


def _policy_text(policy: Any) -> str:
    return policy if isinstance(policy, str) else json.dumps(policy)
