"""A damaged state store on a real file: set aside, and the inventory rebuilt from ownership
tags (the Tagging API on the moto server over HTTP, and Kind.find for what it does not list),
so that the next plan is clean, apply creates nothing twice and removals are still seen."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from reconciler.state.store import StateStore
from tests.harness import Stack

OWNER = "reconciler"

TREE = """
Resources:
  Data:
    Type: AWS::S3::Bucket
  Cache:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  Net:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  NetA:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Net, CidrBlock: 10.0.1.0/24}
  Web:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: web, VpcId: !Ref Net}
  Ip:
    Type: AWS::EC2::EIP
    Properties: {Domain: vpc}
  Runner:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
  Trail:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 7}
  Key:
    Type: AWS::KMS::Key
    Properties: {Description: data key}
"""
# Web and Trail go when the tree loses them (both DeletionPolicy Delete by default).
REMOVED = ("Web", "Trail")


def _tagged(tags: dict[str, str]) -> bool:
    return tags.get("reconciler:owner") == OWNER


def _pairs(listed: list[dict[str, str]], key: str = "Key", value: str = "Value"
           ) -> dict[str, str]:
    return {t[key]: t[value] for t in listed}


def owned_counts() -> dict[str, int]:
    """Resources carrying this owner's tag, per type, read with each service's own calls."""
    s3, ddb, ec2 = boto3.client("s3"), boto3.client("dynamodb"), boto3.client("ec2")
    iam, logs, kms = boto3.client("iam"), boto3.client("logs"), boto3.client("kms")
    owner_filter = [{"Name": "tag:reconciler:owner", "Values": [OWNER]}]

    def bucket_tags(name: str) -> dict[str, str]:
        try:
            return _pairs(s3.get_bucket_tagging(Bucket=name)["TagSet"])
        except s3.exceptions.ClientError:
            return {}

    tables = [ddb.describe_table(TableName=t)["Table"]["TableArn"]
              for t in ddb.list_tables()["TableNames"]]
    return {
        "bucket": sum(_tagged(bucket_tags(b["Name"])) for b in s3.list_buckets()["Buckets"]),
        "table": sum(_tagged(_pairs(ddb.list_tags_of_resource(ResourceArn=a)["Tags"]))
                     for a in tables),
        "vpc": len(ec2.describe_vpcs(Filters=owner_filter)["Vpcs"]),
        "subnet": len(ec2.describe_subnets(Filters=owner_filter)["Subnets"]),
        "sg": len(ec2.describe_security_groups(Filters=owner_filter)["SecurityGroups"]),
        "eip": len(ec2.describe_addresses(Filters=owner_filter)["Addresses"]),
        "role": sum(_tagged(_pairs(iam.list_role_tags(RoleName=r["RoleName"])["Tags"]))
                    for r in iam.list_roles()["Roles"]),
        "log": sum(_tagged(logs.list_tags_log_group(logGroupName=g["logGroupName"])["tags"])
                   for g in logs.describe_log_groups()["logGroups"]),
        "key": sum(_tagged(_pairs(kms.list_resource_tags(KeyId=k["KeyId"]).get("Tags", []),
                                  "TagKey", "TagValue")) for k in kms.list_keys()["Keys"]),
    }


# --- damage, made by writing bytes into the real files ----------------------------------------

def _not_a_database(state: Path) -> None:
    path = state / StateStore.FILE_NAME
    data = bytearray(path.read_bytes())
    data[:100] = os.urandom(100)
    path.write_bytes(bytes(data))


def _btree_page(state: Path) -> None:
    """Garbage over a table page's header: SQLite's quick_check fails."""
    path = state / StateStore.FILE_NAME
    db = sqlite3.connect(path)
    page = db.execute("SELECT rootpage FROM sqlite_master WHERE name='inventory'").fetchone()[0]
    size = db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    data = bytearray(path.read_bytes())
    offset = (page - 1) * size
    data[offset:offset + 12] = b"\xff" * 12
    path.write_bytes(bytes(data))


def _truncated(state: Path) -> None:
    path = state / StateStore.FILE_NAME
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def _wal_garbage(state: Path) -> None:
    """A write-ahead log as a killed process leaves it (copied while a writer had the store
    open, nothing checkpointed), then garbage over the middle of the log."""
    live, crashed = state.parent / "live", state.parent / "crashed"
    shutil.copytree(state, live)
    writer = StateStore(live, OWNER)
    writer._db.execute("PRAGMA wal_autocheckpoint=0")
    for row in writer.inventory().values():
        writer.put_inventory(row)
    writer.set_meta("written-after-the-checkpoint", "1")
    crashed.mkdir()
    for name in (StateStore.FILE_NAME, StateStore.FILE_NAME + "-wal"):
        shutil.copy(live / name, crashed / name)
    writer.close()
    wal = crashed / (StateStore.FILE_NAME + "-wal")
    data = bytearray(wal.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 300] = os.urandom(300)
    wal.write_bytes(bytes(data))
    shutil.rmtree(state)
    crashed.rename(state)


DAMAGE: dict[str, Callable[[Path], None]] = {
    "not-a-database": _not_a_database, "failed-integrity-check": _btree_page,
    "truncated": _truncated, "garbage-in-the-wal": _wal_garbage,
}


@pytest.fixture
def applied(stack: Stack) -> Stack:
    stack.write("tree.yaml", TREE)
    first = stack.apply()
    assert first.code == 0, first.out + first.err
    return stack


def _damaged_copies(state: Path) -> list[Path]:
    return sorted(p for p in state.iterdir() if ".damaged-" in p.name
                  and not p.name.endswith(("-wal", "-shm")))


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_store_is_set_aside_and_rebuilt_from_ownership_tags(
        applied: Stack, damage: str) -> None:
    stack = applied
    before = owned_counts()
    assert set(before.values()) == {1}, before
    DAMAGE[damage](stack.state)
    damaged_bytes = (stack.state / StateStore.FILE_NAME).read_bytes()

    plan = stack.plan()
    assert plan.code == 0, [c for c in plan.json["changes"] if c["status"] != "InSync"]
    assert {c["status"] for c in plan.json["changes"]} == {"InSync"}
    assert plan.err.count("moved aside") == 1, plan.err
    copies = _damaged_copies(stack.state)
    assert len(copies) == 1 and copies[0].read_bytes() == damaged_bytes
    assert str(copies[0]) in plan.err
    assert "rebuilt from ownership tags" in plan.err

    applied_again = stack.apply("--output", "json")
    assert applied_again.code == 0, applied_again.out + applied_again.err
    assert [c for c in applied_again.json["changes"] if c["action"] != "none"] == []
    assert owned_counts() == before
    assert "moved aside" not in applied_again.err  # said once, by the run that found it

    stack.write("tree.yaml", "\n".join(
        line for line in _without(TREE, REMOVED).splitlines()))
    removal = stack.plan()
    assert removal.code == 2
    assert {c["resource"]: c["action"] for c in removal.json["changes"]
            if c["action"] != "none"} == {lid: "delete" for lid in REMOVED}
    assert len(_damaged_copies(stack.state)) == 1


def _without(tree: str, removed: tuple[str, ...]) -> str:
    """The tree with the named resources' blocks left out."""
    kept, skipping = [], False
    for line in tree.splitlines():
        if line.startswith("  ") and not line.startswith("    "):
            skipping = line.strip().rstrip(":") in removed
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n"


