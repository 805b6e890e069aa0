"""`reconciler run` end to end: a real bare git repository, the moto server, the worker as a
subprocess, its HTTP endpoints scraped over HTTP."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.worker_harness import Remote, Worker, wait_until


def bucket(logical_id: str, name: str, versioning: str = "Enabled") -> str:
    return f"""
    Resources:
      {logical_id}:
        Type: AWS::S3::Bucket
        DeletionPolicy: Delete
        Properties:
          BucketName: {name}
          VersioningConfiguration: {{Status: {versioning}}}
    """


def exists(name: str) -> bool:
    return name in {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}


def versioning(name: str) -> str | None:
    return boto3.client("s3").get_bucket_versioning(Bucket=name).get("Status")


@pytest.fixture
def remote(aws: object, tmp_path: Path) -> Remote:
    remote = Remote(tmp_path)
    remote.push({"desired/base.yaml": bucket("Base", "e2e-base")}, "base")
    return remote


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.kill()


def start(workers: list[Worker], remote: Remote, state: Path, *extra: str,
          **kwargs: str) -> Worker:
    worker = Worker(remote, state, *extra, **kwargs)
    workers.append(worker)
    worker.wait_ready()
    return worker


def test_push_applies_at_once_with_webhook_and_within_a_poll_without(
        remote: Remote, workers: list[Worker], tmp_path: Path) -> None:
    # Polling is slow here, so only the webhook can explain a quick apply.
    worker = start(workers, remote, tmp_path / "state", source_interval="60s",
                   interval="60s")
    assert exists("e2e-base")
    revision = remote.push({"desired/hooked.yaml": bucket("Hooked", "e2e-hooked")}, "hooked")
    assert worker.hook() == 202
    wait_until(lambda: exists("e2e-hooked"), 15, worker, "webhook-triggered apply")
    wait_until(lambda: worker.status()["revisions"]["last_applied_revision"] == revision, 10,
               worker, "applied revision")
    assert worker.metric("reconciler_applied_revision_info", revision=revision) == 1
    # The push was reconciled on its own; what it did not touch keeps its status and series.
    assert {r["resource"] for r in worker.status()["resources"]} == {"Base", "Hooked"}
    assert worker.metric("reconciler_resource_status", type="AWS::S3::Bucket", resource="Base",
                         status="InSync") == 1

    polled = start(workers, remote, tmp_path / "state2", source_interval="2s",
                   interval="60s")
    remote.push({"desired/polled.yaml": bucket("Polled", "e2e-polled")}, "polled")
    wait_until(lambda: exists("e2e-polled"), 15, polled, "poll-triggered apply")


def test_out_of_band_change_is_corrected_and_counted(
        remote: Remote, workers: list[Worker], tmp_path: Path) -> None:
    worker = start(workers, remote, tmp_path / "state", interval="2s")
    boto3.client("s3").put_bucket_versioning(
        Bucket="e2e-base", VersioningConfiguration={"Status": "Suspended"})
    wait_until(lambda: versioning("e2e-base") == "Enabled", 15, worker, "correction")
    labels = {"type": "AWS::S3::Bucket"}
    wait_until(lambda: worker.metric("reconciler_drift_corrected_total", **labels), 10, worker)
    assert (worker.metric("reconciler_drift_detected_total", **labels) or 0) >= 1
    assert worker.metric("reconciler_resource_drifted", resource="Base", **labels) == 0
    assert worker.metric("reconciler_resource_status", resource="Base", status="InSync",
                         **labels) == 1
    assert (worker.metric("reconciler_apply_total", action="update", result="success",
                          **labels) or 0) >= 1
    assert (worker.metric("reconciler_aws_api_calls_total", service="s3",
                          operation="PutBucketVersioning", result="success") or 0) >= 1
    # Logs are JSON lines off a terminal; each names the revision, and resource/type/action.
    events = [json.loads(line) for line in worker.logs().splitlines() if line.startswith("{")]
    applied = [e for e in events if e["event"] == "applied" and e["resource"] == "Base"]
    assert applied and applied[-1]["action"] == "update"
    assert applied[-1]["type"] == "AWS::S3::Bucket" and len(applied[-1]["revision"]) == 40


def test_invalid_revision_is_not_applied_until_fixed(
        remote: Remote, workers: list[Worker], tmp_path: Path) -> None:
    worker = start(workers, remote, tmp_path / "state", source_interval="1s", interval="60s")
    assert worker.metric("reconciler_desired_valid") == 1
    remote.push({"desired/new.yaml": bucket("New", "e2e-new"),
                 "desired/broken.yaml": "Resources:\n  Bad:\n    Type: AWS::Nope::Thing\n"},
                "broken")
    wait_until(lambda: worker.metric("reconciler_desired_valid") == 0, 15, worker)
    status = worker.status()
    assert status["desired_valid"] is False
    assert any(e.startswith("desired/broken.yaml:3:") for e in status["desired_errors"]), status
    assert not exists("e2e-new")  # nothing of the invalid revision was applied

    fixed = remote.push({"desired/broken.yaml": None}, "fix")
    wait_until(lambda: exists("e2e-new"), 15, worker, "the fixed revision applied")
    wait_until(lambda: worker.metric("reconciler_desired_valid") == 1, 10, worker)
    wait_until(lambda: worker.status()["revisions"]["last_applied_revision"] == fixed, 10,
               worker)


def test_unreachable_remote_keeps_enforcing_and_recovers(
        remote: Remote, workers: list[Worker], tmp_path: Path) -> None:
    worker = start(workers, remote, tmp_path / "state", source_interval="1s", interval="2s")
    hidden = tmp_path / "hidden.git"
    shutil.move(remote.bare, hidden)
    wait_until(lambda: (worker.metric("reconciler_source_fetch_total", result="error") or 0)
               >= 2, 15, worker, "fetch errors counted")
    boto3.client("s3").put_bucket_versioning(
        Bucket="e2e-base", VersioningConfiguration={"Status": "Suspended"})
    wait_until(lambda: versioning("e2e-base") == "Enabled", 15, worker,
               "correction while the remote is gone")

    shutil.move(hidden, remote.bare)
    remote.push({"desired/back.yaml": bucket("Back", "e2e-back")}, "back")
    wait_until(lambda: exists("e2e-back"), 15, worker, "recovery after the remote returns")
    assert worker.process.poll() is None


def test_webhook_with_bad_signature_or_oversize_body_triggers_nothing(
        remote: Remote, workers: list[Worker], tmp_path: Path) -> None:
    worker = start(workers, remote, tmp_path / "state", source_interval="60s",
                   interval="60s")
    fetched = worker.metric("reconciler_source_fetch_total", result="success")
    remote.push({"desired/sneaky.yaml": bucket("Sneaky", "e2e-sneaky")}, "sneaky")
    assert worker.hook(secret="wrong") == 401
    assert worker.post("/hooks/github", b"{}", {}) == 401
    assert worker.post_announcing("/hooks/generic", 2 << 20) == 413
    assert worker.metric("reconciler_source_fetch_total", result="success") == fetched
    assert not exists("e2e-sneaky")


def test_sigterm_during_reconcile_exits_cleanly_and_restart_converges(
        remote: Remote, workers: list[Worker], tmp_path: Path) -> None:
    worker = start(workers, remote, tmp_path / "state", source_interval="60s",
                   interval="60s")
    many = "Resources:\n" + "".join(
        f"  Many{i}:\n    Type: AWS::S3::Bucket\n    DeletionPolicy: Delete\n"
        f"    Properties:\n      BucketName: e2e-many-{i}\n"
        f"      VersioningConfiguration: {{Status: Enabled}}\n" for i in range(40))
    remote.push({"desired/many.yaml": many}, "many")
    assert worker.hook() == 202
    wait_until(lambda: any(exists(f"e2e-many-{i}") for i in range(40)), 20, worker,
               "the reconcile to start")
    assert worker.terminate(timeout=30) == 0
    assert "stopped" in worker.logs()

    restarted = start(workers, remote, tmp_path / "state", source_interval="60s",
                      interval="60s")
    wait_until(lambda: all(exists(f"e2e-many-{i}") for i in range(40)), 30, restarted,
               "convergence after restart")
    names = [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
    assert sorted(n for n in names if n.startswith("e2e-many-")) == sorted(
        f"e2e-many-{i}" for i in range(40))
    wait_until(lambda: all(r["status"] == "InSync" for r in restarted.status()["resources"]),
               20, restarted)


def test_detect_mode_reports_drift_and_changes_nothing(
        remote: Remote, workers: list[Worker], tmp_path: Path) -> None:
    enforcing = start(workers, remote, tmp_path / "state", interval="60s")
    assert exists("e2e-base")
    assert enforcing.terminate() == 0

    worker = start(workers, remote, tmp_path / "state", "--mode", "detect", interval="2s")
    boto3.client("s3").put_bucket_versioning(
        Bucket="e2e-base", VersioningConfiguration={"Status": "Suspended"})
    labels = {"type": "AWS::S3::Bucket", "resource": "Base"}
    wait_until(lambda: worker.metric("reconciler_resource_drifted", **labels) == 1, 15, worker,
               "drift reported")
    assert worker.metric("reconciler_resource_status", status="Drifted", **labels) == 1
    assert versioning("e2e-base") == "Suspended"
    remote.push({"desired/more.yaml": bucket("More", "e2e-more")}, "more")
    wait_until(lambda: worker.metric("reconciler_resource_status", status="Missing",
                                     type="AWS::S3::Bucket", resource="More") == 1, 15, worker)
    assert not exists("e2e-more")


SLOW = """
Resources:
  Slow:
    Type: Test::Fake::SlowParameter
    Properties: {Name: e2e-slow, Value: v1, PendingUntilTagged: true}
  AfterSlow:
    Type: AWS::S3::Bucket
    DeletionPolicy: Delete
    Properties:
      BucketName: !Sub "${Slow}-after"
