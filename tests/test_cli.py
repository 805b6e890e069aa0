"""The CLI as a subprocess: exit codes, JSON shape, errors on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3

from tests.harness import Stack

KEY = """
Resources:
  DataKey:
    Type: AWS::KMS::Key
    Properties:
      Description: cli test key
      EnableKeyRotation: true
  DataKeyAlias:
    Type: AWS::KMS::Alias
    Properties:
      AliasName: alias/cli-test
      TargetKeyId: !Ref DataKey
"""

CHANGE_KEYS = {"resource", "type", "status", "action", "blocked", "reason", "diff"}


def reconciler(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reconciler", *args], capture_output=True,
                          text=True, timeout=120)


def test_exit_codes_and_json_shape(aws: object, tmp_path: Path) -> None:
    desired, state = tmp_path / "desired", str(tmp_path / "state")
    desired.mkdir()
    (desired / "kms.yaml").write_text(KEY)

    assert reconciler("validate", str(desired)).returncode == 0

    pending = reconciler("plan", str(desired), "--state", state, "--output", "json")
    assert pending.returncode == 2, pending.stderr
    plan = json.loads(pending.stdout)
    assert [c["resource"] for c in plan["changes"]] == ["DataKey", "DataKeyAlias"]
    for change in plan["changes"]:
        assert change.keys() >= CHANGE_KEYS
        assert change["status"] == "Missing" and change["action"] == "create"
        assert all({"path", "old", "new"} == d.keys() for d in change["diff"])
    alias_target = next(d for d in plan["changes"][1]["diff"] if d["path"] == "/TargetKeyId")
    assert alias_target["new"] == "(known after apply)"

    applied = reconciler("apply", str(desired), "--state", state)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply: 2 created, 0 updated" in applied.stdout

    clean = reconciler("plan", str(desired), "--state", state, "--output", "json")
    assert clean.returncode == 0, clean.stdout
    assert {c["status"] for c in json.loads(clean.stdout)["changes"]} == {"InSync"}

    key_id = boto3.client("kms").list_aliases()["Aliases"]
    target = next(a["TargetKeyId"] for a in key_id if a["AliasName"] == "alias/cli-test")
    boto3.client("kms").update_key_description(KeyId=target, Description="edited by hand")
    drift = reconciler("plan", str(desired), "--state", state)
    assert drift.returncode == 2
    assert '~ /Description: "edited by hand" -> "cli test key"' in drift.stdout

    status = reconciler("status", "--state", state, "--output", "json")
    assert status.returncode == 0
    resources = {r["resource"]: r for r in json.loads(status.stdout)["resources"]}
    assert resources["DataKey"]["status"] == "InSync"


def test_invalid_tree_exits_1_with_file_and_line(aws: object, tmp_path: Path) -> None:
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "bad.yaml").write_text(
        "Resources:\n  Thing:\n    Type: AWS::Nope::Thing\n    Properties: {}\n")
    for args in (("validate", str(desired)),
                 ("plan", str(desired), "--state", str(tmp_path / "s"))):
        result = reconciler(*args)
        assert result.returncode == 1
        assert f"{desired}/bad.yaml:3:" in result.stderr
        assert "AWS::Nope::Thing" in result.stderr


def test_aws_unreachable_is_an_error_exit_1(tmp_path: Path) -> None:
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "kms.yaml").write_text(KEY)
    env_cmd = [sys.executable, "-m", "reconciler", "plan", str(desired), "--state",
               str(tmp_path / "s"), "--output", "json"]
    import os

    env = {**os.environ, "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1",
           "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION":
           "us-east-1"}
    result = subprocess.run(env_cmd, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 1
    assert "cannot reach AWS" in result.stderr
    assert "127.0.0.1:9" in result.stderr


def test_bad_parameter_flag_is_exit_1(tmp_path: Path) -> None:
    result = reconciler("validate", str(tmp_path), "--parameter", "novalue")
    assert result.returncode == 1
    assert "KEY=VALUE" in result.stderr


def test_validate_and_status_take_the_common_options(stack: Stack) -> None:
    stack.write("kms.yaml", KEY)
    stack.write("parameters.yaml", "Parameters:\n  Note: {Type: String, Default: a}\n")
    common = ["--state", str(stack.state), "--owner", "cli-test", "--parameter", "Note=b"]
    # No condition needs a pseudo parameter, so --local starts nothing for validate.
    valid = stack.cli("validate", str(stack.desired), *common, "--local")
    assert valid.code == 0, valid.err
    assert "valid (2 resources in 2 files)" in valid.out
    assert "local AWS" not in valid.err
    assert stack.apply("--owner", "cli-test").code == 0
    status = stack.cli("status", *common, "--local", "--output", "json")
    assert status.code == 0, status.err
    assert {r["resource"] for r in status.json["resources"]} == {"DataKey", "DataKeyAlias"}


def test_a_usage_error_is_exit_1() -> None:
    result = reconciler("plan", "--max-deletes", "lots")
    assert result.returncode == 1
    assert "--max-deletes" in result.stderr and "not an integer" in result.stderr
