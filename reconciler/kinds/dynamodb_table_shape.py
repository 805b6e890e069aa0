"""AWS::DynamoDB::Table: mapping between CloudFormation's shape and the DynamoDB API's.

Pure functions, no boto3 calls: DescribeTable & co. responses become normalized
CloudFormation properties, declared properties become API arguments, and
``validation_issues`` finds what AWS would refuse but moto accepts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.kinds.base import is_intrinsic

Props = dict[str, Any]

PROVISIONED = "PROVISIONED"
PAY_PER_REQUEST = "PAY_PER_REQUEST"
# AWS keeps 35 days of point-in-time backups unless told otherwise.
DEFAULT_RECOVERY_DAYS = 35
_ENABLED_STATES = frozenset({"ENABLED", "ENABLING", "UPDATING"})
_NAME = re.compile(r"^[a-zA-Z0-9_.-]{3,255}$")
# Sub-properties of the schema this kind does not reconcile: declaring them is an error.
_UNMANAGED_GSI_KEYS = ("ContributorInsightsSpecification", "OnDemandThroughput",
                       "WarmThroughput")


# --- AWS -> CloudFormation (observe) ----------------------------------------------------------

def billing_mode(table: Mapping[str, Any]) -> str:
    # BillingModeSummary is absent on tables that were always PROVISIONED.
    return str((table.get("BillingModeSummary") or {}).get("BillingMode") or PROVISIONED)


def table_properties(table: Mapping[str, Any], desired: Mapping[str, Any]) -> Props:
    """Every property DescribeTable answers, shaped as CloudFormation writes it."""
    on_demand = billing_mode(table) == PAY_PER_REQUEST
    stream = table.get("StreamSpecification") or {}
    return {
        "TableName": table["TableName"],
        "BillingMode": billing_mode(table),
        # On-demand tables report 0/0 (moto: the old figures) that mean nothing.
        "ProvisionedThroughput": None if on_demand else throughput(
            table.get("ProvisionedThroughput")),
        "AttributeDefinitions": order_like(
            [{"AttributeName": a["AttributeName"], "AttributeType": a["AttributeType"]}
             for a in table.get("AttributeDefinitions") or ()
             if a["AttributeName"] in _key_attributes(table)],
            desired.get("AttributeDefinitions"), "AttributeName"),
        "KeySchema": key_schema(table.get("KeySchema")),
        "GlobalSecondaryIndexes": order_like(
            [global_index(g, on_demand, _by_name(desired.get("GlobalSecondaryIndexes"))
                          .get(g["IndexName"]))
             for g in table.get("GlobalSecondaryIndexes") or ()],
            desired.get("GlobalSecondaryIndexes"), "IndexName"),
        # An LSI has no throughput or status of its own: its keys and projection are all.
        "LocalSecondaryIndexes": order_like(
            [global_index(i, True, _by_name(desired.get("LocalSecondaryIndexes"))
                          .get(i["IndexName"]))
             for i in table.get("LocalSecondaryIndexes") or ()],
            desired.get("LocalSecondaryIndexes"), "IndexName"),
        "SSESpecification": sse_specification(table.get("SSEDescription")),
        "StreamSpecification": ({"StreamViewType": stream["StreamViewType"]}
                                if stream.get("StreamEnabled") else None),
        "DeletionProtectionEnabled": bool(table.get("DeletionProtectionEnabled", False)),
    }


def _key_attributes(table: Mapping[str, Any]) -> set[str]:
    """Attributes some key uses: AWS drops the others' definitions with their index (moto
    keeps them, which is not drift)."""
    schemas = [table.get("KeySchema") or ()]
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        schemas += [i.get("KeySchema") or () for i in table.get(kind) or ()]
    return {k["AttributeName"] for keys in schemas for k in keys}


def throughput(value: Mapping[str, Any] | None) -> Props | None:
    if not value:
        return None
    return {"ReadCapacityUnits": int(value.get("ReadCapacityUnits", 0)),
            "WriteCapacityUnits": int(value.get("WriteCapacityUnits", 0))}


def key_schema(keys: Iterable[Mapping[str, Any]] | None) -> list[Props]:
    # HASH before RANGE, as CloudFormation and the schema's prefixItems expect.
    ordered = sorted(keys or (), key=lambda k: 0 if k.get("KeyType") == "HASH" else 1)
    return [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in ordered]


def global_index(index: Mapping[str, Any], on_demand: bool,
                 declared: Mapping[str, Any] | None) -> Props:
    """One GSI without IndexStatus, IndexArn, sizes and warm throughput."""
    projection = index.get("Projection") or {}
    shaped_projection: Props = {"ProjectionType": projection.get("ProjectionType", "ALL")}
    if projection.get("NonKeyAttributes"):
        wanted = _mapping(_mapping(declared).get("Projection")).get("NonKeyAttributes")
        shaped_projection["NonKeyAttributes"] = order_like(
            list(projection["NonKeyAttributes"]), wanted, None)
    shaped: Props = {
        "IndexName": index["IndexName"],
        "KeySchema": key_schema(index.get("KeySchema")),
        "Projection": shaped_projection,
    }
    if not on_demand:
        shaped["ProvisionedThroughput"] = throughput(index.get("ProvisionedThroughput"))
    return shaped


def sse_specification(description: Mapping[str, Any] | None) -> Props:
    # No SSEDescription (or DISABLED) means the AWS owned key: CloudFormation's SSEEnabled false.
    if not description or description.get("Status") not in _ENABLED_STATES:
        return {"SSEEnabled": False}
    shaped: Props = {"SSEEnabled": True, "SSEType": description.get("SSEType", "KMS")}
    if description.get("KMSMasterKeyArn"):
        shaped["KMSMasterKeyId"] = description["KMSMasterKeyArn"]
    return shaped


def time_to_live(description: Mapping[str, Any], declared: Mapping[str, Any] | None) -> Props:
    enabled = description.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
    name = description.get("AttributeName")
    if not enabled:
        # AWS forgets the attribute once TTL is off, so a declared name cannot drift then.
        name = _mapping(declared).get("AttributeName", name)
    shaped: Props = {"Enabled": enabled}
    if name is not None:
        shaped["AttributeName"] = name
    return shaped


def point_in_time_recovery(description: Mapping[str, Any],
                           declared: Mapping[str, Any] | None) -> Props:
    enabled = description.get("PointInTimeRecoveryStatus") == "ENABLED"
    shaped: Props = {"PointInTimeRecoveryEnabled": enabled}
    if enabled:
        shaped["RecoveryPeriodInDays"] = int(
            description.get("RecoveryPeriodInDays", DEFAULT_RECOVERY_DAYS))
    elif "RecoveryPeriodInDays" in _mapping(declared):
        # The period only exists while recovery is on; it is not drift of its own.
        shaped["RecoveryPeriodInDays"] = _mapping(declared)["RecoveryPeriodInDays"]
    return shaped


def order_like(items: list[Any], declared: Any, key: str | None) -> list[Any]:
    """``items`` in the declared order (AWS returns sets in its own order); undeclared
    items keep AWS's order at the end. ``key`` None compares the items themselves."""
    if not isinstance(declared, list):
        return items
    wanted = [(d.get(key) if isinstance(d, dict) else None) if key else d for d in declared]

    def rank(item: Any) -> int:
        ident = item.get(key) if key else item
        return wanted.index(ident) if ident in wanted else len(wanted)

    return sorted(items, key=rank)


