"""Which managed resources a CloudTrail event names (daemon.event_match), and how the events
listener classifies, coalesces and deletes messages of a real SQS queue on the moto server."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
import structlog
from prometheus_client import CollectorRegistry

from reconciler.aws.identity import OwnPrincipal, Principal
from reconciler.daemon.event_match import InventoryIndex, event_source, identifiers
from reconciler.daemon.events import EventsListener
from reconciler.state.store import InventoryRow

ACCOUNT = "123456789012"
INVENTORY = [
    ("Table", "AWS::DynamoDB::Table", "orders"),
    ("Bucket", "AWS::S3::Bucket", "ev-assets"),
    ("Group", "AWS::EC2::SecurityGroup", "sg-0abc"),
    ("Function", "AWS::Lambda::Function", "api"),
    ("Zone", "AWS::Route53::HostedZone", "Z0123"),
    ("Queue", "AWS::SQS::Queue", f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/jobs"),
    ("Balancer", "AWS::ElasticLoadBalancingV2::LoadBalancer",
     f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/web/50dc6c"),
    ("Rule", "AWS::Events::Rule", "nightly"),
    ("Role", "AWS::IAM::Role", "api"),  # the same name as the function, in another service
]


def detail(source: str, name: str, request: Any = None, response: Any = None,
           **extra: Any) -> dict[str, Any]:
    return {"eventSource": f"{source}.amazonaws.com", "eventName": name,
            "requestParameters": request, "responseElements": response, **extra}


@pytest.mark.parametrize(("event", "expected"), [
    (detail("dynamodb", "UpdateTable", {"tableName": "orders"}), {"Table"}),
    (detail("dynamodb", "UpdateTimeToLive", {"tableArn": f"arn:aws:dynamodb:us-east-1:"
                                             f"{ACCOUNT}:table/orders"}), {"Table"}),
    (detail("s3", "PutBucketVersioning", {"bucketName": "ev-assets", "Host": "x"}), {"Bucket"}),
    (detail("ec2", "CreateTags", {"resourcesSet": {"items": [{"resourceId": "sg-0abc"}]},
                                  "tagSet": {"items": [{"key": "Name", "value": "orders"}]}}),
     {"Group"}),
    (detail("ec2", "AuthorizeSecurityGroupIngress", {"groupId": "sg-0abc"}), {"Group"}),
    (detail("lambda", "UpdateFunctionConfiguration20150331v2", {"functionName": "api:live"}),
     {"Function"}),
    (detail("iam", "PutRolePolicy", {"roleName": "api", "policyName": "orders"}), {"Role"}),
    (detail("route53", "ChangeResourceRecordSets", {"hostedZoneId": "/hostedzone/Z0123"}),
     {"Zone"}),
    (detail("sqs", "SetQueueAttributes", {"queueUrl": f"https://sqs.us-east-1.amazonaws.com/"
                                          f"{ACCOUNT}/jobs"}), {"Queue"}),
    (detail("elasticloadbalancing", "ModifyLoadBalancerAttributes", {
        "loadBalancerArn": f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:"
                           "loadbalancer/app/web/50dc6c"}), {"Balancer"}),
    (detail("events", "DisableRule", {"name": "nightly"}), {"Rule"}),
    # The Resource Groups Tagging API acts on any service's ARNs.
    (detail("tagging", "TagResources", {"resourceARNList": [
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders", "arn:aws:s3:::ev-assets"]}),
     {"Table", "Bucket"}),
    # An identifier in the answer (a create names what it made there).
    (detail("ec2", "CreateSecurityGroup", {"groupName": "web"}, {"groupId": "sg-0abc"}),
     {"Group"}),
    # Not managed, or the right name in the wrong service, or a value under a key that names
    # nothing (a tag value, a policy name): nothing.
    (detail("dynamodb", "UpdateTable", {"tableName": "someone-else"}), set()),
    (detail("sns", "SetTopicAttributes", {"topicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:api"}),
     set()),
    (detail("s3", "PutBucketTagging", {"bucketName": "unmanaged",
                                       "Tagging": {"TagSet": {"Tag": {"Key": "x",
                                                                      "Value": "ev-assets"}}}}),
     set()),
    (detail("iam", "PutUserPolicy", {"userName": "bob", "policyName": "api"}), set()),
    (detail("s3", "PutBucketVersioning", None), set()),
])
def test_an_event_matches_exactly_the_resources_it_names(event: dict[str, Any],
                                                         expected: set[str]) -> None:
    assert InventoryIndex(INVENTORY).match(event) == expected


def test_identifiers_come_from_members_that_name_resources_and_from_arns() -> None:
    found = identifiers(detail("kms", "CreateAlias", {
        "aliasName": "alias/data", "targetKeyId": "1234-abcd", "description": "keep out",
        "nested": [{"anything": "arn:aws:kms:us-east-1:1:key/9876"}]}))
    assert {"alias/data", "1234-abcd", "arn:aws:kms:us-east-1:1:key/9876", "9876"} <= found
    assert "keep out" not in found


def test_event_sources_follow_the_cloudformation_namespace() -> None:
    assert event_source("AWS::DynamoDB::Table") == "dynamodb.amazonaws.com"
    assert event_source("AWS::ElasticLoadBalancingV2::Listener") == \
        "elasticloadbalancing.amazonaws.com"


def test_the_worker_recognizes_only_its_own_principal_and_session() -> None:
    role = Principal(f"arn:aws:sts::{ACCOUNT}:assumed-role/reconciler/i-0abc", "AROAX:i-0abc")
    assert role.made({"type": "AssumedRole", "arn": role.arn, "principalId": "AROAX:i-0abc"})
    assert role.made({"principalId": "AROAX:i-0abc"})
    # Another session of the same role is someone else (fails safe: checked as drift).
    assert not role.made({"arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/reconciler/alice",
                          "principalId": "AROAX:alice"})
    assert not role.made(None) and not role.made({"type": "Root"})


# --- the listener against a real queue ----------------------------------------------------

class RecordingSchedule:
    """Stands in for Worker.request_resources: records what was asked for."""

    def __init__(self) -> None:
        self.calls: list[set[str]] = []

    def __call__(self, resources: set[str]) -> None:
        self.calls.append(set(resources))


@pytest.fixture
def listener(aws: Any) -> tuple[EventsListener, RecordingSchedule, str]:
    url = boto3.client("sqs").create_queue(QueueName="events-unit")["QueueUrl"]
    schedule = RecordingSchedule()
    listener = EventsListener(url, boto3.client("sqs"), schedule,
                              OwnPrincipal(lambda: boto3.client("sts")), CollectorRegistry(),
                              structlog.get_logger())
    listener.refresh({lid: InventoryRow(lid, type_name, physical_id, "reconciler", None,
                                        "present", "Delete")
                      for lid, type_name, physical_id in INVENTORY})
    return listener, schedule, url


def envelope(record: dict[str, Any]) -> str:
    return json.dumps({"version": "0", "id": "e1", "detail-type": "AWS API Call via CloudTrail",
                       "source": "aws.dynamodb", "detail": record})


def send(url: str, bodies: list[str]) -> None:
    sqs = boto3.client("sqs")
    for start in range(0, len(bodies), 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": body}
            for i, body in enumerate(bodies[start:start + 10])])


def test_a_burst_about_one_resource_is_one_reconcile_and_every_message_is_deleted(
        listener: tuple[EventsListener, RecordingSchedule, str]) -> None:
    events, schedule, url = listener
    change = envelope({**detail("dynamodb", "UpdateTable", {"tableName": "orders"}),
                       "userIdentity": {"arn": "arn:aws:iam::1:user/alice"},
                       "eventTime": "2026-01-01T00:00:00Z"})
    send(url, [change] * 50)
    assert events.poll_once(wait=1) == 50
    assert schedule.calls == [{"Table"}]
    assert events.status()["received"]["matched"] == 50
    assert events.changed_by("Table") == {"principal": "arn:aws:iam::1:user/alice",
                                          "event": "UpdateTable",
                                          "time": "2026-01-01T00:00:00Z"}
    assert events.changed_by("Table") is None  # consumed by the drift it explained
    assert boto3.client("sqs").receive_message(QueueUrl=url).get("Messages") is None


@pytest.mark.parametrize(("body", "result"), [
    ("not json", "malformed"),
    ("[1, 2]", "malformed"),
    (json.dumps({"detail-type": "AWS API Call via CloudTrail", "detail": "text"}), "malformed"),
    (json.dumps({"source": "aws.s3", "detail": {}}), "malformed"),
    (json.dumps({"detail-type": "Object Created", "detail": {"bucket": {"name": "ev-assets"}}}),
     "unmatched"),
    (envelope({**detail("dynamodb", "DescribeTable", {"tableName": "orders"}),
               "readOnly": True}), "unmatched"),
    (envelope({**detail("dynamodb", "UpdateTable", {"tableName": "orders"}),
               "errorCode": "AccessDenied"}), "unmatched"),
    (envelope({**detail("dynamodb", "UpdateTable", {"tableName": "orders"}),
               "userIdentity": {"arn": f"arn:aws:sts::{ACCOUNT}:user/moto"}}), "own"),
])
def test_messages_that_change_nothing_managed_are_counted_and_deleted(
        listener: tuple[EventsListener, RecordingSchedule, str], body: str,
        result: str) -> None:
    events, schedule, url = listener
    own = boto3.client("sts").get_caller_identity()["Arn"]
    send(url, [body.replace(f"arn:aws:sts::{ACCOUNT}:user/moto", own)])
    assert events.poll_once(wait=1) == 1
    assert schedule.calls == []
    assert events.status()["received"][result] == 1
    assert boto3.client("sqs").receive_message(QueueUrl=url).get("Messages") is None
