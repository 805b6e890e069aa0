"""The DynamoDB store against the moto server over HTTP (owner scoping and history trimming
are tested on both stores, in tests/test_state_store.py): the table created or refused,
large rows kept under the 400 KB item limit, and writes fenced by the lease."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from reconciler.errors import ReconcilerError
from reconciler.state import dynamodb_items as items
from reconciler.state.base import Fenced, InventoryRow, StatusRow
from reconciler.state.dynamodb_store import DynamoStore
from reconciler.state.open import open_store

TABLE = "dynamodb://reconciler-state"


def _row(lid: str, physical: str, properties: dict[str, Any] | None = None) -> InventoryRow:
    return InventoryRow(lid, "AWS::S3::Bucket", physical, "x", "rev1", "present", "Delete",
                        properties=properties or {})


def test_runs_changes_and_statuses_read_back_as_written(aws: Any) -> None:
    store = open_store(TABLE, "prod")
    run = store.start_run("run", "abc")
    diff = [{"path": "/Tags/0", "old": None, "new": "x"}]
    store.record_change(run, "B", "AWS::S3::Bucket", "update", "success", None, diff)
    store.record_change(run, "A", "AWS::S3::Bucket", "create", "error", "denied", [])
    store.finish_run(run, "failed", {"create": 1})
    store.put_statuses([StatusRow(lid, "AWS::S3::Bucket", None, "Drifted", "update", True,
                                  "why", diff, "abc", 1.5) for lid in ("Z", "A")], run,
                       replace_all=True)
    store.put_statuses([], run, replace_all=False)
    store.drop_statuses(["Z"])
    [recorded] = store.runs()
    assert (recorded["result"], recorded["summary"], recorded["revision"]) == (
        "failed", {"create": 1}, "abc")
    assert [c["resource"] for c in store.changes(run)] == ["B", "A"]  # as recorded
    assert store.changes(run)[0]["diff"] == diff and store.changes(run)[1]["reason"] == "denied"
    [status] = store.statuses()
    assert (status.logical_id, status.blocked, status.diff) == ("A", True, diff)


def test_large_rows_stay_under_the_item_limit(aws: Any) -> None:
    """A diff of megabytes is cut with a marker; a large inventory row is compressed, whole."""
    store = open_store(TABLE, "big")
    huge = [{"path": f"/Policy/{i}", "old": "a" * 50_000, "new": "b" * 50_000}
            for i in range(40)]
    run = store.start_run("apply", None)
    store.record_change(run, "P", "AWS::S3::BucketPolicy", "update", "success", "r" * 20_000,
                        huge)
    store.put_statuses([StatusRow("P", "AWS::S3::BucketPolicy", None, "Drifted", "update",
                                  False, None, huge, None, 1.0)], run, replace_all=True)
    [change] = store.changes(run)
    assert change["diff"][0]["path"] == "/Policy/0"
    assert change["diff"][0]["new"].startswith("(truncated) a value of")
    assert len(change["reason"]) < 9_000 and "more characters not kept" in change["reason"]
    assert store.statuses()[0].diff[0]["old"].startswith("(truncated)")
    properties = {f"K{i}": "v" * 1000 + str(i) for i in range(500)}  # ~500 KB of JSON
    store.put_inventory(_row("Big", "big", properties))
    assert store.inventory()["Big"].properties == properties
    with pytest.raises(ReconcilerError, match="inventory row of Noise is too large"):
        import os
        store.put_inventory(_row("Noise", "n", {"Blob": os.urandom(600_000).hex()}))


def test_many_entries_are_cut_behind_one_marker() -> None:
    diff = [{"path": f"/P/{i}", "old": "x" * 1500, "new": None} for i in range(400)]
    cut = items.fit_diff(diff)
    assert cut[-1]["path"] == items.TRUNCATED and "more change(s) not kept" in cut[-1]["new"]
    assert len(cut) < len(diff) and cut[0] == diff[0]


def test_a_table_that_is_not_ours_is_refused(aws: Any) -> None:
    boto3.client("dynamodb").create_table(
        TableName="someone-elses", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    with pytest.raises(ReconcilerError, match=r"someone-elses is not a reconciler state table: "
                                              r"its key schema is id \(HASH, S\)"):
        open_store("dynamodb://someone-elses", "x")
    with pytest.raises(ReconcilerError, match="a DynamoDB table name is 3 to 255"):
        open_store("dynamodb://a/b", "x")


def test_the_table_is_created_on_demand(aws: Any) -> None:
    open_store(TABLE, "x")
    table = boto3.client("dynamodb").describe_table(TableName="reconciler-state")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TableStatus"] == "ACTIVE"


def test_a_deposed_holders_writes_are_fenced(aws: Any) -> None:
    """Two processes' views of one owner (two stores, two leases): once the second takes the
    lease over, the first one's next write fails with Fenced and changes nothing."""
    first, second = open_store(TABLE, "prod"), open_store(TABLE, "prod")
    assert isinstance(first, DynamoStore) and isinstance(second, DynamoStore)
    old = first.new_lease(30)
    assert old.try_acquire()
    first.fence_with(old)
    first.set_meta("k", "old")
    new = second.new_lease(30)
    _release_behind_its_back(second)  # as if it had not renewed for a full duration
    assert new.try_acquire()
    second.fence_with(new)
    with pytest.raises(Fenced, match="held by another process now"):
        first.set_meta("k", "stale")
    assert not old.held  # deposed at once
    with pytest.raises(Fenced):  # and refused locally from then on, without a call
        first.put_inventory(_row("Bucket", "b"))
    second.set_meta("k", "new")
    assert second.get_meta("k") == "new" and second.inventory() == {}


def _release_behind_its_back(store: DynamoStore) -> None:
    boto3.client("dynamodb").update_item(
        TableName=store.table, Key={"pk": {"S": items.owner_pk(store.owner)},
                                    "sk": {"S": items.LEASE_SK}},
        UpdateExpression="SET holder = :none", ExpressionAttributeValues={":none": {"S": ""}})


def test_apply_plan_and_status_through_the_cli(stack: Any) -> None:
    """apply takes the lease for its run and hands it back; status names a missing table."""
    missing = stack.cli("status", "--state", "dynamodb://no-such-table")
    assert missing.code == 1 and "no state in dynamodb://no-such-table" in missing.err
    stack.write("logs.yaml", "Resources:\n  Logs:\n    Type: AWS::Logs::LogGroup\n"
                "    Properties: {RetentionInDays: 7}\n")
    assert stack.apply("--state", TABLE).code == 0
    assert stack.apply("--state", TABLE).code == 0  # the first run released the lease
    assert stack.plan("--state", TABLE).code == 0
    status = stack.cli("status", "--state", TABLE, "--output", "json")
    assert status.code == 0 and [r["resource"] for r in status.json["resources"]] == ["Logs"]
    lease = boto3.client("dynamodb").get_item(
        TableName="reconciler-state", Key={"pk": {"S": "owner#reconciler"},
                                           "sk": {"S": items.LEASE_SK}})["Item"]
    assert lease["holder"]["S"] == ""  # released
