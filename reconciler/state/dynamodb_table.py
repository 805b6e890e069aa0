"""The DynamoDB table behind ``--state dynamodb://TABLE``: created when missing, refused when
its key schema is not ours. Called once when a store opens, never in the reconcile loop."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reconciler.errors import ReconcilerError

SCHEME = "dynamodb://"
KEY_SCHEMA = [{"AttributeName": "pk", "KeyType": "HASH"},
              {"AttributeName": "sk", "KeyType": "RANGE"}]
ATTRIBUTES = [{"AttributeName": "pk", "AttributeType": "S"},
              {"AttributeName": "sk", "AttributeType": "S"}]
# How long opening waits for a table being created to become ACTIVE (AWS: seconds).
ACTIVE_WAIT_SECONDS = 300


def is_dynamodb(location: object) -> bool:
    return str(location).startswith(SCHEME)


def table_name(location: str) -> str:
    """The TABLE of ``dynamodb://TABLE``, checked against DynamoDB's naming rules."""
    name = location[len(SCHEME):]
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
    if not 3 <= len(name) <= 255 or not set(name) <= allowed:
        raise ReconcilerError(f"--state {location}: a DynamoDB table name is 3 to 255 letters, "
                              "digits, '_', '-' or '.'")
    return name


def describe(client: Any, name: str) -> dict[str, Any] | None:
    """The table's description, or None when there is no such table."""
    try:
        return dict(client.describe_table(TableName=name)["Table"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise ReconcilerError(f"state table {name}: {_reason(exc)}") from exc


def ensure(client: Any, name: str) -> None:
    """Create the table (on-demand billing) if it is missing, wait until it is ACTIVE, and
    refuse one whose key schema is not the store's."""
    table = describe(client, name)
    if table is None:
        try:
            client.create_table(TableName=name, KeySchema=KEY_SCHEMA,
                                AttributeDefinitions=ATTRIBUTES, BillingMode="PAY_PER_REQUEST",
                                Tags=[{"Key": "reconciler:purpose", "Value": "state"}])
        except ClientError as exc:
            # Another worker starting at the same moment created it first: use theirs.
            if exc.response.get("Error", {}).get("Code") != "ResourceInUseException":
                raise ReconcilerError(f"cannot create state table {name}: {_reason(exc)}"
                                      ) from exc
        table = describe(client, name) or {}
    _check_keys(name, table)
    if table.get("TableStatus") != "ACTIVE":
        waiter = client.get_waiter("table_exists")
        waiter.wait(TableName=name, WaiterConfig={"Delay": 2,
                                                  "MaxAttempts": ACTIVE_WAIT_SECONDS // 2})


def _check_keys(name: str, table: dict[str, Any]) -> None:
    keys = {k["AttributeName"]: k["KeyType"] for k in table.get("KeySchema", [])}
    types = {a["AttributeName"]: a["AttributeType"]
             for a in table.get("AttributeDefinitions", [])}
    if keys == {"pk": "HASH", "sk": "RANGE"} and types.get("pk") == types.get("sk") == "S":
        return
    found = ", ".join(f"{n} ({t}, {types.get(n, '?')})" for n, t in keys.items()) or "none"
    raise ReconcilerError(
        f"DynamoDB table {name} is not a reconciler state table: its key schema is {found}, "
        "a state table has pk (HASH, S) and sk (RANGE, S); give --state another table name")


def _reason(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
