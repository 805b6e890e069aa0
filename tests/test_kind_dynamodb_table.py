"""AWS::DynamoDB::Table: the kind against the moto server over HTTP, plus the CLI round trip.

Where moto cannot show AWS's behaviour (SSE updates are silent no-ops, describe
responses moto never produces) the test uses botocore's Stubber, which checks
every request against the real service model, and says so in its docstring.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from reconciler.aws.clients import AwsClients
from reconciler.engine.diff import PropertyDiff
from reconciler.engine.model import Action
from reconciler.errors import ReconcilerError
from reconciler.kinds.base import Observation, Props, TransientError
from reconciler.kinds.dynamodb_table import DynamoDBTable
from reconciler.template.model import Unknown
from reconciler.template.schema_check import check_properties
from tests.harness import Stack

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/"
DIFF = PropertyDiff(DynamoDBTable)


def pk(*names: str) -> list[Props]:
    return [{"AttributeName": n, "AttributeType": "S"} for n in names]


def index(name: str, attribute: str, projection: str = "KEYS_ONLY",
          throughput: tuple[int, int] | None = None, **extra: Any) -> Props:
    gsi: Props = {"IndexName": name,
                  "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
                  "Projection": {"ProjectionType": projection, **extra}}
    if throughput:
        gsi["ProvisionedThroughput"] = units(*throughput)
    return gsi


def units(read: int, write: int) -> Props:
    return {"ReadCapacityUnits": read, "WriteCapacityUnits": write}


def changed(base: Props, **changes: Any) -> Props:
    """A copy of base with changes applied; a change to None removes the property."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


ON_DEMAND: Props = {
    "TableName": "events",
    "BillingMode": "PAY_PER_REQUEST",
    "AttributeDefinitions": pk("pk", "owner"),
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "GlobalSecondaryIndexes": [index("by-owner", "owner")],
}
PROVISIONED = changed(ON_DEMAND, BillingMode="PROVISIONED", ProvisionedThroughput=units(4, 2),
                      GlobalSecondaryIndexes=[index("by-owner", "owner", throughput=(1, 1))])


@pytest.fixture
def kind(clients: AwsClients) -> DynamoDBTable:
    return DynamoDBTable(clients)


@pytest.fixture
def key_id(clients: AwsClients) -> str:
    return str(clients.client("kms").create_key()["KeyMetadata"]["KeyId"])


@pytest.fixture
def update_calls(clients: AwsClients) -> Iterator[list[Props]]:
    """Every UpdateTable request the kind sends, as parameters."""
    calls: list[Props] = []

    def record(params: Props, **_: Any) -> None:
        calls.append(copy.deepcopy(params))

    events = clients.client("dynamodb").meta.events
    events.register("provide-client-params.dynamodb.UpdateTable", record)
    yield calls
    events.unregister("provide-client-params.dynamodb.UpdateTable", record)


def drifted(kind: DynamoDBTable, desired: Props) -> set[str]:
    observed = kind.observe(desired["TableName"], desired)
    assert observed is not None
    return {entry.path.split("/")[1] for entry in DIFF.diff(desired, observed.properties)}


def full_table(key: str) -> Props:
    return {
        "TableName": "orders",
        "BillingMode": "PROVISIONED",
        "ProvisionedThroughput": units(5, 3),
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "owner", "AttributeType": "S"},
        ],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                      {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [index("by-owner", "owner", "INCLUDE", (2, 1),
                                         NonKeyAttributes=["total", "status"])],
        "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
        "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": key},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True,
                                             "RecoveryPeriodInDays": 7},
        "DeletionProtectionEnabled": True,
        "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
    }


# --- create and observe -----------------------------------------------------------------------