def test_what_the_tagging_api_lists_is_rebuilt_and_the_rest_found_by_tags(
        applied: Stack) -> None:
    stack = applied
    original = StateStore(stack.state, OWNER)
    recorded = {lid: (row.type, row.physical_id) for lid, row in original.inventory().items()}
    original.close()
    _not_a_database(stack.state)

    assert stack.plan().code == 0
    store = StateStore(stack.state, OWNER)
    rebuilt = {lid: (row.type, row.physical_id, row.deletion_policy, row.properties)
               for lid, row in store.inventory().items()}
    store.close()
    # moto's Tagging API lists these (their physical IDs exactly as apply recorded them);
    # IAM roles are never listed (AWS neither), moto leaves out EIPs.
    listed = {"Data", "Cache", "Net", "NetA", "Web", "Trail", "Key"}
    assert set(rebuilt) == listed
    assert {lid: r[:2] for lid, r in rebuilt.items()} == {lid: recorded[lid] for lid in listed}
    assert rebuilt["Data"][2] == "Retain" and rebuilt["Web"][2] == "Delete"
    assert all(r[3] == {"reconciler:rebuilt": True} for r in rebuilt.values())

    # The plan found the role (generated name) and the EIP by their ownership tags; apply
    # records them, with the same physical IDs as before the damage.
    assert stack.apply().code == 0
    store = StateStore(stack.state, OWNER)
    after = {lid: (row.type, row.physical_id) for lid, row in store.inventory().items()}
    full = store.inventory()
    store.close()
    assert after == recorded
    # Recorded in full again: the tree's properties and dependencies, no rebuilt mark.
    assert full["NetA"].depends_on == ["Net"]
    assert "reconciler:rebuilt" not in full["NetA"].properties
    assert full["Trail"].properties.get("RetentionInDays") == 7


