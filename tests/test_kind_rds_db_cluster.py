"""What is particular to AWS::RDS::DBCluster (the contract suite covers its round trip).

On moto: capacity drift corrected (and 4 versus 4.0 no drift), the Retain default on
removal, DeletionPolicy Snapshot leaving a final cluster snapshot. moto makes a cluster
available at once and answers every ModifyDBCluster ``available``, so the Pending paths
are tested with ``botocore.stub.Stubber`` (the requests checked against the RDS model).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from reconciler.aws.normalize import LOGICAL_ID_TAG, OWNER_TAG
from reconciler.errors import ReconcilerError
from reconciler.kinds.base import Observation
from reconciler.kinds.rds_db_cluster import DBCluster
from tests.harness import Stack
from tests.stubbing import OneClient

CLUSTER = """
Resources:
  Cluster:
    Type: AWS::RDS::DBCluster
    {policy}
    Properties:
      DBClusterIdentifier: ryuzen-test-aurora
      Engine: aurora-postgresql
      EngineVersion: "16.9"
      ServerlessV2ScalingConfiguration: {{MinCapacity: 1, MaxCapacity: 4}}
      MasterUsername: ryuzen_admin
      MasterUserPassword: not-in-any-plan-1
      Tags: [{{Key: team, Value: platform}}]
"""


def _rds() -> Any:
    return boto3.client("rds")


def _cluster() -> dict[str, Any]:
    return dict(_rds().describe_db_clusters(DBClusterIdentifier="ryuzen-test-aurora")
                ["DBClusters"][0])


# --- on moto ------------------------------------------------------------------------------

def test_capacity_changed_out_of_band_is_drift_and_corrected_and_4_is_4_0(
        stack: Stack) -> None:
    stack.write("db.yaml", CLUSTER.format(policy="DeletionPolicy: Delete"))
    created = stack.apply()
    assert created.code == 0, created.out + created.err
    assert _cluster()["ServerlessV2ScalingConfiguration"]["MaxCapacity"] == 4.0  # a float
    clean = stack.plan()
    assert clean.code == 0, clean.out  # 4 declared, 4.0 read back: the same number
    assert "not-in-any-plan-1" not in created.out + clean.out  # the credential is masked

    _rds().modify_db_cluster(DBClusterIdentifier="ryuzen-test-aurora", ApplyImmediately=True,
                             ServerlessV2ScalingConfiguration={"MinCapacity": 0.5,
                                                               "MaxCapacity": 16})
    drifted = stack.plan()
    assert drifted.code == 2
    change = drifted.change("Cluster")
    assert (change["status"], change["action"]) == ("Drifted", "update")
    assert {(d["path"], d["old"], d["new"]) for d in change["diff"]} == {
        ("/ServerlessV2ScalingConfiguration/MinCapacity", 0.5, 1),
        ("/ServerlessV2ScalingConfiguration/MaxCapacity", 16.0, 4)}
    fixed = stack.apply()
    assert fixed.code == 0, fixed.out + fixed.err
    assert _cluster()["ServerlessV2ScalingConfiguration"] == {"MinCapacity": 1.0,
                                                              "MaxCapacity": 4.0}
    assert stack.plan().code == 0


def test_a_cluster_removed_from_the_tree_is_retained_by_default(stack: Stack) -> None:
    """Data-bearing: without a DeletionPolicy the cluster is orphaned, never deleted."""
    assert DBCluster.data_bearing
    stack.write("db.yaml", CLUSTER.format(policy=""))
    assert stack.apply().code == 0
    stack.write("db.yaml", "Resources: {}\n")
    plan = stack.plan("--allow-empty")
    assert plan.change("Cluster")["action"] == "orphan"
    removed = stack.apply("--allow-empty")
    assert removed.code == 0, removed.out + removed.err
    cluster = _cluster()
    tags = {t["Key"] for t in cluster["TagList"]}
    assert "team" in tags and not {OWNER_TAG, LOGICAL_ID_TAG} & tags
    assert _rds().describe_db_cluster_snapshots(SnapshotType="manual")[
        "DBClusterSnapshots"] == []


def test_deletion_policy_snapshot_deletes_after_a_final_snapshot(stack: Stack) -> None:
    stack.write("db.yaml", CLUSTER.format(policy="DeletionPolicy: Snapshot"))
    assert stack.apply().code == 0
    stack.write("db.yaml", "Resources: {}\n")
    plan = stack.plan("--allow-empty")
    change = plan.change("Cluster")
    assert change["action"] == "delete" and "final snapshot" in change["reason"]
    removed = stack.apply("--allow-empty")
    assert removed.code == 0, removed.out + removed.err
    assert _rds().describe_db_clusters()["DBClusters"] == []
    snapshots = _rds().describe_db_cluster_snapshots(SnapshotType="manual")[
        "DBClusterSnapshots"]
    assert [s["DBClusterIdentifier"] for s in snapshots] == ["ryuzen-test-aurora"]
    assert snapshots[0]["DBClusterSnapshotIdentifier"].startswith("ryuzen-test-aurora-final-")


def test_capacities_out_of_order_are_refused_at_validate(stack: Stack) -> None:
    """moto accepts MinCapacity above MaxCapacity; AWS refuses it."""
    stack.write("db.yaml", CLUSTER.format(policy="").replace(
        "{MinCapacity: 1, MaxCapacity: 4}", "{MinCapacity: 8, MaxCapacity: 4}"))
    result = stack.cli("validate", str(stack.desired))
    assert result.code == 1
    assert "db.yaml:" in result.err + result.out
    assert "MinCapacity 8 is above MaxCapacity 4" in result.err + result.out


SERVERLESS_V1 = """
Resources:
  Cluster:
    Type: AWS::RDS::DBCluster
    DeletionPolicy: Delete
    Properties:
      DBClusterIdentifier: ryuzen-test-v1
      Engine: aurora-mysql
      EngineMode: serverless
      EngineVersion: "5.7"
      DatabaseName: orders
      MasterUsername: ryuzen_admin
      MasterUserPassword: not-in-any-plan-1
      ScalingConfiguration: {MinCapacity: 1, MaxCapacity: 4, AutoPause: true,
                             SecondsUntilAutoPause: 300}
      EnableCloudwatchLogsExports: [error]
