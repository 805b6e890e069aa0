"""AWS::KMS::Key: customer managed keys. Keys are never deleted at once, only scheduled.

A no-drift observe costs DescribeKey and ListResourceTags, plus GetKeyRotationStatus and
GetKeyPolicy when those properties are declared. CreateKey takes no idempotency token:
it is never retried by botocore, and a lost reply is found again by the ownership tags.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.normalize import tags_to_dict
from reconciler.kinds.base import Observation, Props
from reconciler.kinds.declared import Call, DeclaredKind, TagCalls, owned_by
from reconciler.kinds.listing import pages

_POLICY = Call("PutKeyPolicy", {"PolicyName": "default"}, {"/KeyPolicy": "Policy"})


class KmsKey(DeclaredKind):
    type_name = "AWS::KMS::Key"
    managed_properties = frozenset({
        "Description", "Enabled", "EnableKeyRotation", "KeyPolicy", "KeySpec", "KeyUsage",
        "PendingWindowInDays", "MultiRegion", "BypassPolicyLockoutSafetyCheck", "Tags",
    })
    refused = {
        "Origin": "EXTERNAL, AWS_CLOUDHSM and EXTERNAL_KEY_STORE keys need key material or a "
                  "custom key store set up outside the template; AWS_KMS is the default",
        "RotationPeriodInDays": "not implemented yet (the local emulator ignores it, so it "
                                "cannot be tested here); rotation uses AWS's 365 days",
    }
    # KMS cannot change a key's spec, usage or multi-Region; CloudFormation replaces the key.
    replace_on = frozenset({"KeySpec", "KeyUsage", "MultiRegion"})
    policy_paths = frozenset({"/KeyPolicy"})
    data_bearing = True
    # Beyond CloudFormation's handlers: a key scheduled for deletion and declared again is restored.
    extra_permissions = frozenset({"kms:CancelKeyDeletion"})

    service, identifier = "kms", "KeyId"
    read_call = Call("DescribeKey", result="KeyMetadata")
    create_call = Call("CreateKey", renames={"/KeyPolicy": "Policy"})
    created_id = "KeyMetadata.KeyId"
    # Never an immediate delete: KMS only schedules it, 7 to 30 days out (30 unless declared).
    delete_call = Call("ScheduleKeyDeletion")
    readers = {
        "EnableKeyRotation": Call("GetKeyRotationStatus", result="KeyRotationEnabled"),
        "KeyPolicy": Call("GetKeyPolicy", {"PolicyName": "default"}, result="Policy"),
    }
    writers = {
        "Description": Call("UpdateKeyDescription"),
        "KeyPolicy": _POLICY,
        # Write-only, never diffed itself: it goes along with the policy it lets through.
        "BypassPolicyLockoutSafetyCheck": _POLICY,
        "EnableKeyRotation": Call("EnableKeyRotation", off="DisableKeyRotation"),
        "Enabled": Call("EnableKey", off="DisableKey"),
    }
    tag_calls = TagCalls("TagResource", "UntagResource", "ListResourceTags")
    # A policy naming a role created moments ago is refused until IAM has propagated it.
    transient_codes = {"MalformedPolicyDocumentException": ("invalid principals",)}

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        props = super().properties_from(resource, desired)
        # A key scheduled for deletion is not usable: it counts as disabled.
        props["Enabled"] = bool(resource.get("Enabled")) and not _pending_deletion(resource)
        props["KeySpec"] = resource.get("KeySpec") or resource.get("CustomerMasterKeySpec")
        props["Description"] = resource.get("Description", "")
        props["MultiRegion"] = bool(resource.get("MultiRegion"))  # moto omits false
        return props

    def attributes_from(self, resource: dict[str, Any], physical_id: str) -> dict[str, Any]:
        return {**super().attributes_from(resource, physical_id),
                "PendingDeletion": _pending_deletion(resource)}

    def update(self, physical_id: str, desired: Props, observed: Observation,
               changed: frozenset[str]) -> None:
        if observed.attributes.get("PendingDeletion") and desired.get("Enabled", True):
            self.client.cancel_key_deletion(KeyId=physical_id)
            desired, changed = {**desired, "Enabled": True}, changed | {"Enabled"}
        if "KeyPolicy" in changed and "BypassPolicyLockoutSafetyCheck" in desired:
            changed |= {"BypassPolicyLockoutSafetyCheck"}
        super().update(physical_id, desired, observed, changed)

    def find(self, owner: str, logical_id: str) -> str | None:
        for page in self.client.get_paginator("list_keys").paginate():
            for key in page["Keys"]:
                try:
                    listed = self.client.list_resource_tags(KeyId=key["KeyId"]).get("Tags")
                except ClientError:
                    continue  # AWS managed keys and keys we may not read
                if owned_by(tags_to_dict(listed, "TagKey", "TagValue"), owner, logical_id):
                    return str(key["KeyId"])
        return None

    def list_physical_ids(self) -> list[str]:
        """Customer managed keys not scheduled for deletion: ListKeys tells neither, so one
        DescribeKey per key. The targets of ``alias/aws/`` aliases are AWS managed too (moto
        calls them CUSTOMER)."""
        aws_managed = {a.get("TargetKeyId") for page in pages(self.client, "ListAliases", {})
                       for a in page["Aliases"] if a["AliasName"].startswith("alias/aws/")}
        found = []
        for page in self.client.get_paginator("list_keys").paginate():
            for key in page["Keys"]:
                if key["KeyId"] in aws_managed:
                    continue
                meta = self.client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
                if meta.get("KeyManager") != "AWS" and not _pending_deletion(meta):
                    found.append(str(key["KeyId"]))
        return found


def _pending_deletion(resource: dict[str, Any]) -> bool:
    return resource.get("KeyState") == "PendingDeletion"
