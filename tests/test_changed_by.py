"""Who caused a drift: CloudTrail LookupEvents (aws.cloudtrail), asked only about drifted
resources (engine.attribution), shown in the text and JSON plan.

moto does not implement CloudTrail LookupEvents: these tests use botocore's Stubber, which
checks every request against the real service model (tests/stubbing.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from reconciler.aws.cloudtrail import MAX_CALLS, CloudTrailAttribution, changed_by_of
from reconciler.aws.identity import OwnPrincipal
from reconciler.engine.attribution import attribute
from reconciler.engine.model import Action, Change, DiffEntry, Plan, Status
from reconciler.output.plan_text import render_change

OWN = "arn:aws:sts::123456789012:assumed-role/reconciler/worker"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def record(principal: str, name: str, read_only: bool = False, **extra: Any) -> dict[str, Any]:
    """A LookupEvents entry, its CloudTrailEvent as CloudTrail writes it."""
    trail = {"eventName": name, "eventTime": "2026-03-01T11:58:00Z", "readOnly": read_only,
             "sourceIPAddress": "198.51.100.7",
             "userIdentity": {"type": "IAMUser", "arn": principal}, **extra}
    return {"EventId": name, "EventName": name, "ReadOnly": str(read_only).lower(),
            "EventTime": NOW, "CloudTrailEvent": json.dumps(trail)}


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, text: str) -> None:
        self.lines.append(text)


@pytest.fixture
def cloudtrail() -> Any:
    client = boto3.client("cloudtrail", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


@pytest.fixture
def sts() -> Any:
    client = boto3.client("sts", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_response("get_caller_identity", {"Arn": OWN, "UserId": "AROAX:worker",
                                                  "Account": "123456789012"})
        yield client


def lookup(cloudtrail: Any, sts: Any, log: Log) -> CloudTrailAttribution:
    return CloudTrailAttribution(lambda: cloudtrail[0], OwnPrincipal(lambda: sts), log,
                                 clock=lambda: NOW)


def expect(stub: Stubber, events: list[dict[str, Any]], token: str | None = None,
           next_token: str | None = None) -> None:
    params = {"LookupAttributes": [{"AttributeKey": "ResourceName",
                                    "AttributeValue": "ev-assets"}],
              "StartTime": ANY, "EndTime": NOW, "MaxResults": 50}
    if token:
        params["NextToken"] = token
    reply: dict[str, Any] = {"Events": events}
    if next_token:
        reply["NextToken"] = next_token
    stub.add_response("lookup_events", reply, params)


def drifted(resource: str = "Bucket", physical_id: str | None = "ev-assets") -> Change:
    return Change(resource, "AWS::S3::Bucket", Status.DRIFTED, Action.UPDATE,
                  diff=[DiffEntry("/VersioningConfiguration/Status", "Suspended", "Enabled")],
                  physical_id=physical_id)


def test_the_newest_write_by_someone_else_is_who_changed_it(cloudtrail: Any, sts: Any) -> None:
    client, stub = cloudtrail
    expect(stub, [record(OWN, "PutBucketVersioning"),  # the reconciler's own correction
                  record("arn:aws:iam::1:user/bob", "GetBucketVersioning", read_only=True),
                  record("arn:aws:iam::1:user/bob", "PutBucketTagging",
                         errorCode="AccessDenied"),  # a call that changed nothing
                  record("arn:aws:iam::1:user/alice", "PutBucketVersioning"),
                  record("arn:aws:iam::1:user/carol", "PutBucketPolicy")])
    who = lookup(cloudtrail, sts, Log()).changed_by(drifted())
    assert who == {"principal": "arn:aws:iam::1:user/alice", "event": "PutBucketVersioning",
                   "time": "2026-03-01T11:58:00Z", "source_ip": "198.51.100.7"}


def test_at_most_two_calls_per_resource(cloudtrail: Any, sts: Any) -> None:
    client, stub = cloudtrail
    expect(stub, [record(OWN, "PutBucketVersioning")], next_token="page-2")
    expect(stub, [record(OWN, "PutBucketAcl")], token="page-2", next_token="page-3")
    source = lookup(cloudtrail, sts, Log())
    assert source.changed_by(drifted()) is None
    assert source.calls == MAX_CALLS == 2  # page-3 is never asked for


def test_access_denied_leaves_changed_by_absent_logged_once_and_stops_asking(
        cloudtrail: Any, sts: Any) -> None:
    client, stub = cloudtrail
    stub.add_client_error("lookup_events", "AccessDeniedException", "not allowed")
    log = Log()
    source = lookup(cloudtrail, sts, log)
    assert source.changed_by(drifted()) is None
    assert source.changed_by(drifted("Other")) is None  # no second call (the stub has none)
    assert source.calls == 1
    assert len(log.lines) == 1 and "AccessDeniedException" in log.lines[0]


def test_a_passing_failure_is_logged_once_and_the_next_resource_is_asked(
        cloudtrail: Any, sts: Any) -> None:
    client, stub = cloudtrail
    stub.add_client_error("lookup_events", "ThrottlingException", "slow down")
    stub.add_client_error("lookup_events", "ThrottlingException", "slow down")
    expect(stub, [record("arn:aws:iam::1:user/alice", "PutBucketVersioning")])
    log = Log()
    source = lookup(cloudtrail, sts, log)
    assert source.changed_by(drifted()) is None
    assert source.changed_by(drifted()) is None
    assert source.changed_by(drifted())["principal"] == "arn:aws:iam::1:user/alice"
    assert len(log.lines) == 1


class Asked:
    """An Attribution that records what it was asked about (the engine's side only)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def changed_by(self, change: Change) -> dict[str, str] | None:
        self.asked.append(change.resource)
        return {"principal": "arn:aws:iam::1:user/alice", "event": "PutBucketVersioning",
                "time": "2026-03-01T11:58:00Z", "secret": "never copied"}


def test_the_engine_asks_only_about_drift_and_the_plan_shows_the_answer() -> None:
    in_sync = Change("Table", "AWS::DynamoDB::Table", Status.IN_SYNC, physical_id="t")
    missing_new = Change("New", "AWS::S3::Bucket", Status.MISSING, Action.CREATE)
    blocked = Change("Detected", "AWS::S3::Bucket", Status.DRIFTED, Action.UPDATE,
                     blocked=True, diff=[DiffEntry("/Tags/team", "x", "y")], physical_id="d")
    plan = Plan([in_sync, drifted(), missing_new, blocked])
    source = Asked()
    attribute(plan, source)
    assert source.asked == ["Bucket", "Detected"]
    assert "changed_by" not in in_sync.to_json()
    entry = plan.to_json()["changes"][1]
    assert entry["changed_by"] == {"principal": "arn:aws:iam::1:user/alice",
                                   "event": "PutBucketVersioning",
                                   "time": "2026-03-01T11:58:00Z"}
    assert ("      changed by arn:aws:iam::1:user/alice via PutBucketVersioning at "
            "2026-03-01T11:58:00Z") in render_change(plan.changes[1])


def test_a_record_without_an_arn_names_the_role_behind_the_session() -> None:
    who = changed_by_of({"eventName": "UpdateTable", "userIdentity": {
        "type": "AssumedRole", "sessionContext": {"sessionIssuer": {
            "arn": "arn:aws:iam::1:role/ops"}}}})
    assert who == {"principal": "arn:aws:iam::1:role/ops", "event": "UpdateTable"}


def test_without_lookup_events_the_plan_reports_drift_and_says_so_once(stack: Any) -> None:
    """Against moto, which answers LookupEvents with HTTP 500: drift is reported all the same,
    changed_by left out, one warning for the whole run."""
    stack.write("buckets.yaml", """
        Resources:
          A: {Type: AWS::S3::Bucket, DeletionPolicy: Delete,
              Properties: {BucketName: cb-a, VersioningConfiguration: {Status: Enabled}}}
          B: {Type: AWS::S3::Bucket, DeletionPolicy: Delete,
              Properties: {BucketName: cb-b, VersioningConfiguration: {Status: Enabled}}}
        """)
    assert stack.apply().code == 0
    for name in ("cb-a", "cb-b"):
        boto3.client("s3").put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    plan = stack.plan()
    assert plan.code == 2, plan.out + plan.err
    assert [c["status"] for c in plan.json["changes"]] == ["Drifted", "Drifted"]
    assert all("changed_by" not in c for c in plan.json["changes"])
    assert plan.err.count("LookupEvents unavailable") == 1, plan.err
