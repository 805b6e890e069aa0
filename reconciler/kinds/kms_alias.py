"""AWS::KMS::Alias: a friendly name pointing at a KMS key. Not taggable; the name is the ID.

A no-drift observe costs one DescribeKey, which resolves an alias in one call (ListAliases
would page through the account).
"""

from __future__ import annotations

import re

from reconciler.kinds.base import Props
from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.listing import Listing

_ALIAS_NAME = re.compile(r"^alias/[a-zA-Z0-9:/_-]+$")


class KmsAlias(DeclaredKind):
    type_name = "AWS::KMS::Alias"
    listing = Listing("kms", "ListAliases",
                      "Aliases[?!starts_with(AliasName, 'alias/aws/')].AliasName")
    managed_properties = frozenset({"AliasName", "TargetKeyId"})
    # Users write the target as a key ID or a key ARN; AWS reports the ID.
    identifier_paths = frozenset({"/TargetKeyId"})

    service, identifier = "kms", "AliasName"
    read_call = Call("DescribeKey", id_member="KeyId", renames={"/TargetKeyId": "KeyId"},
                     result="KeyMetadata")
    create_call = Call("CreateAlias")
    writers = {"TargetKeyId": Call("UpdateAlias")}
    delete_call = Call("DeleteAlias")

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
