"""What is particular to AWS::RDS::DBInstance (the contract suite covers its round trips:
an instance of an Aurora cluster, a standalone MySQL instance and a read replica).

moto keeps no Performance Insights settings from CreateDBInstance and never reports
PerformanceInsightsEnabled, makes instances available at once and takes any engine
version: Performance Insights, Pending and the major-version flag are tested with
``botocore.stub.Stubber``. The Retain default, Snapshot (with and without a cluster), a
restore from a snapshot, log exports and the validate refusals run on moto or offline.
"""

from __future__ import annotations

import datetime
from typing import Any

import boto3
from botocore.stub import ANY, Stubber

from reconciler.aws.normalize import OWNER_TAG
from reconciler.kinds.base import Observation
from reconciler.kinds.rds_db_instance import DBInstance
from tests.harness import Stack
from tests.stubbing import OneClient

TREE = """
Resources:
  Cluster:
    Type: AWS::RDS::DBCluster
    Properties:
      DBClusterIdentifier: ryuzen-test-aurora
      Engine: aurora-postgresql
      ServerlessV2ScalingConfiguration: {{MinCapacity: 0.5, MaxCapacity: 2}}
      MasterUsername: ryuzen_admin
      MasterUserPassword: password-123456
  Writer:
    Type: AWS::RDS::DBInstance
    {policy}
    Properties:
      DBInstanceIdentifier: ryuzen-test-writer
      DBClusterIdentifier: !Ref Cluster
      DBInstanceClass: db.serverless
      Engine: aurora-postgresql
      PubliclyAccessible: false
"""
CLUSTER_ONLY = TREE.split("  Writer:")[0]


def _instances() -> list[str]:
    return [i["DBInstanceIdentifier"]
            for i in boto3.client("rds").describe_db_instances()["DBInstances"]]


# --- on moto ------------------------------------------------------------------------------

def test_an_instance_removed_from_the_tree_is_retained_by_default(stack: Stack) -> None:
    assert DBInstance.data_bearing
    stack.write("db.yaml", TREE.format(policy=""))
    assert stack.apply().code == 0
    stack.write("db.yaml", CLUSTER_ONLY.replace("{{", "{").replace("}}", "}"))
    assert stack.plan().change("Writer")["action"] == "orphan"
    assert stack.apply().code == 0
    assert _instances() == ["ryuzen-test-writer"]


def test_snapshot_on_an_instance_of_a_cluster_deletes_it_without_a_snapshot(
        stack: Stack) -> None:
    """As in CloudFormation: the data is the cluster's; the instance has no snapshot."""
    stack.write("db.yaml", TREE.format(policy="DeletionPolicy: Snapshot"))
    assert stack.apply().code == 0
    stack.write("db.yaml", CLUSTER_ONLY.replace("{{", "{").replace("}}", "}"))
    assert stack.plan().change("Writer")["action"] == "delete"
    removed = stack.apply()
    assert removed.code == 0, removed.out + removed.err
    assert _instances() == []
    assert boto3.client("rds").describe_db_snapshots()["DBSnapshots"] == []


MYSQL = """
Resources:
  Db:
    Type: AWS::RDS::DBInstance
    DeletionPolicy: {policy}
    Properties:
      DBInstanceIdentifier: ryuzen-test-mysql
      Engine: mysql
      DBInstanceClass: db.t3.micro
      AllocatedStorage: "20"
      MasterUsername: admin_user
      MasterUserPassword: password-123456
      {extra}
"""


def test_a_standalone_instance_with_snapshot_policy_keeps_a_final_snapshot(
        stack: Stack) -> None:
    stack.write("db.yaml", MYSQL.format(policy="Snapshot", extra=""))
    assert stack.apply().code == 0
    stack.write("db.yaml", "Resources: {}\n")
    removed = stack.apply("--allow-empty")
    assert removed.code == 0, removed.out + removed.err
    assert _instances() == []
    snapshots = boto3.client("rds").describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    assert [s["DBSnapshotIdentifier"].startswith("ryuzen-test-mysql-final-")
            for s in snapshots] == [True]


