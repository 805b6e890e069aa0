"""What is particular to AWS::CloudTrail::Trail (the contract suite covers the round trip,
with logging stopped out of band as its drift), over HTTP against the moto server."""

from __future__ import annotations

import boto3
import pytest

from reconciler.kinds.cloudtrail_trail import Trail
from tests.harness import Stack

TREE = """
Resources:
  Logs:
    Type: AWS::S3::Bucket
    DeletionPolicy: Delete
    Properties: {BucketName: trail-kind-logs}
  Audit:
    Type: AWS::CloudTrail::Trail
    Properties:
      TrailName: audit
      S3BucketName: !Ref Logs
      IsLogging: true
      IsMultiRegionTrail: true
      IncludeGlobalServiceEvents: true
      EnableLogFileValidation: true
"""


def _converged(stack: Stack) -> None:
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    plan = stack.plan()
    assert plan.code == 0, plan.out


def test_log_file_validation_turned_off_out_of_band_is_drift_and_corrected(
        stack: Stack) -> None:
    stack.write("trail.yaml", TREE)
    _converged(stack)
    trail = boto3.client("cloudtrail")
    trail.update_trail(Name="audit", EnableLogFileValidation=False)

    drifted = stack.plan()
    assert drifted.code == 2
    change = drifted.change("Audit")
    assert (change["status"], change["action"]) == ("Drifted", "update")
    assert change["diff"] == [{"path": "/EnableLogFileValidation", "old": False, "new": True}]
    _converged(stack)
    assert trail.get_trail(Name="audit")["Trail"]["LogFileValidationEnabled"] is True


def test_a_stopped_trail_is_started_again_and_nothing_else_changes(stack: Stack) -> None:
    stack.write("trail.yaml", TREE)
    _converged(stack)
    trail = boto3.client("cloudtrail")
    trail.stop_logging(Name="audit")

    change = stack.plan().change("Audit")
    assert change["diff"] == [{"path": "/IsLogging", "old": False, "new": True}]
    _converged(stack)
    assert trail.get_trail_status(Name="audit")["IsLogging"] is True
    settings = trail.get_trail(Name="audit")["Trail"]
    assert (settings["IsMultiRegionTrail"], settings["LogFileValidationEnabled"]) == (True, True)


def test_the_logs_pair_is_sent_together_and_event_selectors_read_only_as_declared(
        stack: Stack) -> None:
    """UpdateTrail takes the CloudWatch Logs group and role as a pair: a changed role goes
    with the unchanged group. AWS's default fields of an event selector are no drift."""
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="trail-a")
    group = logs.describe_log_groups()["logGroups"][0]["arn"]
    tree = TREE + f"""
      CloudWatchLogsLogGroupArn: "{group}"
      CloudWatchLogsRoleArn: arn:aws:iam::123456789012:role/trail-one
      EventSelectors: [{{ReadWriteType: All}}]
"""
    stack.write("trail.yaml", tree)
    _converged(stack)
    stack.write("trail.yaml", tree.replace("role/trail-one", "role/trail-two"))
    change = stack.plan().change("Audit")
    assert [d["path"] for d in change["diff"]] == ["/CloudWatchLogsRoleArn"]
    _converged(stack)
    settings = boto3.client("cloudtrail").get_trail(Name="audit")["Trail"]
    assert settings["CloudWatchLogsLogGroupArn"] == group
    assert settings["CloudWatchLogsRoleArn"].endswith("role/trail-two")


@pytest.mark.parametrize(("props", "pointer"), [
    ({"IsMultiRegionTrail": True, "IncludeGlobalServiceEvents": False},
     "/IncludeGlobalServiceEvents"),
    ({"EventSelectors": [], "AdvancedEventSelectors": []}, "/AdvancedEventSelectors"),
    ({"CloudWatchLogsLogGroupArn": "arn:aws:logs:us-east-1:1:log-group:x:*"},
     "/CloudWatchLogsLogGroupArn"),
])
def test_what_aws_refuses_is_invalid(props: dict[str, object], pointer: str) -> None:
    assert [p for p, _ in Trail.validate({"S3BucketName": "b", "IsLogging": True, **props})] \
        == [pointer]