"""


def test_a_serverless_v1_cluster_with_a_database_converges_and_its_scaling_is_drift(
        stack: Stack) -> None:
    """EngineMode serverless, DatabaseName, ScalingConfiguration (read back as AWS answers it,
    ScalingConfigurationInfo) and log exports at create. (moto's ModifyDBCluster ignores
    CloudwatchLogsExportConfiguration: the change set is tested stubbed below.)"""
    stack.write("db.yaml", SERVERLESS_V1)
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    assert stack.plan().code == 0
    rds = boto3.client("rds")
    rds.modify_db_cluster(DBClusterIdentifier="ryuzen-test-v1", ApplyImmediately=True,
                          ScalingConfiguration={"MinCapacity": 1, "MaxCapacity": 8,
                                                "AutoPause": True,
                                                "SecondsUntilAutoPause": 300})
    drifted = stack.plan()
    assert [d["path"] for d in drifted.change("Cluster")["diff"]] == \
        ["/ScalingConfiguration/MaxCapacity"]
    assert stack.apply().code == 0
    cluster = rds.describe_db_clusters(DBClusterIdentifier="ryuzen-test-v1")["DBClusters"][0]
    assert cluster["ScalingConfigurationInfo"]["MaxCapacity"] == 4
    assert cluster["EnabledCloudwatchLogsExports"] == ["error"]
    assert (cluster["EngineMode"], cluster["DatabaseName"]) == ("serverless", "orders")
    assert stack.plan().code == 0


def test_a_cluster_restored_from_a_snapshot_converges(stack: Stack) -> None:
    rds = boto3.client("rds")
    rds.create_db_cluster(DBClusterIdentifier="old-aurora", Engine="aurora-postgresql",
                          MasterUsername="pg_admin", MasterUserPassword="password-123456")
    rds.create_db_cluster_snapshot(DBClusterIdentifier="old-aurora",
                                   DBClusterSnapshotIdentifier="old-aurora-snap")
    stack.write("db.yaml", """
Resources:
  Restored:
    Type: AWS::RDS::DBCluster
    DeletionPolicy: Delete
    Properties:
      DBClusterIdentifier: restored-aurora
      SnapshotIdentifier: old-aurora-snap
      Engine: aurora-postgresql
      BackupRetentionPeriod: 5