def test_an_instance_restored_from_a_snapshot_converges(stack: Stack) -> None:
    """DBSnapshotIdentifier: RestoreDBInstanceFromDBSnapshot, then in sync; the snapshot,
    write-only as in CloudFormation, is never compared."""
    rds = boto3.client("rds")
    rds.create_db_instance(DBInstanceIdentifier="old-db", Engine="postgres",
                           DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                           MasterUsername="pg_admin", MasterUserPassword="password-123456")
    rds.create_db_snapshot(DBInstanceIdentifier="old-db", DBSnapshotIdentifier="old-db-snap")
    stack.write("db.yaml", """
Resources:
  Restored:
    Type: AWS::RDS::DBInstance
    DeletionPolicy: Delete
    Properties:
      DBInstanceIdentifier: restored-db
      DBSnapshotIdentifier: old-db-snap
      DBInstanceClass: db.t3.small
      BackupRetentionPeriod: 3
""")
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    restored = rds.describe_db_instances(DBInstanceIdentifier="restored-db")["DBInstances"][0]
    assert (restored["Engine"], restored["MasterUsername"]) == ("postgres", "pg_admin")
    assert restored["BackupRetentionPeriod"] == 3  # set by a modify after the restore
    assert stack.plan().code == 0


def test_log_exports_change_as_a_set(stack: Stack) -> None:
    stack.write("db.yaml", MYSQL.format(policy="Delete",
                                        extra="EnableCloudwatchLogsExports: [error]"))
    assert stack.apply().code == 0
    stack.write("db.yaml", MYSQL.format(policy="Delete",
                                        extra="EnableCloudwatchLogsExports: [general, slowquery]"))
    assert stack.plan().change("Db")["action"] == "update"
    assert stack.apply().code == 0
    exports = boto3.client("rds").describe_db_instances(
        DBInstanceIdentifier="ryuzen-test-mysql")["DBInstances"][0]["EnabledCloudwatchLogsExports"]
    assert sorted(exports) == ["general", "slowquery"]
    assert stack.plan().code == 0


def test_what_aws_refuses_is_refused_at_validate() -> None:
    member = {"DBClusterIdentifier": "c1", "DBInstanceClass": "db.serverless",
              "Engine": "aurora-postgresql"}
    assert DBInstance.validate(member) == []
    assert DBInstance.validate({**member, "MultiAZ": False}) == []  # AWS takes false
    assert [p for p, _ in DBInstance.validate({**member, "AllocatedStorage": "20",
                                               "MasterUsername": "u", "MultiAZ": True})] == \
        ["/AllocatedStorage", "/MasterUsername", "/MultiAZ"]
    assert [p for p, _ in DBInstance.validate({"Engine": "aurora-mysql",
                                               "DBInstanceClass": "db.r6g.large"})] == \
        ["/DBClusterIdentifier"]
    mysql = {"Engine": "mysql", "DBInstanceClass": "db.t3.micro", "AllocatedStorage": "20"}
    assert DBInstance.validate(mysql) == []
    assert [p for p, _ in DBInstance.validate({"AllocatedStorage": "20"})] == \
        ["/DBInstanceClass", "/Engine"]
    replica = {"SourceDBInstanceIdentifier": "db1", "MasterUsername": "u", "DBName": "x"}
    assert [p for p, _ in DBInstance.validate(replica)] == ["/MasterUsername", "/DBName"]
    assert [p for p, _ in DBInstance.validate({**replica, "DBSnapshotIdentifier": "s",
                                               "MasterUsername": None, "DBName": None})] == \
        ["/DBSnapshotIdentifier"]
    assert [p for p, _ in DBInstance.validate({**mysql, "MultiAZ": True,
                                               "AvailabilityZone": "us-east-1a"})] == \
        ["/AvailabilityZone"]
    assert [p for p, _ in DBInstance.validate({**mysql, "KmsKeyId": "k"})] == ["/KmsKeyId"]
    assert [p for p, _ in DBInstance.validate({**mysql, "MonitoringInterval": 60})] == \
        ["/MonitoringRoleArn"]
    assert DBInstance.validate({**mysql, "MonitoringInterval": 0}) == []


# --- stubbed ------------------------------------------------------------------------------

DESIRED = {"DBInstanceIdentifier": "w1", "DBClusterIdentifier": "c1",
           "DBInstanceClass": "db.serverless", "Engine": "aurora-postgresql",
           "PubliclyAccessible": False, "EnablePerformanceInsights": True,
           "PerformanceInsightsKMSKeyId": "arn:aws:kms:us-east-1:123456789012:key/k1",
           "PerformanceInsightsRetentionPeriod": 7}


