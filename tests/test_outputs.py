"""The Outputs section: checked at validate, resolved after apply, shown by plan, apply,
status and the worker's /status; NoEcho values masked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.harness import Stack
from tests.worker_harness import Remote, Worker, wait_until

TREE = """\
Parameters:
  Token: {Type: String, NoEcho: true, Default: quiet-token-1234}
  WithLogs: {Type: String, Default: "no", AllowedValues: ["yes", "no"]}
Conditions:
  HasLogs: !Equals [!Ref WithLogs, "yes"]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties: {BucketName: outputs-bucket}
  Logs:
    Type: AWS::Logs::LogGroup
    Condition: HasLogs
    Properties: {LogGroupName: outputs-logs}
Outputs:
  BucketArn:
    Description: The bucket's ARN
    Value: !GetAtt Bucket.Arn
  BucketName:
    Value: !Ref Bucket
    Export: {Name: !Sub "${AWS::StackName}-bucket"}
  LogsArn:
    Condition: HasLogs
    Value: !GetAtt Logs.Arn
  Secretish:
    Value: !Sub "token ${Token}"
"""


def test_outputs_are_resolved_after_apply_and_shown_everywhere(stack: Stack) -> None:
    stack.write("app.yaml", TREE)
    before = stack.plan()
    assert before.json["outputs"]["BucketArn"] == {
        "value": None, "description": "The bucket's ARN",
        "unknown": "known after apply: Bucket.Arn"}
    # A name is known before the bucket exists, as the physical ID it will have.
    assert before.json["outputs"]["BucketName"]["value"] == "outputs-bucket"

    applied = stack.apply("--output", "json")
    assert applied.code == 0, applied.out + applied.err
    outputs = applied.json["outputs"]
    assert outputs["BucketArn"]["value"] == "arn:aws:s3:::outputs-bucket"
    assert outputs["BucketName"] == {"value": "outputs-bucket",
                                     "export": "reconciler-bucket"}
    assert "LogsArn" not in outputs  # its Condition is false
    assert outputs["Secretish"]["value"] == "(sensitive value)"

    status = stack.cli("status", "--state", str(stack.state), "--output", "json")
    assert status.json["outputs"] == outputs
    text = stack.cli("status", "--state", str(stack.state))
    assert "  BucketArn = arn:aws:s3:::outputs-bucket" in text.out
    assert "  BucketName = outputs-bucket  (export reconciler-bucket)" in text.out
    plan_text = stack.cli("plan", str(stack.desired), "--state", str(stack.state))
    assert "Outputs:" in plan_text.out and "quiet-token" not in plan_text.out
    for path in stack.state.rglob("*"):
        if path.is_file():
            assert b"quiet-token" not in path.read_bytes()


@pytest.mark.parametrize(("outputs", "line", "message"), [
    ("  A:\n    Description: no value\n", 7, "output 'A': Value is required"),
    ("  A:\n    Value: x\n    Exported: {Name: y}\n", 9, "unknown key 'Exported'"),
    ("  A:\n    Value: x\n    Condition: Nope\n", 9, "unknown condition 'Nope'"),
    ("  A:\n    Value: !GetAtt Missing.Arn\n", 8, "Fn::GetAtt to unknown resource 'Missing'"),
    ("  A:\n    Value: x\n    Export: y\n", 9, "Export takes exactly {Name: ...}"),
    ("  A:\n    Value: !GetAtt Bucket.Nope\n", 8, "has no attribute 'Nope'"),
])
def test_malformed_outputs_are_named_at_their_line(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str],
                                                    outputs: str, line: int,
                                                    message: str) -> None:
    stack = Stack(tmp_path, capsys)
    stack.write("app.yaml", "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n"
                            "    Properties: {BucketName: b}\n\nOutputs:\n" + outputs)
    result = stack.cli("validate", str(stack.desired))
    assert result.code == 1
    assert f"app.yaml:{line}: " in result.out + result.err and message in result.out + result.err


def test_the_worker_shows_outputs_in_status(aws: Any, tmp_path: Path) -> None:
    remote = Remote(tmp_path)
    remote.push({"desired/app.yaml": TREE}, "with outputs")
    worker = Worker(remote, tmp_path / "state", interval="60s")
    try:
        worker.wait_ready()
        outputs = wait_until(lambda: worker.status().get("outputs"), 30, worker, "outputs")
    finally:
        worker.terminate()
    assert outputs["BucketArn"]["value"] == "arn:aws:s3:::outputs-bucket"
    assert "quiet-token" not in json.dumps(outputs)
