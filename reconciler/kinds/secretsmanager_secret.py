"""AWS::SecretsManager::Secret: a secret whose value is generated at create or declared.

A generated value never passes through git, plans, logs or state: it stays inside
``secretsmanager_secret_value``. A declared ``SecretString`` is write-only and masked
everywhere: it is never read back (no GetSecretValue), so AWS's value is never diffed;
the engine compares the declaration with a salted print of the value last written
(``Kind.compare_written``, ``engine.written``) and a changed declaration is written
with PutSecretValue. A value changed out of band (or by rotation) is not drift, as in
CloudFormation. A no-drift observe costs one DescribeSecret (tags included), plus a KMS
DescribeKey when the key is declared in another spelling than AWS reports.

A secret scheduled for deletion observes as absent: it cannot be read and AWS
deletes it when the window ends. The engine then plans a create, and ``create``
restores the secret if its ownership tags say it is ours, keeping its value.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.eventual import error_code
from reconciler.aws.kms_keys import kms_key_as_declared
from reconciler.aws.normalize import (
    LOGICAL_ID_TAG,
    OWNER_TAG,
    RESERVED_TAG_PREFIXES,
    dict_to_tags,
    tags_to_dict,
)
from reconciler.errors import ReconcilerError
from reconciler.kinds import secretsmanager_secret_value as secret_value
from reconciler.kinds.base import Observation, Props
from reconciler.kinds.declared import Call, DeclaredKind, TagCalls, owned_by
from reconciler.kinds.listing import Listing

# CloudFormation's recovery window: a deleted secret can be restored for 30 days.
RECOVERY_WINDOW_DAYS = 30
DEFAULT_KMS_KEY = "alias/aws/secretsmanager"
# AWS answers a create over a secret pending deletion with one, moto with the other.
_NAME_TAKEN = frozenset({"ResourceExistsException", "InvalidRequestException"})
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
_KEY_PATTERN = re.compile(
    r"^(arn:[a-z-]+:kms:[a-z0-9-]+:\d{12}:(key|alias)/.+"
    r"|(mrk-)?[0-9a-f]{8}(-?[0-9a-f]{4}){3}-?[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/.+)$",
    re.IGNORECASE)
_UPDATE = Call("UpdateSecret")


class Secret(DeclaredKind):
    type_name = "AWS::SecretsManager::Secret"
    listing = Listing("secretsmanager", "ListSecrets", "SecretList[?!OwningService].Name")
    managed_properties = frozenset({
        "Name", "Description", "KmsKeyId", "GenerateSecretString", "SecretString", "Tags",
    })
    compare_written = frozenset({"SecretString"})
    refused = {
        "ReplicaRegions": "replicas live in other regions, which a reconciler working in one "
                          "region does not observe; replicate with a tree per region",
        "Type": "only meaningful to the AWS::SecretsManager-2020-07-23 transform's hosted "
                "rotation, which the reconciler does not run",
    }
    identifier_paths = frozenset({"/KmsKeyId"})
    data_bearing = True
    # Beyond CloudFormation's handlers: a secret of ours pending deletion is restored, and a
    # changed SecretString is written as a new version.
    extra_permissions = frozenset({"secretsmanager:RestoreSecret",
                                   "secretsmanager:PutSecretValue"})
    # Ref is the ARN, which AWS assigns: unknown until the secret exists.
    attributes_ref_is_id = False

    service, identifier, name = "secretsmanager", "SecretId", "Name"
    read_call = Call("DescribeSecret")
    create_call = Call("CreateSecret")
    writers = {"Description": _UPDATE, "KmsKeyId": _UPDATE, "SecretString": "write_value"}
    # Never ForceDeleteWithoutRecovery: the value stays restorable for the window.
    delete_call = Call("DeleteSecret", {"RecoveryWindowInDays": RECOVERY_WINDOW_DAYS})
    tag_calls = TagCalls("TagResource", "UntagResource")
    attribute_paths = {"Id": "ARN"}
    ref_attribute = "Id"

    def exists(self, resource: dict[str, Any]) -> bool:
        return not resource.get("DeletedDate")

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        props = super().properties_from(resource, desired)
        if props.get("Description") is None and desired.get("Description") == "":
            props["Description"] = ""  # an empty description is not stored
        actual, wanted = resource.get("KmsKeyId"), desired.get("KmsKeyId")
        if actual is None and wanted in (DEFAULT_KMS_KEY, f"{DEFAULT_KMS_KEY}/"):
            actual = wanted  # no key reported is AWS's default key
        props["KmsKeyId"] = kms_key_as_declared(self.aws, actual, wanted)
        return props

    # --- write ------------------------------------------------------------------------------

    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        name = desired.get("Name")
        if not name:
            raise ValueError("AWS::SecretsManager::Secret create needs Name (see generated_name)")
        args: dict[str, Any] = {"Name": name, "Tags": dict_to_tags(tags)}
        for prop in ("Description", "KmsKeyId"):
            if desired.get(prop):
                args[prop] = desired[prop]
        if token:  # the create intent's token: a retried create is the same create
            args["ClientRequestToken"] = str(uuid.uuid5(uuid.NAMESPACE_URL, token))
        created, failure = secret_value.create_with_value(
            self.client, args, desired.get("GenerateSecretString"), desired.get("SecretString"))
        if failure is not None:
            if error_code(failure) in _NAME_TAKEN:
                restored = self._restore_if_ours(name, desired, tags)
                if restored is not None:
                    return restored
            raise failure
        assert created is not None
        return Observation(physical_id=created["Name"], properties={}, tags=dict(tags),
                           attributes={"Ref": created["ARN"], "Id": created["ARN"]})

    def _restore_if_ours(self, name: str, desired: Props,
                         tags: dict[str, str]) -> Observation | None:
        meta = self.client.describe_secret(SecretId=name)
        if not meta.get("DeletedDate"):
            return None  # a live secret of that name: the engine reports the conflict
        found = tags_to_dict(meta.get("Tags"))
        if not owned_by(found, tags.get(OWNER_TAG, ""), tags.get(LOGICAL_ID_TAG, "")):
            raise ReconcilerError(
                f"secret {name} is scheduled for deletion and is not owned by "
                f"{tags.get(OWNER_TAG)} as {tags.get(LOGICAL_ID_TAG)}: restore it by hand and "
                "adopt it, or choose another Name")
        self.client.restore_secret(SecretId=name)
        settings = {prop: desired[prop] for prop in ("Description", "KmsKeyId")
                    if desired.get(prop) is not None}
        if settings:
            self.client.update_secret(SecretId=name, **settings)
        if "SecretString" in desired:  # the engine records it as written by this create
            self.write_value(name, {"SecretString": desired["SecretString"]}, None)
        stale = [k for k in found if k not in tags and not k.startswith(RESERVED_TAG_PREFIXES)]
        self.set_tags(name, tags, stale)
        return Observation(physical_id=meta["Name"], properties={}, tags=dict(tags),
                           attributes={"Ref": meta["ARN"], "Id": meta["ARN"]})

    def update(self, physical_id: str, desired: Props, observed: Observation,
               changed: frozenset[str]) -> None:
        # Removing a description or a key means the empty one and AWS's default key.
        defaults = {"Description": desired.get("Description") or "",
                    "KmsKeyId": desired.get("KmsKeyId") or DEFAULT_KMS_KEY}
        super().update(physical_id, {**desired, **defaults}, observed, changed)

    def write_value(self, secret_id: str, values: Props, observed: Observation | None) -> None:
        value = values.get("SecretString")
        if not isinstance(value, str):
            return  # no longer declared: AWS keeps the value it has
        failure = secret_value.put_value(self.client, secret_id, value)
        if failure is not None:
            raise failure

    def delete(self, physical_id: str, desired: Props) -> None:
        try:
            super().delete(physical_id, desired)
        except ClientError as exc:
            # Already scheduled for deletion: nothing more to do.
            if error_code(exc) != "InvalidRequestException" or not self.client.describe_secret(
                    SecretId=physical_id).get("DeletedDate"):
                raise

    # --- validation -------------------------------------------------------------------------

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        name = props.get("Name")
        if isinstance(name, str) and not _NAME_PATTERN.match(name):
            problems.append(("/Name", "must be 1-512 characters of letters, digits and /_+=.@-"))
        key = props.get("KmsKeyId")
        if isinstance(key, str) and not _KEY_PATTERN.match(key):
            problems.append(("/KmsKeyId", "must be a KMS key ID, key ARN, alias name or alias ARN"))
        spec = props.get("GenerateSecretString")
        if isinstance(spec, dict):
            problems += secret_value.generator_problems(spec)
        if "SecretString" in props and "GenerateSecretString" in props:
            problems.append(("/SecretString", "SecretString and GenerateSecretString are "
                             "mutually exclusive: declare the value or have it generated"))
        return problems