def _client() -> Any:
    return boto3.client("rds", region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x")


def _answer(status: str, **extra: Any) -> dict[str, Any]:
    return {"DBInstanceIdentifier": "w1", "DBInstanceStatus": status,
            "DBClusterIdentifier": "c1", "DBInstanceClass": "db.serverless",
            "Engine": "aurora-postgresql", "PubliclyAccessible": False,
            "PerformanceInsightsEnabled": True, "PerformanceInsightsKMSKeyId": "k1",
            "PerformanceInsightsRetentionPeriod": 7,
            "DBInstanceArn": "arn:aws:rds:us-east-1:123456789012:db:w1",
            "InstanceCreateTime": datetime.datetime(2026, 1, 1), "TagList": [], **extra}


def _described(stub: Stubber, status: str, **extra: Any) -> None:
    stub.add_response("describe_db_instances", {"DBInstances": [_answer(status, **extra)]},
                      {"DBInstanceIdentifier": "w1"})


def test_performance_insights_are_created_read_and_modified_stubbed() -> None:
    """Stubbed (moto drops them): the create sends the settings, observe reads
    PerformanceInsightsEnabled as EnablePerformanceInsights, and a change is one
    ModifyDBInstance applied now, pending while AWS is modifying."""
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("create_db_instance", {"DBInstance": _answer("creating")},
                          {**DESIRED, "Tags": ANY})
        _described(stub, "creating")
        stub.add_response("modify_db_instance", {"DBInstance": _answer("modifying")}, {
            "DBInstanceIdentifier": "w1", "ApplyImmediately": True,
            "PerformanceInsightsRetentionPeriod": 31})
        kind = DBInstance(OneClient(client))
        created = kind.create(DESIRED, {OWNER_TAG: "reconciler"})
        after = kind.update("w1", {**DESIRED, "PerformanceInsightsRetentionPeriod": 31},
                            created, frozenset({"PerformanceInsightsRetentionPeriod"}))
        stub.assert_no_pending_responses()
    assert created.pending == "DBInstanceStatus creating"
    assert created.properties["EnablePerformanceInsights"] is True
    assert created.properties["PerformanceInsightsRetentionPeriod"] == 7
    assert after is not None and after.pending == "DBInstanceStatus modifying"


def test_an_available_instance_is_ready_and_a_deleting_one_gone_stubbed() -> None:
    client = _client()
    with Stubber(client) as stub:
        _described(stub, "available")
        _described(stub, "deleting")
        kind = DBInstance(OneClient(client))
        ready = kind.observe("w1", DESIRED)
        gone = kind.observe("w1", DESIRED)
    assert isinstance(ready, Observation) and ready.pending is None
    assert gone is None


def test_a_new_major_version_is_sent_with_the_consent_flag_stubbed() -> None:
    """Stubbed (moto takes any version): 8.0 to 8.4 is a major change for MySQL, 15.4 to
    15.7 a minor one for PostgreSQL."""
    mysql = {**_answer("available"), "Engine": "mysql", "EngineVersion": "8.0.35"}
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("modify_db_instance", {"DBInstance": mysql}, {
            "DBInstanceIdentifier": "w1", "ApplyImmediately": True,
            "AllowMajorVersionUpgrade": True, "EngineVersion": "8.4.3"})
        stub.add_response("modify_db_instance", {"DBInstance": mysql}, {
            "DBInstanceIdentifier": "w1", "ApplyImmediately": True, "EngineVersion": "15.7"})
        kind = DBInstance(OneClient(client))
        seen = Observation("w1", {"Engine": "mysql", "EngineVersion": "8.0.35"}, {}, {})
        kind.update("w1", {"EngineVersion": "8.4.3"}, seen, frozenset({"EngineVersion"}))
        pg = Observation("w1", {"Engine": "postgres", "EngineVersion": "15.4"}, {}, {})
        kind.update("w1", {"EngineVersion": "15.7"}, pg, frozenset({"EngineVersion"}))
        stub.assert_no_pending_responses()


def test_a_changed_master_password_is_written_again_masked(stack: Stack) -> None:
    """AWS never shows it: the print of what was written tells a changed declaration."""
    stack.write("db.yaml", MYSQL.format(policy="Delete", extra=""))
    assert stack.apply().code == 0
    assert stack.plan().code == 0
    stack.write("db.yaml", MYSQL.format(policy="Delete", extra="").replace(
        "password-123456", "password-rotated-1"))
    changed = stack.plan()
    assert changed.code == 2
    assert changed.change("Db")["diff"] == [
        {"path": "/MasterUserPassword", "old": "(sensitive value)", "new": "(sensitive value)"}]
    assert "password-rotated-1" not in changed.out
    assert stack.apply().code == 0
    assert stack.plan().code == 0
