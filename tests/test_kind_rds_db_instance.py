"""What is particular to AWS::RDS::DBInstance (the contract suite covers its round trip).

moto keeps no Performance Insights settings from CreateDBInstance and never reports
PerformanceInsightsEnabled, and makes instances available at once: Performance Insights
and Pending are tested with ``botocore.stub.Stubber``. The Retain default and Snapshot on
an instance of a cluster run on moto.
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


def test_an_instance_outside_a_cluster_is_refused_at_validate() -> None:
    assert DBInstance.validate({"DBInstanceClass": "db.serverless"})[0][0] == \
        "/DBClusterIdentifier"
    assert DBInstance.validate({"DBClusterIdentifier": "c1"}) == []


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
