"""``reconciler run --notify`` end to end: the worker as a subprocess following a real bare
git repository, the moto server, a real HTTP receiver on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.notify_receiver import TOKEN, Receiver
from tests.worker_harness import Remote, Worker, free_port, wait_until

SECRET = "hush5150"
TREE = """
Parameters:
  Token: {Type: String, NoEcho: true}
Resources:
  Watched:
    Type: AWS::S3::Bucket
    DeletionPolicy: Delete
    Properties:
      BucketName: notify-watched
      VersioningConfiguration: {Status: Enabled}
      Tags: [{Key: token, Value: !Sub "t-${Token}"}]
"""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def remote(aws: object, tmp_path: Path) -> Remote:
    remote = Remote(tmp_path)
    remote.push({"desired/watched.yaml": TREE}, "watched")
    return remote


def start(workers: list[Worker], remote: Remote, state: Path, *extra: str) -> Worker:
    worker = Worker(remote, state, "--parameter", f"Token={SECRET}", *extra, interval="2s")
    workers.append(worker)
    worker.wait_ready()
    return worker


def tamper(versioning: str, token: str) -> None:
    """An out-of-band change, as someone with console access would make it."""
    s3 = boto3.client("s3")
    s3.put_bucket_versioning(Bucket="notify-watched",
                             VersioningConfiguration={"Status": versioning})
    tags = {t["Key"]: t["Value"] for t in
            s3.get_bucket_tagging(Bucket="notify-watched")["TagSet"]}
    tags["token"] = token
    s3.put_bucket_tagging(Bucket="notify-watched", Tagging={
        "TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})


def cycles(worker: Worker) -> float:
    return worker.metric("reconciler_reconcile_duration_seconds_count") or 0


def wait_cycles(worker: Worker, more: int) -> None:
    """Let ``more`` further reconciles pass (full checks every interval)."""
    target = cycles(worker) + more
    wait_until(lambda: cycles(worker) >= target, 30, worker, f"{more} more reconciles")


def test_out_of_band_change_is_told_once_as_drift_and_once_as_corrected(
        remote: Remote, receiver: Receiver, workers: list[Worker], tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/hooks/dead-{TOKEN}"  # nothing listens there
    worker = start(workers, remote, tmp_path / "state", "--notify", receiver.url,
                   "--notify", dead)
    tamper("Suspended", "t-intruder")
    detected, corrected = (json.loads(r["body"]) for r in receiver.wait_for(2, 30))
    # The dead destination did not hold up the correction.
    s3 = boto3.client("s3")
    assert s3.get_bucket_versioning(Bucket="notify-watched")["Status"] == "Enabled"
    assert (detected["event"], corrected["event"]) == ("drift_detected", "drift_corrected")
    assert detected["resource"] == "Watched" and detected["type"] == "AWS::S3::Bucket"
    assert {d["path"]: (d["old"], d["new"]) for d in detected["diff"]} == {
        "/VersioningConfiguration/Status": ("Suspended", "Enabled"),
        "/Tags/token": ("(sensitive value)", "(sensitive value)")}
    wait_cycles(worker, 1)  # in sync since: nothing more to tell

    remote.push({"desired/broken.yaml": "Resources: {Odd: {Type: AWS::Nope::Thing}}\n"},
                "broken")
    invalid = json.loads(receiver.wait_for(3, 30)[2]["body"])
    assert invalid["event"] == "revision_invalid"
    assert invalid["errors"] and "AWS::Nope::Thing" in invalid["errors"][0]
    wait_cycles(worker, 1)  # the same invalid revision, checked again: told once
    fixed = remote.push({"desired/broken.yaml": None}, "fixed")
    recovered = json.loads(receiver.wait_for(4, 30)[3]["body"])
    assert (recovered["event"], recovered["revision"]) == ("revision_recovered", fixed)

    # Counted once the receiver's answer is back, just after the receiver has the body.
    wait_until(lambda: worker.metric("reconciler_notifications_total", result="sent") == 4,
               10, worker, "four notifications counted as sent")
    assert worker.terminate() == 0
    assert receiver.events() == ["drift_detected", "drift_corrected", "revision_invalid",
                                 "revision_recovered"]
    for request in receiver.requests:
        assert SECRET.encode() not in request["body"]
    logs = worker.logs()
    assert TOKEN not in logs and "query-secret" not in logs and SECRET not in logs
    assert f"http://127.0.0.1:{receiver.port}/..." in logs


def test_a_restarted_worker_does_not_tell_again(
        remote: Remote, receiver: Receiver, workers: list[Worker], tmp_path: Path) -> None:
    state = tmp_path / "state"
    # Detect mode creates nothing: the bucket is applied first, from the same tree and state.
    applied = subprocess.run([sys.executable, "-m", "reconciler", "apply",
                              str(remote.work / "desired"), "--state", str(state),
                              "--parameter", f"Token={SECRET}"], capture_output=True, text=True)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    worker = start(workers, remote, state, "--notify", receiver.url, "--mode", "detect")
    tamper("Suspended", f"t-{SECRET}")
    receiver.wait_for(1, 30)
    assert worker.terminate() == 0
    worker = start(workers, remote, state, "--notify", receiver.url, "--mode", "detect")
    wait_cycles(worker, 1)  # still drifted, the same diff: already told before the restart
    tamper("Enabled", f"t-{SECRET}")  # put back by hand
    receiver.wait_for(2, 30)
    assert worker.terminate() == 0
    assert receiver.events() == ["drift_detected", "drift_cleared"]
    assert receiver.bodies()[0]["status"] == "Drifted"