def _mapping(value: Any) -> Mapping[str, Any]:
    """A declared value as a mapping; anything else (a value known only after apply) as {}."""
    return value if isinstance(value, Mapping) else {}


def _by_name(indexes: Any) -> dict[str, Props]:
    if not isinstance(indexes, list):
        return {}
    return {g["IndexName"]: g for g in indexes
            if isinstance(g, dict) and isinstance(g.get("IndexName"), str)}


# --- CloudFormation -> AWS (create, update) ---------------------------------------------------

def create_arguments(desired: Mapping[str, Any], tags: Mapping[str, str]) -> Props:
    """CreateTable arguments; TTL and PITR are separate calls CreateTable does not take."""
    mode = desired.get("BillingMode", PROVISIONED)
    args: Props = {
        "TableName": desired["TableName"],
        "AttributeDefinitions": list(desired.get("AttributeDefinitions") or ()),
        "KeySchema": list(desired["KeySchema"]),
        "BillingMode": mode,
    }
    if mode == PROVISIONED:
        args["ProvisionedThroughput"] = dict(desired["ProvisionedThroughput"])
    if desired.get("GlobalSecondaryIndexes"):
        args["GlobalSecondaryIndexes"] = [index_arguments(g, mode)
                                          for g in desired["GlobalSecondaryIndexes"]]
    if desired.get("LocalSecondaryIndexes"):
        args["LocalSecondaryIndexes"] = [index_arguments(i, PAY_PER_REQUEST)
                                         for i in desired["LocalSecondaryIndexes"]]
    if desired.get("SSESpecification"):
        args["SSESpecification"] = sse_arguments(desired["SSESpecification"])
    if desired.get("StreamSpecification"):
        args["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": desired["StreamSpecification"]["StreamViewType"],
        }
    if "DeletionProtectionEnabled" in desired:
        args["DeletionProtectionEnabled"] = bool(desired["DeletionProtectionEnabled"])
    if tags:
        args["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    return args


def index_arguments(index: Mapping[str, Any], mode: str) -> Props:
    args: Props = {
        "IndexName": index["IndexName"],
        "KeySchema": list(index["KeySchema"]),
        "Projection": dict(index["Projection"]),
    }
    if mode == PROVISIONED and index.get("ProvisionedThroughput"):
        args["ProvisionedThroughput"] = dict(index["ProvisionedThroughput"])
    return args


def sse_arguments(sse: Mapping[str, Any] | None) -> Props:
    if not sse or not sse.get("SSEEnabled"):
        return {"Enabled": False}
    args: Props = {"Enabled": True, "SSEType": sse.get("SSEType", "KMS")}
    if sse.get("KMSMasterKeyId"):
        args["KMSMasterKeyId"] = sse["KMSMasterKeyId"]
    return args


def index_needs_rebuild(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """A GSI's keys and projection are fixed: changing them means delete and create again."""
    shaped = global_index(wanted, True, wanted)
    return (key_schema(wanted.get("KeySchema")) != current.get("KeySchema")
            or shaped["Projection"] != current.get("Projection"))


# --- semantic validation ----------------------------------------------------------------------

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
