"""AWS::SecretsManager::Secret against the moto server over HTTP, and through the CLI.

The generated value is fetched with plain boto3 and must appear nowhere the
reconciler writes: observations, errors, plan output, the state directory.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from reconciler.aws.clients import AwsClients
from reconciler.aws.normalize import LOGICAL_ID_TAG, OWNER_TAG
from reconciler.errors import ReconcilerError
from reconciler.kinds.base import Observation
from reconciler.kinds.secretsmanager_secret import Secret
from reconciler.template.coerce import coerce_properties
from reconciler.template.schema_check import check_properties
from tests.stubbing import OneClient

TAGS = {OWNER_TAG: "test", LOGICAL_ID_TAG: "DbSecret", "team": "data"}
TEMPLATE_SPEC = {"SecretStringTemplate": '{"username": "admin"}', "GenerateStringKey": "password",
                 "PasswordLength": 32, "ExcludeCharacters": "\"@/\\'"}


@pytest.fixture
def kind(clients: AwsClients) -> Secret:
    return Secret(clients)


@pytest.fixture
def sm(aws: Any) -> Any:
    """Plain boto3: to read the value and to change things out of band."""
    return boto3.client("secretsmanager")


@pytest.fixture
def kms(aws: Any) -> Any:
    return boto3.client("kms")


def stubbable_client() -> Any:
    return boto3.client("secretsmanager", region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x")


def secret_value(sm: Any, name: str) -> str:
    return str(sm.get_secret_value(SecretId=name)["SecretString"])


def test_create_with_template_then_observe(kind: Secret, sm: Any) -> None:
    desired = {"Name": "app/db", "Description": "db login", "KmsKeyId": "alias/app",
               "GenerateSecretString": TEMPLATE_SPEC}
    created = kind.create(desired, TAGS)
    arn = created.attributes["Ref"]
    assert arn.startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-")
    assert created.attributes["Id"] == arn

    value = json.loads(secret_value(sm, "app/db"))
    assert value["username"] == "admin" and len(value["password"]) == 32
    assert not set(value["password"]) & set("\"@/\\'")

    seen = kind.observe("app/db", desired)
    assert seen is not None
    assert seen.physical_id == "app/db"
    assert seen.properties == {"Name": "app/db", "Description": "db login",
                               "KmsKeyId": "alias/app"}
    assert seen.tags == TAGS
    assert seen.attributes == {"Ref": arn, "Id": arn}
    for shown in (repr(created), repr(seen)):
        assert value["password"] not in shown


GENERATORS = [
    ("length only", {"PasswordLength": 20}, 20, set()),
    ("letters only", {"PasswordLength": 16, "ExcludeNumbers": True, "ExcludePunctuation": True},
     16, set(string.digits + string.punctuation)),
    ("no lowercase", {"PasswordLength": 12, "ExcludeLowercase": "true"}, 12,
     set(string.ascii_lowercase)),
]


@pytest.mark.parametrize(("spec", "length", "absent"), [g[1:] for g in GENERATORS],
                         ids=[g[0] for g in GENERATORS])
def test_generated_password_follows_the_settings(kind: Secret, sm: Any, spec: dict[str, Any],
                                                 length: int, absent: set[str]) -> None:
    # As the engine hands values over: coerced to the schema's types ("true" is true).
    desired = coerce_properties({"Name": "s", "GenerateSecretString": spec},
                                Secret.type_schema())
    kind.create(desired, TAGS)
    value = secret_value(sm, "s")
    assert len(value) == length and not set(value) & absent


def test_create_without_generator_makes_an_empty_secret(kind: Secret, sm: Any) -> None:
    kind.create({"Name": "empty"}, TAGS)
    assert sm.describe_secret(SecretId="empty")["Name"] == "empty"
    with pytest.raises(ClientError):
        sm.get_secret_value(SecretId="empty")


def test_observe_missing_is_none(kind: Secret) -> None:
    assert kind.observe("nope", {"Name": "nope"}) is None


def test_absent_values_observe_as_none(kind: Secret) -> None:
    kind.create({"Name": "bare"}, TAGS)
    seen = kind.observe("bare", {"Name": "bare", "Description": "x", "KmsKeyId": "alias/k"})
    assert seen is not None
    assert seen.properties["Description"] is None and seen.properties["KmsKeyId"] is None
    default = kind.observe("bare", {"Name": "bare", "KmsKeyId": "alias/aws/secretsmanager"})
    assert default is not None and default.properties["KmsKeyId"] == "alias/aws/secretsmanager"


def test_key_written_as_alias_matches_the_key_aws_reports(kind: Secret, kms: Any,
                                                          sm: Any) -> None:
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    kind.create({"Name": "s", "KmsKeyId": key["Arn"]}, TAGS)
    seen = kind.observe("s", {"Name": "s", "KmsKeyId": "alias/app"})
    assert seen is not None and seen.properties["KmsKeyId"] == "alias/app"
    other = kms.create_key()["KeyMetadata"]["Arn"]
    sm.update_secret(SecretId="s", KmsKeyId=other)
    seen = kind.observe("s", {"Name": "s", "KmsKeyId": "alias/app"})
    assert seen is not None and seen.properties["KmsKeyId"] == other


# An emptied description is in test_update_can_empty_the_description: moto ignores "".
UPDATES = [("Description", "new words"), ("KmsKeyId", "alias/other")]


@pytest.mark.parametrize(("prop", "value"), UPDATES, ids=[f"{p}={v!r}" for p, v in UPDATES])
def test_update_brings_one_property_to_desired(kind: Secret, sm: Any, prop: str,
                                               value: Any) -> None:
    desired = {"Name": "s", "Description": "old", "KmsKeyId": "alias/app",
               "GenerateSecretString": {"PasswordLength": 10}}
    kind.create(desired, TAGS)
    before = secret_value(sm, "s")
    new = {**desired, prop: value}
    kind.update("s", new, kind.observe("s", desired), frozenset({prop}))
    seen = kind.observe("s", new)
    assert seen is not None
    assert {k: seen.properties[k] for k in ("Description", "KmsKeyId")} == \
        {k: new[k] for k in ("Description", "KmsKeyId")}
    assert secret_value(sm, "s") == before  # an update never regenerates the value


def test_update_can_empty_the_description() -> None:
    """Stubber, since moto's UpdateSecret ignores an empty Description (AWS stores it)."""
    client = stubbable_client()
    with Stubber(client) as stub:
        stub.add_response("update_secret", {"Name": "s"}, {"SecretId": "s", "Description": ""})
        observed = Observation("s", {"Description": "old"})
        Secret(OneClient(client)).update("s", {"Name": "s", "Description": ""}, observed,
                                   frozenset({"Description"}))
        stub.assert_no_pending_responses()


