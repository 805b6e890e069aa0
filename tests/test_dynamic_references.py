"""Dynamic references ({{resolve:secretsmanager:...}}, {{resolve:ssm:...}}): resolved at apply
only, never written to plans, logs, history, state, /status or /metrics; a changed secret
value is not drift, a value changed out of band is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler.template.dynamic_refs import DynamicReferenceError, parse, problems_in
from tests.harness import Stack
from tests.worker_harness import Remote, Worker, wait_until

FIRST, SECOND = "first-s3cr3t-value", "second-s3cr3t-value"
PARAMETER = "plain-parameter-value"
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"

ROLE = """\
Resources:
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: dynref-app
      Description: "{{resolve:secretsmanager:dynref-token:SecretString:token}}"
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
  AppSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: dynref-described
      Description: !Sub "from {{resolve:ssm:/dynref/description}} in ${AWS::Region}"
"""


@pytest.mark.parametrize(("text", "expected"), [
    ("{{resolve:secretsmanager:db}}", ("secretsmanager", "db", None, None, None, None)),
    ("{{resolve:secretsmanager:db:SecretString:password}}",
     ("secretsmanager", "db", "password", None, None, None)),
    (f"{{{{resolve:secretsmanager:{ARN}:SecretString:password:AWSPREVIOUS}}}}",
     ("secretsmanager", ARN, "password", "AWSPREVIOUS", None, None)),
    ("{{resolve:secretsmanager:db:SecretString:::v-1}}",
     ("secretsmanager", "db", None, None, "v-1", None)),
    (f"{{{{resolve:secretsmanager:{ARN}}}}}", ("secretsmanager", ARN, None, None, None, None)),
    ("{{resolve:ssm:/app/name}}", ("ssm", "/app/name", None, None, None, None)),
    ("{{resolve:ssm-secure:/app/key:3}}", ("ssm-secure", "/app/key", None, None, None, 3)),
])
def test_references_parse_as_cloudformation_writes_them(text: str, expected: tuple[Any, ...],
                                                         ) -> None:
    ref = parse(text)
    assert (ref.service, ref.name, ref.json_key, ref.version_stage, ref.version_id,
            ref.version) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("{{resolve:vault:db}}", "not supported"),
    ("{{resolve:ssm:}}", "parameter name is missing"),
    ("{{resolve:secretsmanager:}}", "secret ID is missing"),
    ("{{resolve:secretsmanager:db:SecretString:k:AWSCURRENT:v-1}}", "not both"),
    ("{{resolve:secretsmanager:db:SecretString:a:b:c:d}}", "too many segments"),
])
def test_malformed_references_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(DynamicReferenceError, match=message):
        parse(text)


def test_an_unclosed_reference_is_a_problem() -> None:
    assert "not closed" in problems_in("{{resolve:ssm:/x")[0]


def test_validate_names_the_line_of_a_bad_reference_and_refuses_one_in_a_tag(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = Stack(tmp_path, capsys)
    stack.write("app.yaml", """\
        Resources:
          Logs:
            Type: AWS::Logs::LogGroup
            Properties:
              LogGroupName: dynref-logs
              RetentionInDays: "{{resolve:ssm:/retention}}"
              Tags:
                - {Key: token, Value: "{{resolve:secretsmanager:t:SecretString:k}}"}
          Other:
            Type: AWS::Logs::LogGroup
            Properties:
              LogGroupName: !Sub "{{resolve:vault:${AWS::Region}}}"
        """)
    result = stack.cli("validate", str(stack.desired))
    assert result.code == 1
    text = result.out + result.err
    assert "app.yaml:7" in text and "cannot be a tag value" in text
    assert "app.yaml:12" in text and "'vault' are not supported" in text
    # A reference where the schema wants a number is known only at apply: not refused.
    assert "RetentionInDays" not in text


def _secret_and_parameter() -> tuple[Any, Any]:
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="dynref-token", SecretString=json.dumps({"token": FIRST}))
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/dynref/description", Value=PARAMETER, Type="String")
    return secrets, ssm


def _leaks(*texts: str, state: Path) -> list[str]:
    values = (FIRST, SECOND, PARAMETER)
    found = [v for v in values for t in texts if v in t]
    for path in state.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}:{v}" for v in values if v.encode() in data]
    return found


def test_values_reach_aws_only_and_rotation_is_not_drift_but_tampering_is(stack: Stack) -> None:
    secrets, _ = _secret_and_parameter()
    iam = boto3.client("iam")
    stack.write("app.yaml", ROLE)

    applied = stack.apply("--output", "json")
    assert applied.code == 0, applied.out + applied.err
    assert iam.get_role(RoleName="dynref-app")["Role"]["Description"] == FIRST
    described = boto3.client("secretsmanager").describe_secret(SecretId="dynref-described")
    assert described["Description"] == f"from {PARAMETER} in us-east-1"
    role = applied.change("AppRole")
    assert role["action"] == "create"

    clean = stack.plan()
    assert clean.code == 0, clean.out
    # The secret rotates: what AWS holds is what was applied, so no drift.
    secrets.put_secret_value(SecretId="dynref-token", SecretString=json.dumps({"token": SECOND}))
    rotated = stack.plan()
    assert rotated.code == 0, rotated.out

    # Changed out of band: drift, shown as the reference against a masked value.
    iam.update_role(RoleName="dynref-app", Description="set by hand")
    drifted = stack.plan()
    assert drifted.code == 2, drifted.out
    diff = drifted.change("AppRole")["diff"]
    assert [(d["path"], d["old"], d["new"]) for d in diff] == [
        ("/Description", "(sensitive value)",
         "{{resolve:secretsmanager:dynref-token:SecretString:token}}")]
    text_plan = stack.cli("plan", str(stack.desired), "--state", str(stack.state))
    fixed = stack.apply("--output", "json")
    assert fixed.code == 0, fixed.out + fixed.err
    # The apply sends the value current now.
    assert iam.get_role(RoleName="dynref-app")["Role"]["Description"] == SECOND
    after = stack.plan()
    assert after.code == 0, after.out

    history = stack.cli("status", "--state", str(stack.state), "--output", "json")
    assert _leaks(applied.out, applied.err, clean.out, drifted.out, text_plan.out,
                  text_plan.err, fixed.out, fixed.err, history.out, state=stack.state) == []


def test_a_reference_that_cannot_be_read_fails_its_resource_alone_naming_it(
        stack: Stack) -> None:
    stack.write("app.yaml", """\
        Resources:
          Good:
            Type: AWS::Logs::LogGroup
            Properties: {LogGroupName: dynref-good}
          Bad:
            Type: AWS::Logs::LogGroup
            Properties:
              LogGroupName: "{{resolve:ssm:/dynref/missing}}"
          Keyless:
            Type: AWS::SecretsManager::Secret
            Properties:
              Name: dynref-keyless
              Description: "{{resolve:secretsmanager:dynref-token:SecretString:nokey}}"
        """)
    _secret_and_parameter()
    result = stack.apply("--output", "json")
    assert result.code == 1
    bad, keyless = result.change("Bad"), result.change("Keyless")
    assert "app.yaml:5: Bad" in bad["error"] and "{{resolve:ssm:/dynref/missing}}" in bad["error"]
    assert "ParameterNotFound" in bad["error"]
    assert "has no key 'nokey'" in keyless["error"] and FIRST not in keyless["error"]
    assert result.change("Good")["result"] == "success"
    logs = boto3.client("logs").describe_log_groups(logGroupNamePrefix="dynref")["logGroups"]
    assert [g["logGroupName"] for g in logs] == ["dynref-good"]


def test_the_worker_never_shows_the_value(aws: Any, tmp_path: Path) -> None:
    _secret_and_parameter()
    remote = Remote(tmp_path)
    remote.push({"desired/app.yaml": ROLE}, "role with a referenced description")
    state = tmp_path / "state"
    worker = Worker(remote, state, interval="2s")
    try:
        worker.wait_ready()
        wait_until(lambda: {r["resource"]: r["status"] for r in worker.status()["resources"]}
                   == {"AppRole": "InSync", "AppSecret": "InSync"}, 60, worker, "in sync")
        _, metrics = worker.get("/metrics")
        status = json.dumps(worker.status())
    finally:
        worker.terminate()
    assert _leaks(status, metrics.decode(), worker.logs(), state=state) == []


def test_permissions_cover_reading_the_references(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    stack = Stack(tmp_path, capsys)
    stack.write("app.yaml", ROLE)
    result = stack.cli("permissions", str(stack.desired))
    assert result.code == 0, result.err
    actions = json.loads(result.out)["Statement"][0]["Action"]
    assert {"secretsmanager:GetSecretValue", "kms:Decrypt", "ssm:GetParameter"} <= set(actions)