""")
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    restored = rds.describe_db_clusters(DBClusterIdentifier="restored-aurora")["DBClusters"][0]
    assert restored["MasterUsername"] == "pg_admin"
    assert restored["BackupRetentionPeriod"] == 5
    assert stack.plan().code == 0


def test_a_restore_with_credentials_and_v1_with_v2_scaling_are_refused() -> None:
    restore = {"SnapshotIdentifier": "s1", "Engine": "aurora-postgresql",
               "MasterUsername": "u", "MasterUserPassword": "p-12345678"}
    assert [p for p, _ in DBCluster.validate(restore)] == ["/MasterUsername",
                                                           "/MasterUserPassword"]
    v1 = {"EngineMode": "serverless", "ServerlessV2ScalingConfiguration": {"MinCapacity": 1}}
    assert [p for p, _ in DBCluster.validate(v1)] == ["/ServerlessV2ScalingConfiguration"]


# --- Pending, stubbed ---------------------------------------------------------------------

DESIRED = {"DBClusterIdentifier": "c1", "Engine": "aurora-postgresql", "EngineVersion": "16.9",
           "ServerlessV2ScalingConfiguration": {"MinCapacity": 0.5, "MaxCapacity": 4},
           "MasterUsername": "admin1", "MasterUserPassword": "pw-12345678"}


def _client() -> Any:
    return boto3.client("rds", region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x")


def _answer(status: str, **extra: Any) -> dict[str, Any]:
    return {"DBClusterIdentifier": "c1", "Status": status, "Engine": "aurora-postgresql",
            "EngineVersion": "16.9", "MasterUsername": "admin1",
            "DBClusterArn": "arn:aws:rds:us-east-1:123456789012:cluster:c1",
            "ServerlessV2ScalingConfiguration": {"MinCapacity": 0.5, "MaxCapacity": 4.0},
            "ClusterCreateTime": datetime.datetime(2026, 1, 1), "TagList": [], **extra}


def _described(stub: Stubber, status: str, **extra: Any) -> None:
    stub.add_response("describe_db_clusters", {"DBClusters": [_answer(status, **extra)]},
                      {"DBClusterIdentifier": "c1"})


def test_a_cluster_being_created_is_pending_until_available_stubbed() -> None:
    """Stubbed: AWS answers Status creating for minutes; moto is available at once."""
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("create_db_cluster", {"DBCluster": _answer("creating")},
                          {**DESIRED, "Tags": ANY})
        _described(stub, "creating")
        _described(stub, "backing-up")
        _described(stub, "available")
        kind = DBCluster(OneClient(client))
        created = kind.create(DESIRED, {OWNER_TAG: "reconciler"})
        backing_up = kind.observe("c1", DESIRED)
        ready = kind.observe("c1", DESIRED)
        stub.assert_no_pending_responses()
    assert (created.physical_id, created.pending) == ("c1", "Status creating")
    assert backing_up is not None and backing_up.pending == "Status backing-up"
    assert ready is not None and ready.pending is None


def test_a_modification_is_pending_while_aws_applies_it_stubbed() -> None:
    """Stubbed: ModifyDBCluster answers modifying, or available with the change still in
    PendingModifiedValues; both are pending. A new major version asks for the upgrade."""
    client = _client()
    observed = Observation("c1", {**DESIRED, "EngineVersion": "15.4"})
    scaling = {"MinCapacity": 0.5, "MaxCapacity": 8}
    with Stubber(client) as stub:
        stub.add_response("modify_db_cluster", {"DBCluster": _answer("modifying")}, {
            "DBClusterIdentifier": "c1", "ApplyImmediately": True,
            "ServerlessV2ScalingConfiguration": {"MinCapacity": 0.5, "MaxCapacity": 8.0}})
        stub.add_response("modify_db_cluster", {"DBCluster": _answer(
            "available", PendingModifiedValues={"EngineVersion": "16.9"})}, {
            "DBClusterIdentifier": "c1", "ApplyImmediately": True,
            "AllowMajorVersionUpgrade": True, "EngineVersion": "16.9"})
        kind = DBCluster(OneClient(client))
        modifying = kind.update("c1", {**DESIRED, "ServerlessV2ScalingConfiguration": scaling},
                                observed, frozenset({"ServerlessV2ScalingConfiguration"}))
        upgrading = kind.update("c1", DESIRED, observed, frozenset({"EngineVersion"}))
        stub.assert_no_pending_responses()
    assert modifying is not None and modifying.pending == "Status modifying"
    assert upgrading is not None and upgrading.pending == "EngineVersion being applied"


def test_a_cluster_aws_cannot_use_is_an_error_naming_its_status_stubbed() -> None:
    client = _client()
    with Stubber(client) as stub:
        _described(stub, "inaccessible-encryption-credentials")
        with pytest.raises(ReconcilerError, match="inaccessible-encryption-credentials"):
            DBCluster(OneClient(client)).observe("c1", DESIRED)


def test_a_deleting_cluster_no_longer_exists_stubbed() -> None:
    client = _client()
    with Stubber(client) as stub:
        _described(stub, "deleting")
        assert DBCluster(OneClient(client)).observe("c1", DESIRED) is None


def test_a_generated_cluster_identifier_is_one_rds_keeps() -> None:
    """Lower case letters, digits and single hyphens, starting with a letter, 63 at most."""
    name = DBCluster(OneClient(None)).generated_name("AuroraCluster", "9_Team--x" * 10)[
        "DBClusterIdentifier"]
    assert DBCluster.validate({"DBClusterIdentifier": name}) == []
    assert re.fullmatch(r"[a-z](?:-?[a-z0-9]){0,62}", name), name


def test_log_exports_change_as_a_set_stubbed() -> None:
    """Stubbed (moto's ModifyDBCluster ignores the change set): turn on what is declared and
    not on, off what is on and not declared."""
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("modify_db_cluster", {"DBCluster": _answer("available")}, {
            "DBClusterIdentifier": "c1", "ApplyImmediately": True,
            "CloudwatchLogsExportConfiguration": {"EnableLogTypes": ["audit", "slowquery"],
                                                  "DisableLogTypes": ["error"]}})
        seen = Observation("c1", {"EnableCloudwatchLogsExports": ["error", "general"]}, {}, {})
        DBCluster(OneClient(client)).update(
            "c1", {"EnableCloudwatchLogsExports": ["general", "slowquery", "audit"]}, seen,
            frozenset({"EnableCloudwatchLogsExports"}))
        stub.assert_no_pending_responses()