"""


def test_pending_resource_is_picked_up_within_the_pending_interval(
        remote: Remote, workers: list[Worker], tmp_path: Path) -> None:
    """The fake SlowParameter (tests/fake_kinds.py) stays pending until its tag flips; the
    full check and the git poll are a minute apart, so only the pending job can explain the
    dependent following within seconds."""
    remote.push({"desired/slow.yaml": SLOW}, "slow")
    worker = start(workers, remote, tmp_path / "state", "--pending-interval", "1s",
                   interval="60s", source_interval="60s", module="tests.fake_kinds")
    slow = {"type": "Test::Fake::SlowParameter", "resource": "Slow"}
    assert worker.metric("reconciler_resource_status", status="Pending", **slow) == 1
    assert worker.metric("reconciler_resource_status", status="InSync", **slow) == 0
    resources = {r["resource"]: r for r in worker.status()["resources"]}
    assert resources["Slow"]["status"] == "Pending"
    assert resources["AfterSlow"]["status"] == "Missing"
    assert resources["AfterSlow"]["reason"] == (
        "waiting for Slow (pending: state pending (creating))")
    assert resources["Base"]["status"] == "InSync"  # independent resources go on
    # The pending job looks again (the reason now comes from an observation) and waits.
    def slow_reason() -> str:
        return next(r["reason"] for r in worker.status()["resources"] if r["resource"] == "Slow")

    wait_until(lambda: "slow:ready" in slow_reason(), 10, worker, "a pending look")
    assert not exists("e2e-slow-after")

    boto3.client("ssm").add_tags_to_resource(ResourceType="Parameter", ResourceId="e2e-slow",
                                             Tags=[{"Key": "slow:ready", "Value": "true"}])
    wait_until(lambda: exists("e2e-slow-after"), 10, worker, "the dependent applied")
    wait_until(lambda: worker.metric("reconciler_resource_status", status="InSync", **slow)
               == 1, 10, worker)
    assert worker.metric("reconciler_resource_status", status="Pending", **slow) == 0
    events = [json.loads(line) for line in worker.logs().splitlines() if line.startswith("{")]
    names = [e["event"] for e in events]
    assert "watching pending resources" in names and "no pending resources left" in names
    assert any(e["event"] == "waiting" and e["resource"] == "AfterSlow" for e in events)
    # Each pending look was a reconcile of the pending resource's neighbourhood, not the tree.
    finished = [e for e in events if e["event"] == "reconcile finished"]
    assert finished[0]["full"] is True and all(e["full"] is False for e in finished[1:])


def test_a_parameter_store_value_is_followed_at_each_full_run(
        remote: Remote, workers: list[Worker], tmp_path: Path) -> None:
    """An AWS::SSM::Parameter::Value parameter is read again at each full run, without a
    new commit, as CloudFormation reads it at each stack operation; a value that cannot be
    read leaves the last good one in force."""
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/e2e/versioning", Value="Enabled", Type="String")
    remote.push({"desired/base.yaml": bucket("Base", "e2e-base", "!Ref Versioning").replace(
        "    Resources:", "    Parameters:\n      Versioning: {Type: "
        "\"AWS::SSM::Parameter::Value<String>\", Default: /e2e/versioning}\n    Resources:")},
        "versioning from parameter store")
    worker = start(workers, remote, tmp_path / "state", interval="2s")
    wait_until(lambda: versioning("e2e-base") == "Enabled", 15, worker, "first apply")
    ssm.put_parameter(Name="/e2e/versioning", Value="Suspended", Type="String",
                      Overwrite=True)
    wait_until(lambda: versioning("e2e-base") == "Suspended", 15, worker, "new value")
    ssm.delete_parameter(Name="/e2e/versioning")
    wait_until(lambda: worker.status().get("desired_errors"), 15, worker, "missing value")
    assert "/e2e/versioning" in str(worker.status()["desired_errors"])
    assert versioning("e2e-base") == "Suspended"  # the last good value stays in force
