"""A reconciler SIGKILLed right after a create call converges, on restart, with exactly one
resource: the create intent recorded before the call lets it find what it made."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

KEY = """
Resources:
  DataKey:
    Type: AWS::KMS::Key
    Properties:
      Description: crash test key
      EnableKeyRotation: true
"""

UNNAMED_BUCKET = """
Resources:
  Scratch:
    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration: {Status: Enabled}
"""


def _apply(desired: Path, state: Path, failpoint: str | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if failpoint:
        env["RECONCILER_FAILPOINTS"] = failpoint
    return subprocess.run(
        [sys.executable, "-m", "reconciler", "apply", str(desired), "--state", str(state)],
        env=env, capture_output=True, text=True, timeout=120)


def _owned_keys() -> list[str]:
    kms = boto3.client("kms")
    keys = []
    for key in kms.list_keys()["Keys"]:
        tags = {t["TagKey"]: t["TagValue"]
                for t in kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]}
        if tags.get("reconciler:logical-id") == "DataKey":
            keys.append(key["KeyId"])
    return keys


@pytest.mark.parametrize(("body", "logical_id", "count"), [
    (KEY, "DataKey", _owned_keys),
    (UNNAMED_BUCKET, "Scratch",
     lambda: [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]),
], ids=["kms-key-found-by-tags", "bucket-with-generated-name-found-by-name"])
def test_killed_after_create_then_rerun_converges_with_one_resource(
        aws: object, tmp_path: Path, body: str, logical_id: str, count: object) -> None:
    desired, state = tmp_path / "desired", tmp_path / "state"
    desired.mkdir()
    (desired / "stack.yaml").write_text(body)

    killed = _apply(desired, state, f"after-create:{logical_id}")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert len(count()) == 1  # type: ignore[operator]

    again = _apply(desired, state, None)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(count()) == 1  # type: ignore[operator]

    plan = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", str(desired), "--state", str(state)],
        capture_output=True, text=True, timeout=120)
    assert plan.returncode == 0, plan.stdout + plan.stderr