@pytest.mark.parametrize("billing", ["PROVISIONED", "PAY_PER_REQUEST"])
def test_create_with_every_property_observes_exactly_the_declared_values(
        kind: DynamoDBTable, key_id: str, billing: str) -> None:
    desired = full_table(key_id)
    if billing == "PAY_PER_REQUEST":
        desired = changed(desired, BillingMode=billing, ProvisionedThroughput=None)
        del desired["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]
    tags = {"team": "toron", "reconciler:owner": "test"}

    created = kind.create(desired, tags)

    assert created.physical_id == "orders"
    assert created.attributes["Arn"] == ARN + "orders"
    observed = kind.observe("orders", desired)
    assert observed is not None
    assert {k: observed.properties[k] for k in desired} == desired
    assert DIFF.diff(desired, observed.properties) == []
    assert observed.tags == tags
    assert observed.attributes["Ref"] == "orders"
    assert observed.attributes["Arn"] == ARN + "orders"
    assert observed.attributes["StreamArn"].startswith(ARN + "orders/stream/")


def test_minimal_table_observes_server_defaults_normalized(kind: DynamoDBTable) -> None:
    desired = {"TableName": "plain", "AttributeDefinitions": pk("pk"),
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
               "ProvisionedThroughput": units(1, 1)}
    kind.create(desired, {})

    observed = kind.observe("plain", desired)

    assert observed is not None
    assert observed.properties == {
        **desired,
        "BillingMode": "PROVISIONED",
        "GlobalSecondaryIndexes": [],
        "LocalSecondaryIndexes": [],
        "SSESpecification": {"SSEEnabled": False},
        "StreamSpecification": None,
        "DeletionProtectionEnabled": False,
    }
    assert observed.attributes["StreamArn"] is None
    assert observed.tags == {}


def test_observe_missing_table_is_none(kind: DynamoDBTable) -> None:
    assert kind.observe("nope", {"TableName": "nope"}) is None


@pytest.mark.parametrize(("declared", "operations"), [
    ((), ["DescribeTable", "ListTagsOfResource"]),
    (("TimeToLiveSpecification",), ["DescribeTable", "DescribeTimeToLive",
                                    "ListTagsOfResource"]),
    (("TimeToLiveSpecification", "PointInTimeRecoverySpecification"),
     ["DescribeTable", "DescribeTimeToLive", "DescribeContinuousBackups",
      "ListTagsOfResource"]),
])
def test_observe_reads_only_what_is_declared(clients: AwsClients, kind: DynamoDBTable,
                                             key_id: str, declared: tuple[str, ...],
                                             operations: list[str]) -> None:
    full = full_table(key_id)
    kind.create(full, {"a": "1"})
    desired = {k: v for k, v in full.items()
               if k not in ("TimeToLiveSpecification", "PointInTimeRecoverySpecification")
               or k in declared}
    seen: list[str] = []
    clients.on_call(lambda service, operation, result: seen.append(operation))

    observed = kind.observe("orders", desired)

    assert observed is not None
    assert seen == operations
    assert DIFF.diff(desired, observed.properties) == []


def test_on_demand_after_provisioned_hides_stale_throughput(kind: DynamoDBTable) -> None:
    """moto keeps the old figures visible after a switch to on-demand; AWS shows 0/0."""
    kind.create(PROVISIONED, {})
    kind.aws.client("dynamodb").update_table(TableName="events", BillingMode="PAY_PER_REQUEST")

    observed = kind.observe("events", ON_DEMAND)

    assert observed is not None
    assert observed.properties["BillingMode"] == "PAY_PER_REQUEST"
    assert observed.properties["ProvisionedThroughput"] is None
    assert observed.properties["GlobalSecondaryIndexes"] == ON_DEMAND["GlobalSecondaryIndexes"]


def test_declared_alias_matches_the_key_arn_aws_reports(clients: AwsClients,
                                                        kind: DynamoDBTable) -> None:
    kms = clients.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/cache", TargetKeyId=key["KeyId"])
    sse = {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": key["Arn"]}
    kind.create(changed(ON_DEMAND, SSESpecification=sse), {})
    desired = changed(ON_DEMAND, SSESpecification={**sse, "KMSMasterKeyId": "alias/cache"})

    observed = kind.observe("events", desired)

    assert observed is not None
    assert observed.properties["SSESpecification"]["KMSMasterKeyId"] == "alias/cache"
    other = kms.create_key()["KeyMetadata"]
    kms.update_alias(AliasName="alias/cache", TargetKeyId=other["KeyId"])
    observed = kind.observe("events", desired)
    assert observed is not None
    assert observed.properties["SSESpecification"]["KMSMasterKeyId"] == key["Arn"]


def test_observe_tolerates_values_known_only_after_apply(kind: DynamoDBTable) -> None:
    kind.create(changed(ON_DEMAND, TimeToLiveSpecification=TTL), {})
    later = Unknown("DataKey.Arn")
    desired = changed(ON_DEMAND, TimeToLiveSpecification=later,
                      PointInTimeRecoverySpecification=later,
                      SSESpecification={"SSEEnabled": True, "KMSMasterKeyId": later})

    observed = kind.observe("events", desired)

    assert observed is not None
    assert observed.properties["TimeToLiveSpecification"] == TTL
    assert observed.properties["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": False}


def test_observe_aws_only_shapes_stubbed(kind: DynamoDBTable) -> None:
    """Stubbed (moto never answers like this): a PROVISIONED table without
    BillingModeSummary, no SSEDescription, and TTL that AWS reports DISABLED without its
    attribute name, so only Enabled may drift."""
    ddb = kind.aws.client("dynamodb")
    desired = {"TableName": "legacy", "AttributeDefinitions": pk("pk"),
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
               "ProvisionedThroughput": units(3, 3), "BillingMode": "PROVISIONED",
               "SSESpecification": {"SSEEnabled": False},
               "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True}}
    with Stubber(ddb) as stub:
        stub.add_response("describe_table", {"Table": {
            "TableName": "legacy", "TableStatus": "ACTIVE", "TableArn": ARN + "legacy",
            "AttributeDefinitions": pk("pk"),
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "ProvisionedThroughput": units(3, 3)}},
            {"TableName": "legacy"})
        stub.add_response("describe_time_to_live",
                          {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}},
                          {"TableName": "legacy"})
        stub.add_response("list_tags_of_resource", {"Tags": []},
                          {"ResourceArn": ARN + "legacy"})
        observed = kind.observe("legacy", desired)

    assert observed is not None
    assert [e.to_json() for e in DIFF.diff(desired, observed.properties)] == [
        {"path": "/TimeToLiveSpecification/Enabled", "old": False, "new": True}]


# --- update -----------------------------------------------------------------------------------

TTL = {"AttributeName": "expires_at", "Enabled": True}
PITR = {"PointInTimeRecoveryEnabled": True}

UPDATES = [
    # (case, start, target, properties expected to drift, passes: one UpdateTable
    # step each, on moto where tables are ACTIVE at once)
    ("to-provisioned", ON_DEMAND, PROVISIONED,
     {"BillingMode", "ProvisionedThroughput", "GlobalSecondaryIndexes"}, 1),
    ("to-on-demand", PROVISIONED, ON_DEMAND, {"BillingMode"}, 1),
    ("table-throughput", PROVISIONED, changed(PROVISIONED, ProvisionedThroughput=units(9, 6)),
     {"ProvisionedThroughput"}, 1),
    ("index-throughput", PROVISIONED, changed(PROVISIONED, GlobalSecondaryIndexes=[
        index("by-owner", "owner", throughput=(3, 2))]), {"GlobalSecondaryIndexes"}, 1),
    ("index-added", ON_DEMAND, changed(
        ON_DEMAND, AttributeDefinitions=pk("pk", "owner", "kind"),
        GlobalSecondaryIndexes=[index("by-owner", "owner"), index("by-kind", "kind")]),
     {"AttributeDefinitions", "GlobalSecondaryIndexes"}, 1),
    ("index-added-provisioned", PROVISIONED, changed(
        PROVISIONED, AttributeDefinitions=pk("pk", "owner", "kind"),
        GlobalSecondaryIndexes=[index("by-owner", "owner", throughput=(1, 1)),
                                index("by-kind", "kind", throughput=(2, 2))]),
     {"AttributeDefinitions", "GlobalSecondaryIndexes"}, 1),
    ("index-removed", ON_DEMAND, changed(ON_DEMAND, AttributeDefinitions=pk("pk"),
                                         GlobalSecondaryIndexes=[]),
     {"AttributeDefinitions", "GlobalSecondaryIndexes"}, 1),
    ("index-swapped", ON_DEMAND, changed(
        ON_DEMAND, AttributeDefinitions=pk("pk", "kind"),
        GlobalSecondaryIndexes=[index("by-kind", "kind")]),
     {"AttributeDefinitions", "GlobalSecondaryIndexes"}, 2),
    ("index-projection-rebuilt", ON_DEMAND, changed(ON_DEMAND, GlobalSecondaryIndexes=[
        index("by-owner", "owner", "INCLUDE", NonKeyAttributes=["total"])]),
     {"GlobalSecondaryIndexes"}, 2),
    ("ttl-enabled", ON_DEMAND, changed(ON_DEMAND, TimeToLiveSpecification=TTL),
     {"TimeToLiveSpecification"}, 1),
    ("ttl-disabled", changed(ON_DEMAND, TimeToLiveSpecification=TTL),
     changed(ON_DEMAND, TimeToLiveSpecification={**TTL, "Enabled": False}),
     {"TimeToLiveSpecification"}, 1),
    ("ttl-renamed", changed(ON_DEMAND, TimeToLiveSpecification=TTL),
     changed(ON_DEMAND, TimeToLiveSpecification={**TTL, "AttributeName": "ttl"}),
     {"TimeToLiveSpecification"}, 1),
    ("stream-enabled", ON_DEMAND,
     changed(ON_DEMAND, StreamSpecification={"StreamViewType": "KEYS_ONLY"}),
     {"StreamSpecification"}, 1),
    ("protection-on", ON_DEMAND, changed(ON_DEMAND, DeletionProtectionEnabled=True),
     {"DeletionProtectionEnabled"}, 1),
    ("protection-off", changed(ON_DEMAND, DeletionProtectionEnabled=True),
     changed(ON_DEMAND, DeletionProtectionEnabled=False), {"DeletionProtectionEnabled"}, 1),
    ("pitr-enabled", ON_DEMAND, changed(ON_DEMAND, PointInTimeRecoverySpecification=PITR),
     {"PointInTimeRecoverySpecification"}, 1),
    ("pitr-period", changed(ON_DEMAND, PointInTimeRecoverySpecification=PITR),
     changed(ON_DEMAND, PointInTimeRecoverySpecification={**PITR, "RecoveryPeriodInDays": 10}),
     {"PointInTimeRecoverySpecification"}, 1),
    ("pitr-disabled", changed(ON_DEMAND, PointInTimeRecoverySpecification=PITR),
     changed(ON_DEMAND, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False}),
     {"PointInTimeRecoverySpecification"}, 1),
    ("several-at-once", ON_DEMAND, changed(
        PROVISIONED, DeletionProtectionEnabled=True, TimeToLiveSpecification=TTL,
        StreamSpecification={"StreamViewType": "NEW_IMAGE"}),
     {"BillingMode", "ProvisionedThroughput", "GlobalSecondaryIndexes",
      "DeletionProtectionEnabled", "TimeToLiveSpecification", "StreamSpecification"}, 3),
]


def update_until_done(kind: DynamoDBTable, update_calls: list[Props], target: Props,
                      observed: Observation, drift: frozenset[str]) -> int:
    """What successive passes of the engine do: update, and while the kind reports pending,
    observe and diff again and update what still drifts. Returns the number of passes."""
    for passes in range(1, 8):
        before = len(update_calls)
        after = kind.update("events", target, observed, drift)
        assert len(update_calls) - before <= 1, "one UpdateTable call per pass"
        if after is None:
            return passes
        assert after.pending
        again = kind.observe("events", target)
        assert again is not None
        observed = again
        drift = frozenset(e.path.split("/")[1] for e in DIFF.diff(target, observed.properties))
    raise AssertionError("still pending after 7 passes")


@pytest.mark.parametrize(("start", "target", "expected", "passes"), [u[1:] for u in UPDATES],
                         ids=[u[0] for u in UPDATES])
def test_update_brings_only_the_drifted_properties_to_desired(
        kind: DynamoDBTable, update_calls: list[Props], start: Props, target: Props,
        expected: set[str], passes: int) -> None:
    kind.create(start, {})
    observed = kind.observe("events", target)
    assert observed is not None
    drift = frozenset(e.path.split("/")[1] for e in DIFF.diff(target, observed.properties))
    assert drift == expected

    assert update_until_done(kind, update_calls, target, observed, drift) == passes

    assert drifted(kind, target) == set()
    for call in update_calls:
        structural = [u for u in call.get("GlobalSecondaryIndexUpdates", ())
                      if "Create" in u or "Delete" in u]
        assert len(structural) <= 1, f"AWS allows one index create/delete per call: {call}"


def test_update_disables_what_is_no_longer_declared(kind: DynamoDBTable) -> None:
    start = changed(ON_DEMAND, StreamSpecification={"StreamViewType": "KEYS_ONLY"},
                    TimeToLiveSpecification=TTL, PointInTimeRecoverySpecification=PITR)
    kind.create(start, {})
    observed = kind.observe("events", start)
    assert observed is not None

    kind.update("events", ON_DEMAND, observed, frozenset(
        {"StreamSpecification", "TimeToLiveSpecification", "PointInTimeRecoverySpecification"}))

    after = kind.observe("events", start)
    assert after is not None
    assert after.properties["StreamSpecification"] is None
    assert after.properties["TimeToLiveSpecification"]["Enabled"] is False
    assert after.properties["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": False}


def test_update_touches_nothing_that_did_not_drift(kind: DynamoDBTable,
                                                   update_calls: list[Props]) -> None:
    kind.create(PROVISIONED, {})
    observed = kind.observe("events", PROVISIONED)
    assert observed is not None

    kind.update("events", PROVISIONED, observed, frozenset({"ProvisionedThroughput"}))

    assert update_calls == []  # same throughput: AWS would refuse a no-op change


def _describe(name: str, **extra: Any) -> Props:
    return {"Table": {"TableName": name, "TableStatus": "ACTIVE", "TableArn": ARN + name,
                      "AttributeDefinitions": pk("pk"),
                      "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], **extra}}


@pytest.mark.parametrize(("sse", "sent"), [
    ({"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/new"},
     {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/new"}),
    ({"SSEEnabled": False}, {"Enabled": False}),
    (None, {"Enabled": False}),
], ids=["key-changed", "disabled", "no-longer-declared"])
def test_sse_update_request_stubbed_because_moto_ignores_it(
        kind: DynamoDBTable, sse: Props | None, sent: Props) -> None:
    """Stubbed: moto accepts SSE changes on UpdateTable and silently ignores them, so the
    request is checked against the real service model instead."""
    desired = changed(ON_DEMAND, TableName="vault", SSESpecification=sse)
    encrypted = {"SSEDescription": {"Status": "ENABLED", "SSEType": "KMS",
                                    "KMSMasterKeyArn": "arn:aws:kms:us-east-1:1:key/old"}}
    ddb = kind.aws.client("dynamodb")
    with Stubber(ddb) as stub:
        stub.add_response("describe_table", _describe("vault", **encrypted), {"TableName": "vault"})
        stub.add_response("update_table", {}, {"TableName": "vault", "SSESpecification": sent})
        after = kind.update("vault", desired, _observation("vault"),
                            frozenset({"SSESpecification"}))
        stub.assert_no_pending_responses()
    assert after is None


def _observation(name: str) -> Observation:
    return Observation(physical_id=name, properties={}, tags={})


def test_stream_view_change_disables_then_enables_stubbed(kind: DynamoDBTable) -> None:
    """Stubbed: AWS cannot change an enabled stream's view type, so the kind disables the
    stream, reports pending, and enables the new one on the next pass; moto refuses to
    re-enable a stream once one existed."""
    ddb = kind.aws.client("dynamodb")
    desired = changed(ON_DEMAND, TableName="feed",
                      StreamSpecification={"StreamViewType": "NEW_IMAGE"})
    enabled = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}}
    stream = frozenset({"StreamSpecification"})
    with Stubber(ddb) as stub:
        stub.add_response("describe_table", _describe("feed", **enabled), {"TableName": "feed"})
        stub.add_response("update_table", _described("feed", "UPDATING"), {
            "TableName": "feed", "StreamSpecification": {"StreamEnabled": False}})
        first = kind.update("feed", desired, _observation("feed"), stream)
        stub.add_response("describe_table", _describe("feed"), {"TableName": "feed"})
        stub.add_response("update_table", _described("feed", "UPDATING"), {
            "TableName": "feed", "StreamSpecification": {
                "StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}})
        second = kind.update("feed", desired, _observation("feed"), stream)
        stub.assert_no_pending_responses()
    assert first is not None and first.pending == (
        "TableStatus UPDATING; stream disable requested, 1 more UpdateTable step to go "
        "(stream enable next)")
    assert second is not None and second.pending == "TableStatus UPDATING"


def _described(name: str, status: str) -> Props:
    """An UpdateTable answer: the table description as AWS returns it after the call."""
    return {"TableDescription": {**_describe(name)["Table"], "TableStatus": status}}


def test_update_never_waits_for_a_busy_table_stubbed(kind: DynamoDBTable) -> None:
    """Stubbed: moto is ACTIVE at once; AWS keeps a table UPDATING and a new index CREATING
    for a while, and refuses the next UpdateTable meanwhile. The kind sends nothing then and
    reports pending; the engine asks again on a later pass."""
    ddb = kind.aws.client("dynamodb")
    creating = [{"IndexName": "by-owner", "IndexStatus": "CREATING",
                 "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "KEYS_ONLY"}}]
    desired = changed(ON_DEMAND, TableName="busy", DeletionProtectionEnabled=True)
    protection = frozenset({"DeletionProtectionEnabled"})
    seen = []
    with Stubber(ddb) as stub:
        stub.add_response("describe_table", _describe("busy", TableStatus="UPDATING"),
                          {"TableName": "busy"})
        stub.add_response("describe_table", _describe("busy", GlobalSecondaryIndexes=creating),
                          {"TableName": "busy"})
        stub.add_response("describe_table", _describe("busy"), {"TableName": "busy"})
        stub.add_response("update_table", _described("busy", "UPDATING"),
                          {"TableName": "busy", "DeletionProtectionEnabled": True})
        for _ in range(3):
            after = kind.update("busy", desired, _observation("busy"), protection)
            seen.append(after.pending if after else None)
        stub.assert_no_pending_responses()
    assert seen == ["TableStatus UPDATING", "index by-owner CREATING", "TableStatus UPDATING"]


def test_observe_reports_pending_until_table_and_indexes_are_active_stubbed(
        kind: DynamoDBTable) -> None:
    """Stubbed: moto never shows a table CREATING or an index backfilling."""
    ddb = kind.aws.client("dynamodb")
    backfilling = [{"IndexName": "by-owner", "IndexStatus": "CREATING", "Backfilling": True,
                    "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"}}]
    seen = []
    with Stubber(ddb) as stub:
        for table in (_describe("slow", TableStatus="CREATING"),
                      _describe("slow", GlobalSecondaryIndexes=backfilling), _describe("slow")):
            stub.add_response("describe_table", table, {"TableName": "slow"})
            stub.add_response("list_tags_of_resource", {"Tags": []},
                              {"ResourceArn": ARN + "slow"})
            observed = kind.observe("slow", {"TableName": "slow"})
            assert observed is not None
            seen.append(observed.pending)
    assert seen == ["TableStatus CREATING", "index by-owner CREATING", None]


def test_point_in_time_recovery_not_ready_is_a_transient_error_stubbed(
        kind: DynamoDBTable) -> None:
    """Stubbed: right after CreateTable AWS may refuse PITR for a while; moto never does."""
    ddb = kind.aws.client("dynamodb")
    desired = changed(ON_DEMAND, TableName="fresh", PointInTimeRecoverySpecification=PITR)
    with Stubber(ddb) as stub:
        stub.add_response("describe_table", _describe("fresh"), {"TableName": "fresh"})
        stub.add_client_error("update_continuous_backups",
                              "ContinuousBackupsUnavailableException", "Backups are being enabled")
        with pytest.raises(TransientError, match="continuous backups") as raised:
            kind.update("fresh", desired, _observation("fresh"),
                        frozenset({"PointInTimeRecoverySpecification"}))
    assert raised.value.delay == 10.0


def test_create_over_a_table_still_being_deleted_is_a_transient_error_stubbed(
        kind: DynamoDBTable) -> None:
    """Stubbed: a replacement creates a table under the old one's name while AWS is still
    deleting the old one (moto deletes at once)."""
    # CreateTable goes through the client that never retries (it takes no token).
    once, ddb = kind.aws.client("dynamodb", retries=False), kind.aws.client("dynamodb")
    with Stubber(once) as create, Stubber(ddb) as stub:
        create.add_client_error("create_table", "ResourceInUseException", "Table already exists")
        stub.add_response("describe_table", _describe("events", TableStatus="DELETING"),
                          {"TableName": "events"})
        with pytest.raises(TransientError, match="still being deleted") as raised:
            kind.create(ON_DEMAND, {})
        create.assert_no_pending_responses()
        stub.assert_no_pending_responses()
    assert raised.value.delay == 15.0


# --- tags and delete --------------------------------------------------------------------------

def test_set_tags_adds_changes_and_removes_without_duplicates(kind: DynamoDBTable) -> None:
    kind.create(ON_DEMAND, {"keep": "1", "change": "old", "drop": "x"})

    kind.set_tags("events", {"change": "new", "added": "2", "keep": "1"}, ["drop", "absent"])

    raw = kind.aws.client("dynamodb").list_tags_of_resource(ResourceArn=ARN + "events")["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in raw) == [
        ("added", "2"), ("change", "new"), ("keep", "1")]
    observed = kind.observe("events", ON_DEMAND)
    assert observed is not None
    assert observed.tags == {"keep": "1", "change": "new", "added": "2"}


def test_delete_removes_the_table_and_tolerates_absence(kind: DynamoDBTable) -> None:
    kind.create(ON_DEMAND, {})

    kind.delete("events", ON_DEMAND)
    kind.delete("events", ON_DEMAND)

    assert kind.observe("events", ON_DEMAND) is None


def test_delete_with_deletion_protection_fails_clearly(kind: DynamoDBTable) -> None:
    desired = changed(ON_DEMAND, DeletionProtectionEnabled=True)
    kind.create(desired, {})

    with pytest.raises(ReconcilerError, match="DeletionProtectionEnabled"):
        kind.delete("events", desired)

    assert kind.observe("events", desired) is not None


# --- identity and validation ------------------------------------------------------------------

def test_physical_id_is_the_table_name(kind: DynamoDBTable) -> None:
    assert kind.physical_id({"TableName": "events"}) == "events"
    assert kind.physical_id({}) is None


@pytest.mark.parametrize(("owner", "logical_id"), [
    ("reconciler", "CacheTable"),
    ("team a/prod", "Cache::Table"),
    ("o" * 300, "L" * 300),
])
def test_generated_name_is_a_valid_unique_table_name(kind: DynamoDBTable, owner: str,
                                                     logical_id: str) -> None:
    first = kind.generated_name(logical_id, owner)["TableName"]
    second = kind.generated_name(logical_id, owner)["TableName"]

    assert re.fullmatch(r"[a-zA-Z0-9_.-]{3,255}", first)
    assert first != second
    assert first.startswith(re.sub(r"[^a-zA-Z0-9_.-]+", "-", owner)[:20])


def local_index(name: str, attribute: str, projection: str = "KEYS_ONLY",
                partition: str = "pk", **extra: Any) -> Props:
    return {"IndexName": name,
            "KeySchema": [{"AttributeName": partition, "KeyType": "HASH"},
                          {"AttributeName": attribute, "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": projection, **extra}}


VALID = {"TableName": "events", "BillingMode": "PAY_PER_REQUEST",
         "AttributeDefinitions": pk("pk", "owner"),
         "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
         "GlobalSecondaryIndexes": [index("by-owner", "owner")]}

# A table with a sort key, which local indexes need.
RANGED = changed(VALID, AttributeDefinitions=pk("pk", "sk", "owner", "at"), KeySchema=[
    {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])

INVALID = [
    ("provisioned-without-throughput", changed(VALID, BillingMode=None),
     ["/ProvisionedThroughput", "/GlobalSecondaryIndexes/0/ProvisionedThroughput"]),
    ("on-demand-with-throughput", changed(VALID, ProvisionedThroughput=units(1, 1)),
     ["/ProvisionedThroughput"]),
    ("on-demand-index-with-throughput",
     changed(VALID, GlobalSecondaryIndexes=[index("by-owner", "owner", throughput=(1, 1))]),
     ["/GlobalSecondaryIndexes/0/ProvisionedThroughput"]),
    ("zero-throughput", changed(VALID, BillingMode="PROVISIONED",
                                ProvisionedThroughput=units(0, 1),
                                GlobalSecondaryIndexes=[index("by-owner", "owner",
                                                              throughput=(1, 1))]),
     ["/ProvisionedThroughput/ReadCapacityUnits"]),
    ("key-not-defined", changed(VALID, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}]),
     ["/KeySchema/0/AttributeName", "/AttributeDefinitions/0"]),
    ("index-key-not-defined", changed(VALID, AttributeDefinitions=pk("pk")),
     ["/GlobalSecondaryIndexes/0/KeySchema/0/AttributeName"]),
    ("unused-definition", changed(VALID, AttributeDefinitions=pk("pk", "owner", "extra")),
     ["/AttributeDefinitions/2"]),
    ("range-first", changed(VALID, KeySchema=[{"AttributeName": "pk", "KeyType": "RANGE"}]),
     ["/KeySchema"]),
    ("kms-key-without-kms-type", changed(VALID, SSESpecification={
        "SSEEnabled": True, "KMSMasterKeyId": "alias/x"}), ["/SSESpecification/SSEType"]),
    ("kms-key-with-sse-off", changed(VALID, SSESpecification={
        "SSEEnabled": False, "SSEType": "KMS", "KMSMasterKeyId": "alias/x"}),
     ["/SSESpecification/KMSMasterKeyId"]),
    ("ttl-without-attribute", changed(VALID, TimeToLiveSpecification={"Enabled": True}),
     ["/TimeToLiveSpecification/AttributeName"]),
    ("include-without-attributes",
     changed(VALID, GlobalSecondaryIndexes=[index("by-owner", "owner", "INCLUDE")]),
     ["/GlobalSecondaryIndexes/0/Projection/NonKeyAttributes"]),
    ("attributes-without-include",
     changed(VALID, GlobalSecondaryIndexes=[index("by-owner", "owner", "ALL",
                                                  NonKeyAttributes=["a"])]),
     ["/GlobalSecondaryIndexes/0/Projection/NonKeyAttributes"]),
    ("duplicate-index", changed(VALID, GlobalSecondaryIndexes=[index("by-owner", "owner")] * 2),
     ["/GlobalSecondaryIndexes/1/IndexName"]),
    ("unmanaged-index-setting", changed(VALID, GlobalSecondaryIndexes=[
        {**index("by-owner", "owner"), "WarmThroughput": {"ReadUnitsPerSecond": 1}}]),
     ["/GlobalSecondaryIndexes/0/WarmThroughput"]),
    ("bad-table-name", changed(VALID, TableName="no spaces"), ["/TableName"]),
    ("recovery-period-without-pitr", changed(VALID, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": False, "RecoveryPeriodInDays": 7}),
     ["/PointInTimeRecoverySpecification/RecoveryPeriodInDays"]),
    ("local-index-without-sort-key", changed(VALID, LocalSecondaryIndexes=[
        local_index("by-time", "owner")]), ["/LocalSecondaryIndexes"]),
    ("local-index-other-partition-key", changed(
        RANGED, LocalSecondaryIndexes=[local_index("by-time", "at", partition="owner")]),
     ["/LocalSecondaryIndexes/0/KeySchema"]),
    ("local-index-named-like-a-global-one", changed(
        RANGED, LocalSecondaryIndexes=[local_index("by-owner", "at")]),
     ["/LocalSecondaryIndexes/0/IndexName"]),
    ("local-index-key-not-defined", changed(
        RANGED, LocalSecondaryIndexes=[local_index("by-x", "x")]),
     ["/LocalSecondaryIndexes/0/KeySchema/1/AttributeName", "/AttributeDefinitions/3"]),
    ("local-include-without-attributes", changed(
        RANGED, LocalSecondaryIndexes=[local_index("by-time", "at", "INCLUDE")]),
     ["/LocalSecondaryIndexes/0/Projection/NonKeyAttributes"]),
    ("six-local-indexes", changed(
        RANGED, LocalSecondaryIndexes=[local_index(f"by-{i}", "at") for i in range(6)]),
     ["/LocalSecondaryIndexes"]),
]


@pytest.mark.parametrize(("props", "pointers"), [c[1:] for c in INVALID],
                         ids=[c[0] for c in INVALID])
def test_validate_rejects_what_aws_would(props: Props, pointers: list[str]) -> None:
    assert [p for p, _ in DynamoDBTable.validate(props)] == pointers


@pytest.mark.parametrize(("props", "where"), [
    (changed(VALID, BillingMode="ON_DEMAND"), "BillingMode"),
    (changed(VALID, StreamSpecification={"StreamViewType": "ALL"}),
     "StreamSpecification.StreamViewType"),
    (changed(VALID, GlobalSecondaryIndexes=[index("by owner", "owner")]),
     "GlobalSecondaryIndexes[0].IndexName"),
], ids=["billing-mode", "stream-view-type", "index-name"])
def test_the_schema_refuses_what_it_states(props: Props, where: str) -> None:
    """Enums and patterns the schema states are checked there, not restated by the kind."""
    issues = [str(i) for i in check_properties("T", "AWS::DynamoDB::Table", props,
                                               DynamoDBTable, "f.yaml", 1)]
    assert any(f"T (AWS::DynamoDB::Table) {where}:" in i for i in issues), issues


@pytest.mark.parametrize("props", [
    VALID,
    PROVISIONED,
    changed(VALID, SSESpecification={"SSEEnabled": True, "SSEType": "KMS",
                                     "KMSMasterKeyId": {"Ref": "DataKey"}}),
    changed(VALID, BillingMode={"Fn::If": ["Prod", "PROVISIONED", "PAY_PER_REQUEST"]},
            ProvisionedThroughput={"Fn::If": ["Prod", units(1, 1), {"Ref": "AWS::NoValue"}]}),
    changed(RANGED, LocalSecondaryIndexes=[local_index("by-time", "at", "INCLUDE",
                                                       NonKeyAttributes=["a"])]),
], ids=["on-demand", "provisioned", "intrinsic-key", "intrinsic-billing", "local-index"])
def test_validate_accepts_valid_and_unresolved_values(props: Props) -> None:
    assert DynamoDBTable.validate(props) == []


def test_cli_validate_reports_what_aws_would_refuse_with_file_and_line(stack: Stack) -> None:
    stack.write("cache.yaml", """
        Resources:
          CacheTable:
            Type: AWS::DynamoDB::Table
            Properties:
              AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
              KeySchema: [{AttributeName: pk, KeyType: HASH}]
    """)

    result = stack.cli("validate", str(stack.desired))

    assert result.code == 1
    assert re.search(r"cache\.yaml:\d+: .*ProvisionedThroughput.*PROVISIONED",
                     result.out + result.err), result.out + result.err


def test_kind_declares_its_contract() -> None:
    assert DynamoDBTable.create_only() == {"TableName", "KeySchema", "LocalSecondaryIndexes"}
    assert DynamoDBTable.attributes == {"Arn", "StreamArn"}
    assert DynamoDBTable.data_bearing is True
    unmanaged = set(DynamoDBTable.schema()["properties"]) - DynamoDBTable.managed_properties
    assert unmanaged == {"Arn", "StreamArn", *DynamoDBTable.refused}


# --- the round trip through the CLI -----------------------------------------------------------

CACHE_STACK = """
Resources:
  DataKey:
    Type: AWS::KMS::Key
    Properties:
      Description: cache data key
      EnableKeyRotation: true
  CacheTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: toron-cache-test
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: owner, AttributeType: S}
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      GlobalSecondaryIndexes:
        - IndexName: by-owner
          KeySchema: [{AttributeName: owner, KeyType: HASH}]
          Projection: {ProjectionType: KEYS_ONLY}
      TimeToLiveSpecification: {AttributeName: expires_at, Enabled: true}
      SSESpecification: {SSEEnabled: true, SSEType: KMS, KMSMasterKeyId: !Ref DataKey}
      PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
      DeletionProtectionEnabled: false
      Tags:
        - {Key: team, Value: toron}
"""


def _switch_to_provisioned(ddb: Any) -> None:
    ddb.update_table(
        TableName="toron-cache-test", BillingMode="PROVISIONED",
        ProvisionedThroughput=units(5, 5),
        GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "by-owner",
                                                 "ProvisionedThroughput": units(1, 1)}}])


OUT_OF_BAND = [
    ("ttl-disabled",
     lambda ddb: ddb.update_time_to_live(TableName="toron-cache-test", TimeToLiveSpecification={
         "AttributeName": "expires_at", "Enabled": False}),
     [{"path": "/TimeToLiveSpecification/Enabled", "old": False, "new": True}]),
    ("switched-to-provisioned", _switch_to_provisioned,
     [{"path": "/BillingMode", "old": "PROVISIONED", "new": "PAY_PER_REQUEST"}]),
    ("deletion-protection-on",
     lambda ddb: ddb.update_table(TableName="toron-cache-test", DeletionProtectionEnabled=True),
     [{"path": "/DeletionProtectionEnabled", "old": True, "new": False}]),
]


@pytest.fixture
def cache_stack(stack: Stack) -> Stack:
    """The reference cache table and its key, applied through the CLI (plain boto3 clients
    below stand for an operator changing things by hand)."""
    stack.write("cache.yaml", CACHE_STACK)
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    return stack


def test_cli_apply_then_plan_is_in_sync(cache_stack: Stack) -> None:
    plan = cache_stack.plan()

    assert plan.code == 0, plan.out
    assert {c["resource"]: c["status"] for c in plan.json["changes"]} == {
        "DataKey": "InSync", "CacheTable": "InSync"}
    observed = boto3.client("dynamodb").describe_table(TableName="toron-cache-test")["Table"]
    key_arn = boto3.client("kms").describe_key(
        KeyId=observed["SSEDescription"]["KMSMasterKeyArn"])["KeyMetadata"]["Arn"]
    assert key_arn.startswith("arn:aws:kms:")
    assert observed["DeletionProtectionEnabled"] is False


@pytest.mark.parametrize(("change_out_of_band", "diff"), [c[1:] for c in OUT_OF_BAND],
                         ids=[c[0] for c in OUT_OF_BAND])
def test_cli_out_of_band_drift_is_planned_exactly_and_corrected(
        cache_stack: Stack, change_out_of_band: Any, diff: list[Props]) -> None:
    change_out_of_band(boto3.client("dynamodb"))

    plan = cache_stack.plan()

    assert plan.code == 2, plan.out
    change = plan.change("CacheTable")
    assert (change["status"], change["action"]) == ("Drifted", "update")
    assert change["diff"] == diff
    applied = cache_stack.apply()
    assert applied.code == 0, applied.out + applied.err
    after = cache_stack.plan()
    assert after.code == 0, after.out


def test_cli_key_schema_change_plans_a_blocked_replace(cache_stack: Stack) -> None:
    cache_stack.write("cache.yaml", CACHE_STACK.replace(
        "KeySchema: [{AttributeName: pk, KeyType: HASH}]",
        "KeySchema: [{AttributeName: owner, KeyType: HASH}]").replace(
        "        - {AttributeName: owner, AttributeType: S}\n", "").replace(
        "{AttributeName: pk, AttributeType: S}", "{AttributeName: owner, AttributeType: S}"))

    plan = cache_stack.plan()

    assert plan.code == 2, plan.out
    change = plan.change("CacheTable")
    assert (change["action"], change["blocked"]) == ("replace", True)
    assert cache_stack.apply().code == 1
    table = boto3.client("dynamodb").describe_table(TableName="toron-cache-test")["Table"]
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]


# --- slow operations through the engine -------------------------------------------------------

SLOW_STACK = """
Resources:
  Events:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: events
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  EventsCopy:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${Events}-copy"
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
"""


def _create_params(name: str, logical_id: str) -> Props:
    return {"TableName": name, "AttributeDefinitions": pk("pk"),
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "Tags": [{"Key": "reconciler:logical-id", "Value": logical_id},
                     {"Key": "reconciler:owner", "Value": "reconciler"}]}


def test_engine_create_answered_creating_then_active_stubbed(tmp_path: Any) -> None:
    """Stubbed, because moto makes every table ACTIVE at once: CreateTable answers CREATING.
    The first pass records the table Pending without waiting and skips its dependent with a
    reason naming it; the second pass finds it ACTIVE (InSync) and creates the dependent."""
    from reconciler.engine import reconcile
    from reconciler.engine.context import EngineSettings, Kinds
    from reconciler.engine.model import Result, Status
    from reconciler.kinds.registry import catalog
    from reconciler.state.store import StateStore
    from reconciler.template.intrinsics import resolve
    from reconciler.template.loader import load_tree
    from tests.stubbing import OneClient

    (tmp_path / "desired").mkdir()
    (tmp_path / "desired" / "tables.yaml").write_text(SLOW_STACK)
    template = load_tree(tmp_path / "desired", {}, catalog(), pseudo={})
    ddb = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="stub",
                       aws_secret_access_key="stub")
    kinds = Kinds(catalog(), lambda cls: cls(OneClient(ddb)))
    store = StateStore(tmp_path / "state")
    settings = EngineSettings(concurrency=1)  # one thread: the stubbed answers come in order
    owned = [{"Key": "reconciler:logical-id", "Value": "Events"},
             {"Key": "reconciler:owner", "Value": "reconciler"}]

    with Stubber(ddb) as stub:
        for name in ("events", "events-copy"):
            stub.add_client_error("describe_table", "ResourceNotFoundException",
                                  expected_params={"TableName": name})
        stub.add_response("create_table", {"TableDescription": {
            "TableName": "events", "TableArn": ARN + "events", "TableStatus": "CREATING"}},
            _create_params("events", "Events"))
        first = reconcile.apply(template, store, kinds, resolve, {}, settings).by_id()
        stub.assert_no_pending_responses()

        on_demand = {"BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"}}
        stub.add_response("describe_table", _describe("events", **on_demand),
                          {"TableName": "events"})
        stub.add_response("list_tags_of_resource", {"Tags": owned},
                          {"ResourceArn": ARN + "events"})
        stub.add_client_error("describe_table", "ResourceNotFoundException",
                              expected_params={"TableName": "events-copy"})
        stub.add_response("create_table", _described("events-copy", "ACTIVE"),
                          _create_params("events-copy", "EventsCopy"))
        second = reconcile.apply(template, store, kinds, resolve, {}, settings).by_id()
        stub.assert_no_pending_responses()

    events, copy = first["Events"], first["EventsCopy"]
    assert (events.status, events.result, events.reason) == (
        Status.PENDING, Result.PENDING, "pending: TableStatus CREATING")
    assert (copy.status, copy.result) == (Status.MISSING, Result.SKIPPED)
    assert copy.reason == "waiting for Events (pending: TableStatus CREATING)"
    assert store.inventory()["Events"].physical_id == "events"  # a crash would lose nothing
    assert (second["Events"].status, second["Events"].action) == (Status.IN_SYNC,
                                                                   Action.NONE)
    assert second["EventsCopy"].result == Result.SUCCESS
    assert {s.logical_id: s.status for s in store.statuses()} == {
        "Events": "InSync", "EventsCopy": "InSync"}
    store.close()


def test_cli_multi_step_update_converges_in_one_apply(cache_stack: Stack) -> None:
    """An index rebuild is two UpdateTable calls (delete, then create): the first pass makes
    one and reports the table pending, apply waits and the next pass makes the other."""
    cache_stack.write("cache.yaml", CACHE_STACK.replace(
        "Projection: {ProjectionType: KEYS_ONLY}", "Projection: {ProjectionType: ALL}"))

    applied = cache_stack.apply("--output", "json")

    assert applied.code == 0, applied.out + applied.err
    assert [line for line in applied.err.splitlines() if line.startswith("waiting")][0] == (
        "waiting for 1 pending resource: CacheTable (index by-owner delete requested, 1 more "
        "UpdateTable step to go (index by-owner create next)); 0s elapsed")
    change = applied.change("CacheTable")
    assert (change["action"], change["result"]) == ("update", "success")
    assert change["diff"][0]["path"].startswith("/GlobalSecondaryIndexes")
    status = cache_stack.cli("status", "--state", str(cache_stack.state), "--output", "json")
    assert {r["resource"]: r["status"] for r in status.json["resources"]} == {
        "DataKey": "InSync", "CacheTable": "InSync"}
    table = boto3.client("dynamodb").describe_table(TableName="toron-cache-test")["Table"]
    assert [g["Projection"] for g in table["GlobalSecondaryIndexes"]] == [
        {"ProjectionType": "ALL"}]
    assert cache_stack.plan().code == 0


# --- local secondary indexes: made by CreateTable only, so a change is a replace ------------

LOCAL = changed(RANGED, LocalSecondaryIndexes=[
    local_index("by-time", "at", "INCLUDE", NonKeyAttributes=["b", "a"]),
    local_index("by-owner-sk", "owner")])


def test_local_indexes_are_created_and_read_back_as_declared(kind: DynamoDBTable) -> None:
    kind.create(copy.deepcopy(LOCAL), {})
    observed = kind.observe("events", LOCAL)
    assert observed is not None
    assert observed.properties["LocalSecondaryIndexes"] == LOCAL["LocalSecondaryIndexes"]
    assert DIFF.diff(LOCAL, observed.properties) == []
    reordered = changed(LOCAL, LocalSecondaryIndexes=LOCAL["LocalSecondaryIndexes"][::-1])
    assert DIFF.diff(reordered, kind.observe("events", reordered).properties) == []  # type: ignore[union-attr]


LOCAL_STACK = """
Resources:
  Events:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Delete
    Metadata: {Reconciler: {AllowReplace: ALLOW}}
    Properties:
      TableName: toron-events-test
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: S}
        - {AttributeName: at, AttributeType: N}
      KeySchema: [{AttributeName: pk, KeyType: HASH}, {AttributeName: sk, KeyType: RANGE}]
      LocalSecondaryIndexes:
        - IndexName: by-time
          KeySchema: [{AttributeName: pk, KeyType: HASH}, {AttributeName: at, KeyType: RANGE}]
          Projection: {ProjectionType: PROJECTION}
"""


def test_cli_local_index_change_is_a_replace(stack: Stack) -> None:
    """Set, plan clean; an LSI cannot change out of band (no API changes one): a changed
    declaration is drift at exactly that index's path, a blocked replace, and with
    AllowReplace the table is made again with the new index; clean after."""
    stack.write("events.yaml", LOCAL_STACK.replace("ALLOW", "false")
                .replace("PROJECTION", "KEYS_ONLY"))
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    assert stack.plan().code == 0

    stack.write("events.yaml", LOCAL_STACK.replace("ALLOW", "false")
                .replace("PROJECTION", "ALL"))
    plan = stack.plan()
    assert plan.code == 2, plan.out
    change = plan.change("Events")
    assert (change["status"], change["action"], change["blocked"]) == (
        "Blocked", "replace", True)
    assert change["diff"] == [{"path": "/LocalSecondaryIndexes/0/Projection/ProjectionType",
                               "old": "KEYS_ONLY", "new": "ALL"}]

    stack.write("events.yaml", LOCAL_STACK.replace("ALLOW", "true")
                .replace("PROJECTION", "ALL"))
    replaced = stack.apply()
    assert replaced.code == 0, replaced.out + replaced.err
    assert stack.plan().code == 0
    table = boto3.client("dynamodb").describe_table(TableName="toron-events-test")["Table"]
    assert table["LocalSecondaryIndexes"][0]["Projection"] == {"ProjectionType": "ALL"}
