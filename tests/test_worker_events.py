"""`reconciler run --events-queue` end to end: the moto server, deploy/events applied by the
reconciler itself (EventBridge rule with an SQS target on the default bus, the queue and its
policy), the worker as a subprocess with a 1 h interval, its endpoints scraped over HTTP.

moto does not emit CloudTrail events itself: each out-of-band change is made with boto3 and
then its CloudTrail-shaped event is put on the bus with events.put_events, as CloudTrail
would through EventBridge.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.worker_harness import Remote, Worker, wait_until

ROOT = Path(__file__).resolve().parents[1]
ALICE = "arn:aws:iam::123456789012:user/alice"


def buckets(*names: str) -> str:
    body = "".join(f"""
      {name.title().replace('-', '')}:
        Type: AWS::S3::Bucket
        DeletionPolicy: Delete
        Properties:
          BucketName: ev-{name}
          VersioningConfiguration: {{Status: Enabled}}
    """ for name in names)
    return "Resources:" + body


def versioning(bucket: str) -> str | None:
    return boto3.client("s3").get_bucket_versioning(Bucket=bucket).get("Status")


def suspend(bucket: str) -> None:
    boto3.client("s3").put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})


def cloudtrail_event(bucket: str, principal: str, name: str = "PutBucketVersioning",
                     **detail: Any) -> dict[str, Any]:
    """What CloudTrail hands EventBridge for an S3 management call (a trimmed record)."""
    record = {
        "eventVersion": "1.09", "eventSource": "s3.amazonaws.com", "eventName": name,
        "eventTime": "2026-01-02T03:04:05Z", "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.9", "readOnly": False,
        "userIdentity": {"type": "IAMUser", "arn": principal, "principalId": "AIDAALICE"},
        "requestParameters": {"bucketName": bucket, "versioning": ""},
        "responseElements": None, **detail,
    }
    return {"Source": "aws.s3", "DetailType": "AWS API Call via CloudTrail",
            "Detail": json.dumps(record)}


def put(*entries: dict[str, Any]) -> None:
    reply = boto3.client("events").put_events(Entries=list(entries))
    assert reply["FailedEntryCount"] == 0, reply


@pytest.fixture
def queue_url(aws: Any, tmp_path: Path) -> str:
    """deploy/events applied by the reconciler (its own format), the queue URL from Outputs."""
    state = tmp_path / "events-state"
    applied = subprocess.run(
        [sys.executable, "-m", "reconciler", "apply", str(ROOT / "deploy" / "events"),
         "--state", str(state)], capture_output=True, text=True, cwd=ROOT)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    status = subprocess.run(
        [sys.executable, "-m", "reconciler", "status", "--state", str(state), "--output",
         "json"], capture_output=True, text=True, cwd=ROOT, check=True)
    url = json.loads(status.stdout)["outputs"]["QueueUrl"]["value"]
    rule = boto3.client("events").describe_rule(Name="reconciler-events-cloudtrail")
    assert json.loads(rule["EventPattern"])["detail-type"] == ["AWS API Call via CloudTrail"]
    [target] = boto3.client("events").list_targets_by_rule(
        Rule="reconciler-events-cloudtrail")["Targets"]
    assert target["Arn"].endswith(":reconciler-events")
    policy = json.loads(boto3.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    [statement] = policy["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == rule["Arn"]
    return str(url)


def events_count(worker: Worker, result: str) -> float:
    return worker.metric("reconciler_events_received_total", result=result) or 0.0


def queue_empty(url: str) -> bool:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                      "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return attributes == {"ApproximateNumberOfMessages": "0",
                          "ApproximateNumberOfMessagesNotVisible": "0"}


def test_an_event_corrects_its_resource_alone_and_names_who_changed_it(
        queue_url: str, workers: list[Worker], tmp_path: Path) -> None:
    remote = Remote(tmp_path / "git")
    remote.push({"desired/buckets.yaml": buckets("watched", "other", "third")}, "buckets")
    # An hour between full checks: only an event can explain a correction within the test.
    worker = Worker(remote, tmp_path / "state", "--events-queue", queue_url, interval="1h",
                    source_interval="1h")
    workers.append(worker)
    worker.wait_ready()
    assert worker.status()["events"]["queue"] == queue_url

    # Other drifts with no event about it; Watched drifts and its event arrives.
    suspend("ev-other")
    suspend("ev-watched")
    put(cloudtrail_event("ev-watched", ALICE))
    wait_until(lambda: versioning("ev-watched") == "Enabled", 20, worker, "event-driven fix")
    wait_until(lambda: worker.metric("reconciler_drift_corrected_total",
                                     type="AWS::S3::Bucket") == 1, 10, worker, "corrected")
    assert events_count(worker, "matched") == 1
    # The scoped run touched nothing else: Other is still as the out-of-band change left it.
    assert versioning("ev-other") == "Suspended"

    status = worker.status()
    watched = next(r for r in status["resources"] if r["resource"] == "Watched")
    assert watched["changed_by"] == {"principal": ALICE, "event": "PutBucketVersioning",
                                     "time": "2026-01-02T03:04:05Z", "source_ip": "203.0.113.9"}
    assert "changed_by" not in next(r for r in status["resources"] if r["resource"] == "Other")
    assert status["events"]["reachable"] is True
    drift_logs = [json.loads(line) for line in worker.logs().splitlines()
                  if '"drift detected"' in line]
    assert [entry["changed_by"]["principal"] for entry in drift_logs] == [ALICE]
    # Never a metric label.
    assert ALICE not in worker.get("/metrics")[1].decode()

    # The worker's own calls (its corrections) are not drift; a bucket nobody manages and a
    # failed call are dropped; a message that is no event is dropped and deleted.
    own = boto3.client("sts").get_caller_identity()["Arn"]
    put(cloudtrail_event("ev-other", own),
        cloudtrail_event("someone-elses-bucket", ALICE),
        cloudtrail_event("ev-other", ALICE, errorCode="AccessDenied"))
    boto3.client("sqs").send_message(QueueUrl=queue_url, MessageBody="not json {")
    wait_until(lambda: events_count(worker, "own") == 1 and events_count(worker, "unmatched")
               == 2 and events_count(worker, "malformed") == 1, 20, worker, "events counted")
    # Then a matched event: by the time it is corrected, any reconcile the others had asked
    # for would have run.
    suspend("ev-third")
    put(cloudtrail_event("ev-third", ALICE))
    wait_until(lambda: versioning("ev-third") == "Enabled", 20, worker, "third corrected")
    assert versioning("ev-other") == "Suspended"
    assert events_count(worker, "matched") == 2
    assert "malformed event message dropped" in worker.logs()
    wait_until(lambda: queue_empty(queue_url), 10, worker, "every message deleted")
    assert worker.status()["events"]["received"] == {"matched": 2, "unmatched": 2, "own": 1,
                                                     "malformed": 1}


def test_an_unreachable_queue_is_reported_and_the_worker_keeps_reconciling(
        aws: Any, workers: list[Worker], tmp_path: Path) -> None:
    remote = Remote(tmp_path / "git")
    remote.push({"desired/buckets.yaml": buckets("lonely")}, "buckets")
    missing = f"{aws.endpoint}/123456789012/no-such-queue"
    worker = Worker(remote, tmp_path / "state", "--events-queue", missing, interval="1h")
    workers.append(worker)
    worker.wait_ready()
    assert versioning("ev-lonely") == "Enabled"
    wait_until(lambda: worker.metric("reconciler_events_queue_reachable") == 0, 15, worker,
               "queue reported unreachable")
    events = worker.status()["events"]
    assert events["reachable"] is False and events["last_error"]
    assert events["retry_in_seconds"] > 0
    assert "events queue unreachable" in worker.logs()