def test_set_tags(kind: Secret) -> None:
    kind.create({"Name": "s"}, TAGS)
    kind.set_tags("s", {"team": "platform", "tier": "1"}, [])
    kind.set_tags("s", {}, ["tier"])
    seen = kind.observe("s", {"Name": "s"})
    assert seen is not None and seen.tags == {**TAGS, "team": "platform"}


def test_delete_schedules_deletion_with_a_recovery_window(kind: Secret, sm: Any) -> None:
    kind.create({"Name": "s", "GenerateSecretString": {"PasswordLength": 8}}, TAGS)
    kind.delete("s", {})
    described = sm.describe_secret(SecretId="s")
    assert described["DeletedDate"]  # scheduled, still restorable
    days = (described["DeletedDate"] - described["CreatedDate"]).days
    assert 29 <= days <= 30
    assert kind.observe("s", {"Name": "s"}) is None
    kind.delete("s", {})  # already scheduled: no error
    kind.delete("never-was", {})


def test_create_restores_our_secret_pending_deletion(kind: Secret, sm: Any) -> None:
    desired = {"Name": "s", "Description": "kept", "GenerateSecretString": {"PasswordLength": 8}}
    kind.create(desired, TAGS)
    value = secret_value(sm, "s")
    sm.tag_resource(SecretId="s", Tags=[{"Key": "stray", "Value": "x"}])
    kind.delete("s", {})
    restored = kind.create({**desired, "Description": "back"}, TAGS)
    assert restored.attributes["Ref"] == sm.describe_secret(SecretId="s")["ARN"]
    seen = kind.observe("s", desired)
    assert seen is not None and seen.properties["Description"] == "back"
    assert seen.tags == TAGS
    assert secret_value(sm, "s") == value  # the data survives


def test_create_refuses_to_restore_a_secret_it_does_not_own(kind: Secret, sm: Any) -> None:
    sm.create_secret(Name="theirs", SecretString="x")
    sm.delete_secret(SecretId="theirs", RecoveryWindowInDays=7)
    with pytest.raises(ReconcilerError, match="scheduled for deletion"):
        kind.create({"Name": "theirs"}, TAGS)
    assert sm.describe_secret(SecretId="theirs")["DeletedDate"]


