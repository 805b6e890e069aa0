"""AWS::DynamoDB::Table: what AWS would refuse but moto accepts, found at validate.

Pure functions over the declared properties (values may still be intrinsics: skipped).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.kinds.base import is_intrinsic
from reconciler.kinds.dynamodb_table_shape import PAY_PER_REQUEST, PROVISIONED

_NAME = re.compile(r"^[a-zA-Z0-9_.-]{3,255}$")
# Sub-properties of the schema this kind does not reconcile: declaring them is an error.
_UNMANAGED_GSI_KEYS = ("ContributorInsightsSpecification", "OnDemandThroughput",
                       "WarmThroughput")


def is_literal(value: Any) -> bool:
    """False for an unresolved intrinsic ({"Ref": ...} or {"Fn::...": ...})."""
    return not is_intrinsic(value)


def validation_issues(props: Mapping[str, Any]) -> list[tuple[str, str]]:
    issues: list[tuple[str, str]] = []
    name = props.get("TableName")
    if isinstance(name, str) and is_literal(name) and not _NAME.match(name):
        issues.append(("/TableName", "must be 3-255 characters of a-z, A-Z, 0-9, '_', '-', '.'"))
    mode = props.get("BillingMode", PROVISIONED)  # its enum is the schema's to check
    issues += _throughput_issues(props.get("ProvisionedThroughput"), mode, "")
    issues += _key_issues(props)
    indexes = props.get("GlobalSecondaryIndexes")
    seen: set[str] = set()
    if isinstance(indexes, list):
        for i, index in enumerate(indexes):
            if isinstance(index, dict):
                issues += _index_issues(index, mode, f"/GlobalSecondaryIndexes/{i}", seen)
    issues += _local_index_issues(props, seen)
    issues += _option_issues(props)
    return issues


_MAX_LOCAL_INDEXES = 5


def _local_index_issues(props: Mapping[str, Any], seen: set[str]) -> list[tuple[str, str]]:
    """An LSI shares the table's partition key and needs a sort key of its own, which a table
    without a sort key cannot have; at most five, named apart from every other index."""
    indexes = props.get("LocalSecondaryIndexes")
    if not isinstance(indexes, list):
        return []
    issues: list[tuple[str, str]] = []
    if len(indexes) > _MAX_LOCAL_INDEXES:
        issues.append(("/LocalSecondaryIndexes", "DynamoDB allows at most 5 local secondary "
                                                 "indexes per table"))
    table_keys = props.get("KeySchema")
    table_hash = _hash_key(table_keys)
    has_range = isinstance(table_keys, list) and any(
        isinstance(k, dict) and k.get("KeyType") == "RANGE" for k in table_keys)
    if isinstance(table_keys, list) and table_hash is not None and not has_range:
        issues.append(("/LocalSecondaryIndexes", "needs a table with a sort (RANGE) key"))
    for i, index in enumerate(indexes):
        if not isinstance(index, dict):
            continue
        at = f"/LocalSecondaryIndexes/{i}"
        # Throughput belongs to the table: the GSI checks without it.
        issues += _index_issues(index, PAY_PER_REQUEST, at, seen)
        own_hash = _hash_key(index.get("KeySchema"))
        if table_hash is not None and own_hash is not None and own_hash != table_hash:
            issues.append((f"{at}/KeySchema", f"the partition (HASH) key must be the table's "
                                              f"({table_hash!r})"))
    return issues


def _hash_key(keys: Any) -> str | None:
    if not isinstance(keys, list):
        return None
    found = [k.get("AttributeName") for k in keys
             if isinstance(k, dict) and k.get("KeyType") == "HASH"]
    return found[0] if len(found) == 1 and isinstance(found[0], str) else None


def _throughput_issues(value: Any, mode: Any, at: str) -> list[tuple[str, str]]:
    if not (is_literal(mode) and is_literal(value)):
        return []
    pointer = f"{at}/ProvisionedThroughput"
    if mode == PROVISIONED and value is None:
        return [(pointer, "is required when BillingMode is PROVISIONED (the default)")]
    if mode == PAY_PER_REQUEST and value is not None:
        return [(pointer, "must be omitted when BillingMode is PAY_PER_REQUEST")]
    issues = []
    if isinstance(value, dict):
        for unit in ("ReadCapacityUnits", "WriteCapacityUnits"):
            units = value.get(unit)
            if isinstance(units, int | float) and not isinstance(units, bool) and units < 1:
                issues.append((f"{pointer}/{unit}", "must be at least 1"))
    return issues


def _key_issues(props: Mapping[str, Any]) -> list[tuple[str, str]]:
    definitions = props.get("AttributeDefinitions")
    if not isinstance(definitions, list) or not all(
            isinstance(d, dict) and is_literal(d.get("AttributeName")) for d in definitions):
        return []
    issues: list[tuple[str, str]] = []
    defined: set[str] = set()
    for i, definition in enumerate(definitions):
        if definition.get("AttributeName") in defined:
            issues.append((f"/AttributeDefinitions/{i}/AttributeName", "is defined twice"))
        defined.add(definition.get("AttributeName"))
    used: set[str] = set()
    schemas = [("/KeySchema", props.get("KeySchema"))]
    indexes = props.get("GlobalSecondaryIndexes")
    if isinstance(indexes, list):
        schemas += [(f"/GlobalSecondaryIndexes/{i}/KeySchema", g.get("KeySchema"))
                    for i, g in enumerate(indexes) if isinstance(g, dict)]
    local = props.get("LocalSecondaryIndexes")
    if isinstance(local, list):
        schemas += [(f"/LocalSecondaryIndexes/{i}/KeySchema", g.get("KeySchema"))
                    for i, g in enumerate(local) if isinstance(g, dict)]
    for at, keys in schemas:
        if not isinstance(keys, list):
            continue
        issues += _key_order_issues(keys, at)
        for j, key in enumerate(keys):
            attribute = key.get("AttributeName") if isinstance(key, dict) else None
            if not isinstance(attribute, str):
                continue
            used.add(attribute)
            if attribute not in defined:
                issues.append((f"{at}/{j}/AttributeName",
                               f"{attribute!r} is not in AttributeDefinitions"))
    for i, definition in enumerate(definitions):
        if definition.get("AttributeName") not in used:
            issues.append((f"/AttributeDefinitions/{i}",
                           f"{definition.get('AttributeName')!r} is not used by the key schema "
                           "or an index; DynamoDB rejects unused attribute definitions"))
    return issues


def _key_order_issues(keys: list[Any], at: str) -> list[tuple[str, str]]:
    types = [k.get("KeyType") for k in keys if isinstance(k, dict)]
    if not all(isinstance(t, str) for t in types):
        return []
    if types not in (["HASH"], ["HASH", "RANGE"]):
        return [(at, "must be one HASH key, optionally followed by one RANGE key")]
    return []


def _index_issues(index: Mapping[str, Any], mode: Any, at: str,
                  seen: set[str]) -> list[tuple[str, str]]:
    issues: list[tuple[str, str]] = []
    name = index.get("IndexName")
    if isinstance(name, str):  # its pattern is the schema's to check
        if name in seen:
            issues.append((f"{at}/IndexName", f"index {name!r} is declared twice"))
        seen.add(name)
    issues += _throughput_issues(index.get("ProvisionedThroughput"), mode, at)
    projection = index.get("Projection")
    if isinstance(projection, dict) and is_literal(projection.get("ProjectionType", "ALL")):
        kind = projection.get("ProjectionType", "ALL")
        if kind == "INCLUDE" and not projection.get("NonKeyAttributes"):
            issues.append((f"{at}/Projection/NonKeyAttributes", "is required with INCLUDE"))
        elif kind != "INCLUDE" and projection.get("NonKeyAttributes"):
            issues.append((f"{at}/Projection/NonKeyAttributes", "is only allowed with INCLUDE"))
    issues += [(f"{at}/{key}", "is not managed by the reconciler")
               for key in _UNMANAGED_GSI_KEYS if key in index]
    return issues


def _option_issues(props: Mapping[str, Any]) -> list[tuple[str, str]]:
    issues: list[tuple[str, str]] = []
    ttl = props.get("TimeToLiveSpecification")
    if isinstance(ttl, dict) and ttl.get("Enabled") is True and not ttl.get("AttributeName"):
        issues.append(("/TimeToLiveSpecification/AttributeName", "is required when Enabled"))
    sse = props.get("SSESpecification")
    if isinstance(sse, dict) and sse.get("KMSMasterKeyId") is not None:
        if is_literal(sse.get("SSEType")) and sse.get("SSEType") != "KMS":
            issues.append(("/SSESpecification/SSEType", "must be KMS when KMSMasterKeyId is set"))
        if sse.get("SSEEnabled") is False:
            issues.append(("/SSESpecification/KMSMasterKeyId",
                           "is only allowed when SSEEnabled is true"))
    stream = props.get("StreamSpecification")
    if isinstance(stream, dict) and "ResourcePolicy" in stream:
        issues.append(("/StreamSpecification/ResourcePolicy", "is not managed by the reconciler"))
    pitr = props.get("PointInTimeRecoverySpecification")
    if (isinstance(pitr, dict) and "RecoveryPeriodInDays" in pitr
            and pitr.get("PointInTimeRecoveryEnabled") is not True):
        issues.append(("/PointInTimeRecoverySpecification/RecoveryPeriodInDays",
                       "is only allowed when PointInTimeRecoveryEnabled is true"))
    return issues
