"""AWS::SecretsManager::RotationSchedule against the moto server over HTTP, and through the CLI.

moto needs a real Lambda function to rotate with (it looks the ARN up), so the
tests create one from a trivial zip; the server runs with Lambda's Docker use
off, so the rotation steps are not executed. moto keeps only
AutomaticallyAfterDays of the rules: ScheduleExpression and Duration are tested
with botocore's Stubber.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from reconciler.aws.clients import AwsClients
from reconciler.kinds.secretsmanager_rotation_schedule import RotationSchedule
from tests.stubbing import OneClient

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
     "Action": "sts:AssumeRole"}]}
ACCOUNT = "123456789012"


@pytest.fixture
def kind(clients: AwsClients) -> RotationSchedule:
    return RotationSchedule(clients)


@pytest.fixture
def sm(aws: Any) -> Any:
    return boto3.client("secretsmanager")


def make_function(name: str) -> str:
    """A Lambda function moto accepts as a rotation function (a no-op handler)."""
    role = boto3.client("iam").create_role(RoleName=f"{name}-role",
                                           AssumeRolePolicyDocument=json.dumps(TRUST))
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    function = boto3.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=role["Role"]["Arn"],
        Handler="index.handler", Code={"ZipFile": code.getvalue()})
    return str(function["FunctionArn"])


@pytest.fixture
def rotator(aws: Any) -> str:
    return make_function("rotate")


@pytest.fixture
def secret_arn(sm: Any) -> str:
    return str(sm.create_secret(Name="app/db", SecretString="initial")["ARN"])


def test_create_then_observe(kind: RotationSchedule, rotator: str, secret_arn: str) -> None:
    desired = {"SecretId": secret_arn, "RotationLambdaARN": rotator,
               "RotationRules": {"AutomaticallyAfterDays": 30}}
    created = kind.create(desired, {})
    assert created.physical_id == secret_arn
    assert created.attributes == {"Ref": secret_arn, "Id": secret_arn}
    seen = kind.observe(secret_arn, desired)
    assert seen is not None
    assert seen.properties == {"SecretId": secret_arn, "RotationLambdaARN": rotator,
                               "RotationRules": {"AutomaticallyAfterDays": 30}}
    assert seen.tags is None and seen.attributes["Ref"] == secret_arn


def test_secret_named_by_name_observes_as_the_name(kind: RotationSchedule, rotator: str,
                                                   secret_arn: str) -> None:
    desired = {"SecretId": "app/db", "RotationLambdaARN": rotator,
               "RotationRules": {"AutomaticallyAfterDays": 7}}
    assert kind.physical_id(desired) == "app/db"
    kind.create(desired, {})
    seen = kind.observe("app/db", desired)
    assert seen is not None and seen.properties["SecretId"] == "app/db"
    assert seen.attributes["Ref"] == secret_arn


def _rotating(sm: Any, arn: str, rotator: str) -> None:
    sm.rotate_secret(SecretId=arn, RotationLambdaARN=rotator,
                     RotationRules={"AutomaticallyAfterDays": 30})


def _cancelled(sm: Any, arn: str, rotator: str) -> None:
    _rotating(sm, arn, rotator)
    sm.cancel_rotate_secret(SecretId=arn)


def _deleted(sm: Any, arn: str, rotator: str) -> None:
    _rotating(sm, arn, rotator)
    sm.delete_secret(SecretId=arn, RecoveryWindowInDays=7)


ABSENT = [
    ("no such secret", None, "nope"),
    ("rotation never configured", None, "app/db"),
    ("rotation cancelled", _cancelled, "app/db"),
    ("secret pending deletion", _deleted, "app/db"),
]


@pytest.mark.parametrize(("setup", "secret_id"), [a[1:] for a in ABSENT],
                         ids=[a[0] for a in ABSENT])
def test_observe_absent(kind: RotationSchedule, sm: Any, rotator: str, secret_arn: str,
                        setup: Any, secret_id: str) -> None:
    if setup is not None:
        setup(sm, secret_arn, rotator)
    assert kind.observe(secret_id, {"SecretId": secret_id}) is None


def test_update_changes_rules_and_function(kind: RotationSchedule, sm: Any, rotator: str,
                                           secret_arn: str) -> None:
    desired = {"SecretId": secret_arn, "RotationLambdaARN": rotator,
               "RotationRules": {"AutomaticallyAfterDays": 30}}
    kind.create(desired, {})
    other = make_function("rotate-v2")
    new = {**desired, "RotationLambdaARN": other, "RotationRules": {"AutomaticallyAfterDays": 90},
           "RotateImmediatelyOnUpdate": False}
    kind.update(secret_arn, new, kind.observe(secret_arn, desired),
                frozenset({"RotationLambdaARN", "RotationRules"}))
    seen = kind.observe(secret_arn, new)
    assert seen is not None
    assert seen.properties["RotationLambdaARN"] == other
    assert seen.properties["RotationRules"] == {"AutomaticallyAfterDays": 90}


def test_delete_cancels_rotation(kind: RotationSchedule, sm: Any, rotator: str,
                                 secret_arn: str) -> None:
    desired = {"SecretId": secret_arn, "RotationLambdaARN": rotator,
               "RotationRules": {"AutomaticallyAfterDays": 30}}
    kind.create(desired, {})
    kind.delete(secret_arn, desired)
    assert kind.observe(secret_arn, desired) is None
    assert sm.describe_secret(SecretId=secret_arn)["Name"] == "app/db"  # the secret stays
    kind.delete("no-such-secret", {})


def test_set_tags_is_a_no_op() -> None:
    assert RotationSchedule.taggable is False


# --- what moto drops: ScheduleExpression and Duration, scripted with Stubber ----------------

SECRET_ARN = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:app/db-AbCdEf"
LAMBDA_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:rotate"


@pytest.mark.parametrize("immediately", [True, False])
def test_schedule_expression_and_window_reach_aws_stubbed(immediately: bool) -> None:
    """moto drops ScheduleExpression and Duration, so the request and the read-back are
    checked with Stubber against the real Secrets Manager model."""
    client = boto3.client("secretsmanager", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    rules = {"ScheduleExpression": "cron(0 4 ? * SUN *)", "Duration": "3h"}
    desired = {"SecretId": SECRET_ARN, "RotationLambdaARN": LAMBDA_ARN, "RotationRules": rules,
               "RotateImmediatelyOnUpdate": immediately}
    kind = RotationSchedule(OneClient(client))
    with Stubber(client) as stub:
        expected = {"SecretId": SECRET_ARN, "RotationLambdaARN": LAMBDA_ARN,
                    "RotationRules": rules}
        # The create carries an idempotency token, then reads the schedule back.
        stub.add_response("rotate_secret", {"ARN": SECRET_ARN, "Name": "app/db"},
                          {**expected, "RotateImmediately": True, "ClientRequestToken": ANY})
        described = {
            "ARN": SECRET_ARN, "Name": "app/db", "RotationEnabled": True,
            "RotationLambdaARN": LAMBDA_ARN,
            # AWS also reports the interval it derives from the schedule.
            "RotationRules": {**rules, "AutomaticallyAfterDays": 7}}
        for _ in range(2):
            stub.add_response("describe_secret", described, {"SecretId": SECRET_ARN})
        stub.add_response("rotate_secret", {"ARN": SECRET_ARN, "Name": "app/db"},
                          {**expected, "RotateImmediately": immediately})
        kind.create(desired, {})
        seen = kind.observe(SECRET_ARN, desired)
        assert seen is not None
        # Read back as declared: the derived interval is AWS's, not drift.
        assert seen.properties["RotationRules"] == rules
        kind.update(SECRET_ARN, desired, seen, frozenset({"RotationRules"}))
        stub.assert_no_pending_responses()


# --- validation -----------------------------------------------------------------------------

VALID = {"SecretId": "app/db", "RotationLambdaARN": LAMBDA_ARN,
         "RotationRules": {"AutomaticallyAfterDays": 30, "Duration": "2h"}}
INVALID = [
    ("no function", {"RotationLambdaARN": None}, "/RotationLambdaARN"),
    ("function not an ARN", {"RotationLambdaARN": "rotate"}, "/RotationLambdaARN"),
    ("days and schedule", {"RotationRules": {"AutomaticallyAfterDays": 3,
                                             "ScheduleExpression": "rate(3 days)"}},
     "/RotationRules"),
    ("neither days nor schedule", {"RotationRules": {"Duration": "2h"}}, "/RotationRules"),
    ("too many days", {"RotationRules": {"AutomaticallyAfterDays": 1001}},
     "/RotationRules/AutomaticallyAfterDays"),
    ("zero days", {"RotationRules": {"AutomaticallyAfterDays": 0}},
     "/RotationRules/AutomaticallyAfterDays"),
    ("bad schedule", {"RotationRules": {"ScheduleExpression": "every sunday"}},
     "/RotationRules/ScheduleExpression"),
    ("bad window", {"RotationRules": {"AutomaticallyAfterDays": 3, "Duration": "25h"}},
     "/RotationRules/Duration"),
]


def test_validate_accepts_sound_schedules() -> None:
    assert RotationSchedule.validate(VALID) == []
    for rules in ({"ScheduleExpression": "rate(10 days)"}, {"ScheduleExpression": "rate(4 hours)"},
                  {"ScheduleExpression": "cron(0 16 1,15 * ? *)", "Duration": "24h"}):
        assert RotationSchedule.validate({**VALID, "RotationRules": rules}) == [], rules
    assert RotationSchedule.validate({**VALID, "RotationLambdaARN": {"Ref": "Fn"}}) == []


@pytest.mark.parametrize(("change", "pointer"), [(c, p) for _, c, p in INVALID],
                         ids=[name for name, _, _ in INVALID])
def test_validate_rejects_what_aws_would(change: dict[str, Any], pointer: str) -> None:
    props = {k: v for k, v in {**VALID, **change}.items() if v is not None}
    assert pointer in [p for p, _ in RotationSchedule.validate(props)]


# --- the round trip through the CLI ---------------------------------------------------------

SCHEDULE_YAML = """
Resources:
  DbSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: app/db
      GenerateSecretString: {PasswordLength: 24}
  DbSecretRotation:
    Type: AWS::SecretsManager::RotationSchedule
    Properties:
      SecretId: !Ref DbSecret
      RotationLambdaARN: {function}
      RotateImmediatelyOnUpdate: false
      RotationRules:
        AutomaticallyAfterDays: 30
"""


def test_cli_round_trip_corrects_drift(stack: Any, sm: Any, rotator: str) -> None:
    stack.write("secret.yaml", SCHEDULE_YAML.replace("{function}", rotator))
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    clean = stack.plan()
    assert clean.code == 0, clean.out + clean.err
    assert {c["status"] for c in clean.json["changes"]} == {"InSync"}

    sm.rotate_secret(SecretId="app/db", RotationLambdaARN=rotator,
                     RotationRules={"AutomaticallyAfterDays": 10}, RotateImmediately=False)
    plan = stack.plan()
    assert plan.code == 2, plan.out + plan.err
    change = plan.change("DbSecretRotation")
    assert (change["status"], change["action"]) == ("Drifted", "update")
    assert change["diff"] == [{"path": "/RotationRules/AutomaticallyAfterDays",
                               "old": 10, "new": 30}]
    assert plan.change("DbSecret")["status"] == "InSync"

    fixed = stack.apply()
    assert fixed.code == 0, fixed.out + fixed.err
    after = stack.plan()
    assert after.code == 0, after.out + after.err
    assert sm.describe_secret(SecretId="app/db")["RotationRules"]["AutomaticallyAfterDays"] == 30
