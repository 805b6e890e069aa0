"""Desired trees written to hurt: symlinks that lead out of the tree, JSON nested 2,000 deep.
Each is refused with the file named, by `validate` and by the worker (an invalid revision,
reported as one: the last good revision stays in force)."""

from __future__ import annotations

import os
from pathlib import Path

import boto3
import pytest

from tests.harness import Stack
from tests.worker_harness import Remote, Worker, git, wait_until

OUTSIDE = """\
Resources:
  Smuggled:
    Type: AWS::S3::Bucket
    Properties: {BucketName: smuggled-from-elsewhere}
"""
DEEP = "{" + '"a": [' * 1000 + "1" + "]" * 1000 + "}"


def test_validate_refuses_links_that_lead_outside_and_reads_links_within(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = Stack(tmp_path, capsys)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "smuggled.yaml").write_text(OUTSIDE)
    stack.write("real/own.yaml", "Resources:\n  Own:\n    Type: AWS::S3::Bucket\n")
    (stack.desired / "file-link.yaml").symlink_to(elsewhere / "smuggled.yaml")
    (stack.desired / "dir-link").symlink_to(elsewhere, target_is_directory=True)
    (stack.desired / "inner-link.yaml").symlink_to(stack.desired / "real" / "own.yaml")

    result = stack.cli("validate", str(stack.desired))
    assert result.code == 1
    text = result.out + result.err
    assert "file-link.yaml:1: symbolic link to" in text and "leads outside" in text
    assert "dir-link:1: symbolic link to" in text
    # A link within the tree is read: Own is then declared twice, in both files.
    inner = [line for line in text.splitlines() if "inner-link" in line]
    assert inner and not any("symbolic link" in line for line in inner)
    assert "Own" in inner[0]


def test_validate_refuses_json_nested_2000_deep_without_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = Stack(tmp_path, capsys)
    stack.write("deep.json", DEEP)
    result = stack.cli("validate", str(stack.desired))
    assert result.code == 1
    assert "deep.json:1: document nests deeper than 100 levels" in result.out + result.err
    assert "Traceback" not in result.out + result.err


def test_the_worker_reports_such_revisions_invalid_and_keeps_the_last_good_one(
        aws: object, tmp_path: Path) -> None:
    remote = Remote(tmp_path)
    good = remote.push({"desired/own.yaml": "Resources:\n  Own:\n    Type: AWS::S3::Bucket\n"
                        "    Properties: {BucketName: hostile-own}\n"}, "good")
    elsewhere = tmp_path / "host-secrets"
    elsewhere.mkdir()
    (elsewhere / "smuggled.yaml").write_text(OUTSIDE)
    worker = Worker(remote, tmp_path / "state", interval="60s", source_interval="1s")
    try:
        worker.wait_ready()
        wait_until(lambda: worker.status()["revisions"]["last_applied_revision"] == good, 30,
                   worker)
        # A committed symlink to a file elsewhere on the worker's host.
        os.symlink(elsewhere / "smuggled.yaml", remote.work / "desired" / "link.yaml")
        git(remote.work, "add", "-A")
        git(remote.work, "commit", "-qm", "symlink out")
        git(remote.work, "push", "-q", "origin", "main")
        linked = git(remote.work, "rev-parse", "HEAD").strip()
        wait_until(lambda: worker.status()["revisions"]["last_attempted_revision"] == linked,
                   30, worker, "the linked revision attempted")
        status = worker.status()
        assert status["desired_valid"] is False
        assert any("desired/link.yaml:1: symbolic link" in e
                   for e in status["desired_errors"]), status
        assert worker.metric("reconciler_desired_valid") == 0

        deep = remote.push({"desired/link.yaml": None, "desired/deep.json": DEEP}, "deep")
        wait_until(lambda: worker.status()["revisions"]["last_attempted_revision"] == deep,
                   30, worker, "the deep revision attempted")
        status = worker.status()
        assert status["desired_valid"] is False
        assert any("desired/deep.json:1: document nests deeper" in e
                   for e in status["desired_errors"]), status
        assert status["revisions"]["last_applied_revision"] == good
    finally:
        worker.terminate()
    buckets = [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
    assert "smuggled-from-elsewhere" not in buckets and "hostile-own" in buckets