def test_status_reports_a_damaged_store_and_writes_nothing(applied: Stack) -> None:
    stack = applied
    _truncated(stack.state)
    listing = sorted(p.name for p in stack.state.iterdir())
    damaged = (stack.state / StateStore.FILE_NAME).read_bytes()

    status = stack.cli("status", "--state", str(stack.state))
    assert status.code == 1
    assert "is damaged" in status.err and "status changes nothing" in status.err
    assert sorted(p.name for p in stack.state.iterdir()) == listing
    assert (stack.state / StateStore.FILE_NAME).read_bytes() == damaged

    assert stack.plan().code == 0
    shown = stack.cli("status", "--state", str(stack.state), "--output", "json")
    assert shown.code == 0, shown.err
    rebuilt = json.loads(shown.out)["rebuilt"]
    assert rebuilt["from"] == _damaged_copies(stack.state)[0].name
    assert rebuilt["recovered"] == 7 and "malformed" in rebuilt["cause"]
    text = stack.cli("status", "--state", str(stack.state))
    assert "inventory rebuilt from ownership tags" in text.out


def test_every_owner_of_a_shared_store_rebuilds_its_own(stack: Stack) -> None:
    stack.write("tree.yaml", TREE)
    for owner in ("team-a", "team-b"):
        assert stack.apply("--owner", owner).code == 0
    _not_a_database(stack.state)

    for owner in ("team-a", "team-b"):
        plan = stack.plan("--owner", owner)
        assert plan.code == 0, (owner, plan.err)
        assert "rebuilt from ownership tags: 7 resources" in plan.err
    assert len(_damaged_copies(stack.state)) == 1
    again = stack.plan("--owner", "team-a")
    assert again.code == 0 and "rebuilt" not in again.err


def test_a_store_in_use_by_another_process_is_left_in_place(applied: Stack) -> None:
    """A live writer elsewhere: moving its file away would split the store in two."""
    import subprocess
    import sys

    stack = applied
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]);"
         " c.execute('PRAGMA journal_mode=WAL'); c.execute('SELECT 1 FROM sqlite_master');"
         " print('open', flush=True); time.sleep(60)",
         str(stack.state / StateStore.FILE_NAME)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        _not_a_database(stack.state)
        plan = stack.plan()
        assert plan.code == 1
        assert "another process has it open" in plan.err
        assert _damaged_copies(stack.state) == []
    finally:
        holder.kill()
        holder.wait()


def test_the_worker_rebuilds_a_damaged_store_and_shows_it_in_status(aws: object,
                                                                    tmp_path: Path) -> None:
    from tests.worker_harness import Remote, Worker, wait_until

    remote = Remote(tmp_path)
    remote.push({"desired/net.yaml": "Resources:\n  Net:\n    Type: AWS::EC2::VPC\n"
                 "    Properties: {CidrBlock: 10.1.0.0/16}\n"}, "net")
    state = tmp_path / "state"
    first = Worker(remote, state)
    try:
        first.wait_ready()
    finally:
        assert first.terminate() == 0
    _truncated(state)

    worker = Worker(remote, state)
    try:
        worker.wait_ready()
        wait_until(lambda: worker.status().get("rebuilt"), 15, worker, "rebuilt in /status")
        status = worker.status()
        assert status["rebuilt"]["from"] == _damaged_copies(state)[0].name
        assert status["rebuilt"]["recovered"] == 1
        assert [(r["resource"], r["status"]) for r in status["resources"]] == [("Net", "InSync")]
        assert worker.logs().count("moved aside") == 1
        assert owned_counts()["vpc"] == 1
    finally:
        worker.kill()