def test_create_of_an_existing_live_secret_fails(kind: Secret, sm: Any) -> None:
    sm.create_secret(Name="taken", SecretString="x")
    with pytest.raises(ClientError):
        kind.create({"Name": "taken"}, TAGS)


def test_a_failed_create_never_reveals_the_generated_value(aws: Any) -> None:
    """An error that quotes the value (scripted with Stubber: no real service does this)
    comes out masked, without traceback frames or chained errors that held the value."""
    client = stubbable_client()
    password = "Pa55-word-that-must-not-leak"
    with Stubber(client) as stub:
        stub.add_response("get_random_password", {"RandomPassword": password})
        stub.add_client_error("create_secret", "InternalServiceError",
                              f"could not store {{\"username\": \"admin\", \"password\": "
                              f"\"{password}\"}}")
        with pytest.raises(ClientError) as raised:
            Secret(OneClient(client)).create(
                {"Name": "s", "GenerateSecretString": TEMPLATE_SPEC}, {})
    error = raised.value
    assert password not in str(error) and "(sensitive value)" in str(error)
    assert error.__context__ is None and error.__cause__ is None
    tb = error.__traceback__.tb_next  # past this test's own frame
    while tb is not None:
        assert password not in repr(tb.tb_frame.f_locals)
        tb = tb.tb_next


def test_generated_name_is_a_valid_secret_name(kind: Secret) -> None:
    name = kind.generated_name("DbSecret", "team a")["Name"]
    assert name.startswith("teama-DbSecret-") and Secret.validate({"Name": name}) == []
    assert kind.physical_id({"Name": "x"}) == "x" and kind.physical_id({}) is None


INVALID = [
    ("template without key", {"GenerateSecretString": {"SecretStringTemplate": "{}"}},
     "/GenerateSecretString"),
    ("key without template", {"GenerateSecretString": {"GenerateStringKey": "p"}},
     "/GenerateSecretString"),
    ("template not an object", {"GenerateSecretString": {"SecretStringTemplate": "[1]",
                                                         "GenerateStringKey": "p"}},
     "/GenerateSecretString/SecretStringTemplate"),
    ("template not JSON", {"GenerateSecretString": {"SecretStringTemplate": "{user",
                                                    "GenerateStringKey": "p"}},
     "/GenerateSecretString/SecretStringTemplate"),
    ("password too long", {"GenerateSecretString": {"PasswordLength": 4097}},
     "/GenerateSecretString/PasswordLength"),
    ("password empty", {"GenerateSecretString": {"PasswordLength": 0}},
     "/GenerateSecretString/PasswordLength"),
    ("every class excluded", {"GenerateSecretString": {
        "ExcludeLowercase": True, "ExcludeUppercase": True, "ExcludeNumbers": True,
        "ExcludePunctuation": True}}, "/GenerateSecretString"),
    ("bad name", {"Name": "has space"}, "/Name"),
    ("bad key", {"KmsKeyId": "my-key"}, "/KmsKeyId"),
    ("long description", {"Description": "x" * 2049}, "/Description"),
    ("declared and generated", {"SecretString": "v", "GenerateSecretString": {}},
     "/SecretString"),
]


