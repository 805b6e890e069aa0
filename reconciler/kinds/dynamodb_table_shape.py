"""AWS::DynamoDB::Table: mapping between CloudFormation's shape and the DynamoDB API's.

Pure functions, no boto3 calls: DescribeTable & co. responses become normalized
CloudFormation properties, and declared properties become API arguments. What AWS would
refuse but moto accepts is found by ``dynamodb_table_checks``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Props = dict[str, Any]

PROVISIONED = "PROVISIONED"
PAY_PER_REQUEST = "PAY_PER_REQUEST"
# AWS keeps 35 days of point-in-time backups unless told otherwise.
DEFAULT_RECOVERY_DAYS = 35
_ENABLED_STATES = frozenset({"ENABLED", "ENABLING", "UPDATING"})


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