def test_validate_accepts_sound_secrets() -> None:
    assert Secret.validate({"Name": "ryuzen/prod/aurora", "GenerateSecretString": TEMPLATE_SPEC,
                            "KmsKeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}) == []
    for key in ("alias/app", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-"
                "1234567890ab", "mrk-1234abcd12ab34cd56ef1234567890ab", {"Ref": "Key"}):
        assert Secret.validate({"KmsKeyId": key}) == [], key


@pytest.mark.parametrize(("props", "pointer"), [(p, q) for _, p, q in INVALID],
                         ids=[name for name, _, _ in INVALID])
def test_validate_rejects_what_aws_would(props: dict[str, Any], pointer: str) -> None:
    """Through the whole property check (the schema's limits, then the kind's own)."""
    issues = check_properties("S", "AWS::SecretsManager::Secret", props, Secret, "f.yaml", 1)
    where = pointer.strip("/").replace("/", ".")
    assert any(f"S (AWS::SecretsManager::Secret) {where}:" in str(i) for i in issues), issues


# --- the round trip through the CLI ---------------------------------------------------------

SECRET_YAML = """
Resources:
  SecretsKey:
    Type: AWS::KMS::Key
    Properties:
      Description: secrets key
  OtherKey:
    Type: AWS::KMS::Key
    Properties:
      Description: another key
  DbSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: app/db
      Description: db login
      KmsKeyId: !Ref SecretsKey
      GenerateSecretString:
        SecretStringTemplate: '{"username": "admin"}'
        GenerateStringKey: password
        PasswordLength: 32
        ExcludeCharacters: "\\"@/\\\\'"
      Tags:
        - {Key: team, Value: data}
"""


def _in_sync(result: Any) -> None:
    assert result.code == 0, result.out + result.err
    assert {c["status"] for c in result.json["changes"]} == {"InSync"}, result.out


def _key_arn(kms: Any, description: str) -> str:
    for key in kms.list_keys()["Keys"]:
        meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if meta.get("Description") == description:
            return str(meta["Arn"])
    raise AssertionError(description)


def _change_description(sm: Any, kms: Any) -> tuple[str, Any]:
    sm.update_secret(SecretId="app/db", Description="changed by hand")
    return "/Description", "changed by hand"


def _change_key(sm: Any, kms: Any) -> tuple[str, Any]:
    other = _key_arn(kms, "another key")
    sm.update_secret(SecretId="app/db", KmsKeyId=other)
    return "/KmsKeyId", other


DRIFTS = [("description", _change_description), ("kms key", _change_key)]


@pytest.mark.parametrize("drift", [d for _, d in DRIFTS], ids=[n for n, _ in DRIFTS])
def test_cli_round_trip_corrects_drift(stack: Any, sm: Any, kms: Any, drift: Any) -> None:
    stack.write("secret.yaml", SECRET_YAML)
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    _in_sync(stack.plan())
    value = secret_value(sm, "app/db")

    path, old = drift(sm, kms)
    plan = stack.plan()
    assert plan.code == 2, plan.out + plan.err
    change = plan.change("DbSecret")
    assert (change["status"], change["action"]) == ("Drifted", "update")
    assert [d["path"] for d in change["diff"]] == [path]
    assert change["diff"][0]["old"] == old
    declared = {"/Description": "db login",
                "/KmsKeyId": _key_arn(kms, "secrets key").rsplit("/", 1)[-1]}
    assert change["diff"][0]["new"] == declared[path]

    fixed = stack.apply()
    assert fixed.code == 0, fixed.out + fixed.err
    _in_sync(stack.plan())
    assert secret_value(sm, "app/db") == value


def test_cli_never_reveals_the_generated_value(stack: Any, sm: Any) -> None:
    stack.write("secret.yaml", SECRET_YAML)
    first_plan = stack.plan()
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    text_plan = stack.cli("plan", str(stack.desired), "--state", str(stack.state))
    json_plan = stack.plan()
    status = stack.cli("status", "--state", str(stack.state), "--output", "json")
    value = secret_value(sm, "app/db")
    password = json.loads(value)["password"]
    needles = [value, password, json.dumps(value)]
    for result in (first_plan, applied, text_plan, json_plan, status):
        for needle in needles:
            assert needle not in result.out and needle not in result.err
    files = [f for f in Path(stack.state).rglob("*") if f.is_file()]
    assert files, "the state directory is empty"
    for file in files:
        data = file.read_bytes()
        for needle in needles:
            assert needle.encode() not in data, file


# --- a declared SecretString: written, never read back, masked everywhere -------------------

FIRST_VALUE, SECOND_VALUE = "declared-first-s3cr3t", "declared-second-s3cr3t"


def test_declared_value_is_written_at_create_and_never_read(kind: Secret, sm: Any,
                                                            clients: AwsClients) -> None:
    desired = {"Name": "app/api", "SecretString": FIRST_VALUE}
    kind.create(dict(desired), TAGS)
    assert secret_value(sm, "app/api") == FIRST_VALUE
    before = clients.calls
    observed = kind.observe("app/api", desired)
    assert observed is not None and "SecretString" not in observed.properties
    assert clients.calls - before == 1  # DescribeSecret only: no GetSecretValue
    assert "/SecretString" in Secret.secret_paths and "/SecretString" in Secret.unobservable
    assert Secret.compare_written == frozenset({"SecretString"})


def test_update_puts_the_declared_value(kind: Secret, sm: Any) -> None:
    kind.create({"Name": "app/api", "SecretString": FIRST_VALUE}, TAGS)
    observed = kind.observe("app/api", {"Name": "app/api"})
    assert observed is not None
    kind.update("app/api", {"Name": "app/api", "SecretString": SECOND_VALUE}, observed,
                frozenset({"SecretString"}))
    assert secret_value(sm, "app/api") == SECOND_VALUE
    stages = sm.describe_secret(SecretId="app/api")["VersionIdsToStages"]
    assert len(stages) == 2 and ["AWSCURRENT"] in stages.values()


def test_a_failed_put_never_reveals_the_declared_value() -> None:
    """Stubber: an error quoting the value comes back with the value masked."""
    client = stubbable_client()
    kind = Secret(OneClient(client))
    with Stubber(client) as stub:
        stub.add_client_error("put_secret_value", "InvalidRequestException",
                              f"cannot take {SECOND_VALUE}")
        with pytest.raises(ClientError) as caught:
            kind.write_value("app/api", {"SecretString": SECOND_VALUE}, None)
    assert SECOND_VALUE not in str(caught.value) and caught.value.__context__ is None


SECRET_STRING_YAML = """
Parameters:
  ApiToken: {Type: String, NoEcho: true}
Resources:
  ApiSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: app/api
      Description: api token
      SecretString: !Sub '{"token": "${ApiToken}"}'
"""


def test_cli_declared_value_is_rewritten_when_the_declaration_changes(stack: Any,
                                                                       sm: Any) -> None:
    """Set, plan clean; an out-of-band value is not drift (write-only, never read); a changed
    declaration is drift at exactly /SecretString, masked; apply writes it; clean again."""
    stack.write("secret.yaml", SECRET_STRING_YAML)
    first = ("--parameter", f"ApiToken={FIRST_VALUE}")
    second = ("--parameter", f"ApiToken={SECOND_VALUE}")
    applied = stack.apply(*first)
    assert applied.code == 0, applied.out + applied.err
    assert json.loads(secret_value(sm, "app/api")) == {"token": FIRST_VALUE}
    _in_sync(stack.plan(*first))

    sm.put_secret_value(SecretId="app/api", SecretString="rotated out of band")
    _in_sync(stack.plan(*first))  # never read back: not drift, as in CloudFormation

    plan = stack.plan(*second)
    assert plan.code == 2, plan.out + plan.err
    change = plan.change("ApiSecret")
    assert (change["status"], change["action"]) == ("Drifted", "update")
    assert change["diff"] == [{"path": "/SecretString", "old": "(sensitive value)",
                               "new": "(sensitive value)"}]
    text_plan = stack.cli("plan", str(stack.desired), "--state", str(stack.state), *second)
    fixed = stack.apply(*second)
    assert fixed.code == 0, fixed.out + fixed.err
    assert json.loads(secret_value(sm, "app/api")) == {"token": SECOND_VALUE}
    _in_sync(stack.plan(*second))
    status = stack.cli("status", "--state", str(stack.state), "--output", "json")
    for result in (applied, plan, text_plan, fixed, status):
        for needle in (FIRST_VALUE, SECOND_VALUE):
            assert needle not in result.out and needle not in result.err
    for file in (f for f in Path(stack.state).rglob("*") if f.is_file()):
        data = file.read_bytes()
        assert FIRST_VALUE.encode() not in data and SECOND_VALUE.encode() not in data, file


ADOPTED_YAML = """
Resources:
  ApiSecret:
    Type: AWS::SecretsManager::Secret
    Metadata: {Reconciler: {Adopt: true}}
    Properties:
      Name: app/api
      SecretString: VALUE
"""


def test_cli_adopting_trusts_the_declared_value_until_it_changes(stack: Any, sm: Any) -> None:
    """An adopted secret's value cannot be compared: the declaration is taken as what AWS
    holds (nothing written), and a later change of the declaration is written."""
    sm.create_secret(Name="app/api", SecretString="made elsewhere")
    stack.write("secret.yaml", ADOPTED_YAML.replace("VALUE", FIRST_VALUE))
    plan = stack.plan()
    assert [d["path"] for d in plan.change("ApiSecret")["diff"]] == [
        "/Tags/reconciler:logical-id", "/Tags/reconciler:owner"], plan.out
    assert stack.apply().code == 0
    assert secret_value(sm, "app/api") == "made elsewhere"
    _in_sync(stack.plan())

    stack.write("secret.yaml", ADOPTED_YAML.replace("VALUE", SECOND_VALUE))
    plan = stack.plan()
    assert [d["path"] for d in plan.change("ApiSecret")["diff"]] == ["/SecretString"]
    assert stack.apply().code == 0
    assert secret_value(sm, "app/api") == SECOND_VALUE
    _in_sync(stack.plan())
