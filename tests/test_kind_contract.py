"""The contract every registered kind keeps, tested the moment it registers.

Static checks against the CloudFormation schema and the botocore service model, then a
round trip over HTTP against the moto server from the kind's example in
``tests/contract/<module>.yaml``: create, plan clean, one property changed out of band with
plain boto3, plan shows exactly that path, apply fixes it, plan clean, remove it, gone.
A kind with nothing updatable (untaggable, every property create-only) says
``Drift: {none: <why>}`` in its example: the claim is checked and the drift step skipped.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.model import OperationNotFoundError

from reconciler.aws.clients import AwsClients
from reconciler.engine.diff import PropertyDiff
from reconciler.engine.model import MASK, DiffEntry
from reconciler.kinds import mapper
from reconciler.kinds.base import Kind
from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.model_shapes import result_shape
from reconciler.kinds.registry import _KINDS, catalog
from reconciler.kinds.schema import path_pointer
from reconciler.permissions import actions_for
from reconciler.template.schema_check import check_properties
from reconciler.template.yaml_source import parse
from tests.faulty_proxy import faulty_proxy
from tests.harness import Stack

EXAMPLES = Path(__file__).parent / "contract"
TYPES = sorted(_KINDS)


def _kind(type_name: str) -> type[Kind]:
    return catalog()[type_name]


def _module(type_name: str) -> str:
    return _KINDS[type_name].split(":")[0].rsplit(".", 1)[-1]


# Each kind's example, and its variants (``<module>.<variant>.yaml``: another way the kind is
# made, e.g. a standalone DB instance besides one of a cluster), each a round trip of its own.
CASES = [pytest.param(t, v, id=f"{t}{'.' + v if v else ''}") for t in TYPES for v in (
    "", *sorted(p.name.split(".")[1] for p in EXAMPLES.glob(f"{_module(t)}.*.yaml")))]


def _example(type_name: str, variant: str = "") -> dict[str, Any]:
    name = f"{_module(type_name)}.{variant}" if variant else _module(type_name)
    path = EXAMPLES / f"{name}.yaml"
    assert path.exists(), f"{type_name} has no contract example {path}"
    document, problems = parse(path.read_text())
    assert not problems, f"{path}: {problems}"
    return json.loads(json.dumps(document))  # plain data, intrinsics in long form


# --- static: the kind against its schema ---------------------------------------------------

@pytest.mark.parametrize("type_name", TYPES)
def test_type_name_and_managed_properties_match_the_schema(type_name: str) -> None:
    kind = _kind(type_name)
    facts = kind.type_schema()
    assert kind.type_name == type_name == facts.type_name
    unknown = kind.managed_properties - facts.properties
    assert not unknown, f"{type_name} manages properties its schema lacks: {unknown}"
    read_only = {p[0] for p in facts.read_only if len(p) == 1} & kind.managed_properties
    assert not read_only, f"{type_name} manages read-only properties {read_only}"
    assert kind.attributes <= facts.properties


# The first kinds: every property of their schemas is managed or refused with its reason.
FIRST_TYPES = ["AWS::KMS::Key", "AWS::KMS::Alias", "AWS::S3::Bucket", "AWS::S3::BucketPolicy",
               "AWS::DynamoDB::Table", "AWS::IAM::Role", "AWS::SecretsManager::Secret",
               "AWS::SecretsManager::RotationSchedule"]


@pytest.mark.parametrize("type_name", TYPES)
def test_refusals_name_schema_properties_and_give_reasons(type_name: str) -> None:
    kind = _kind(type_name)
    facts = kind.type_schema()
    assert set(kind.refused) <= facts.properties - facts.attributes
    assert not set(kind.refused) & kind.managed_properties
    assert all(isinstance(why, str) and len(why) > 10 for why in kind.refused.values())
    for name, why in kind.refused.items():
        issues = check_properties("R", type_name, {name: "x"}, kind, "f.yaml", 1)
        assert any(f"property {name} of {type_name} is not managed: {why}" in str(i)
                   for i in issues), issues


@pytest.mark.parametrize("type_name", FIRST_TYPES)
def test_first_kinds_manage_or_refuse_every_property(type_name: str) -> None:
    kind = _kind(type_name)
    facts = kind.type_schema()
    unaccounted = facts.properties - facts.attributes - kind.managed_properties - set(
        kind.refused)
    assert not unaccounted, f"{type_name}: neither managed nor refused: {unaccounted}"


@pytest.mark.parametrize("type_name", TYPES)
def test_write_only_properties_are_never_diffed_and_credentials_are_masked(
        type_name: str) -> None:
    kind = _kind(type_name)
    facts = kind.type_schema()
    differ = PropertyDiff(kind)
    for path in facts.write_only:
        if path_pointer(path) in kind.readable:
            # The kind reads it back after all: it must have its own reader.
            assert path[0] in getattr(kind, "readers", {}), f"{path_pointer(path)}: no reader"
            continue
        assert path_pointer(path) in kind.unobservable
        if "*" in path:
            continue
        # The same value around the write-only one, which AWS never reads back.
        desired, actual = _nested(path, "declared"), _nested(path, None)
        assert differ.diff(desired, actual) == [], f"{path_pointer(path)} was diffed"
    for path in facts.secrets:
        pointer = path_pointer(path).replace("*", "0")
        masked = differ.mask(DiffEntry(pointer, "old secret", "new secret"))
        assert (masked.old, masked.new) == (MASK, MASK)
        assert differ.mask_properties({path[0]: "s3cret"}) in ({path[0]: MASK},
                                                                {path[0]: "s3cret"})


def _nested(path: tuple[str, ...], leaf: Any) -> dict[str, Any]:
    value: Any = leaf
    for part in reversed(path):
        value = {part: value}
    return dict(value)


@pytest.mark.parametrize("type_name", TYPES)
def test_tagging_matches_the_schema(type_name: str) -> None:
    kind = _kind(type_name)
    tagging = kind.type_schema().tagging
    assert kind.taggable == tagging.taggable
    if tagging.taggable:
        assert tagging.tag_property in kind.managed_properties
    else:
        assert "Tags" not in kind.managed_properties


DECLARED = [t for t in TYPES if issubclass(_kind(t), DeclaredKind)]


def _calls(kind: type[DeclaredKind]) -> list[Call]:
    steps = [kind.read_call, kind.create_call, kind.delete_call, *kind.readers.values(),
             *kind.writers.values()]
    for step in steps:  # a step named by a string is a method of the kind
        assert not isinstance(step, str) or callable(getattr(kind, step, None)), step
    return [c for c in steps if isinstance(c, Call)]


@pytest.mark.parametrize("type_name", DECLARED)
def test_declared_calls_and_renames_exist_in_the_service_model(type_name: str) -> None:
    kind = _kind(type_name)
    assert issubclass(kind, DeclaredKind)
    model = boto3.client(kind.service, region_name="us-east-1").meta.service_model
    for call in _calls(kind):
        for name in filter(None, (call.operation, call.off)):
            try:
                operation = model.operation_model(name)
            except OperationNotFoundError:
                pytest.fail(f"{type_name}: {kind.service} has no operation {name}")
            members = operation.input_shape.members
            for fixed in call.args:
                assert fixed in members, f"{type_name}: {name} takes no {fixed}"
            for pointer, member in call.renames.items():
                if pointer.count("/") == 1 and name in (kind.create_call.operation,):
                    assert member in members, f"{type_name}: {name} has no member {member}"
    if kind.tag_calls is not None:
        for name in filter(None, (kind.tag_calls.tag, kind.tag_calls.untag,
                                  kind.tag_calls.list)):
            model.operation_model(name)


@pytest.mark.parametrize("type_name", DECLARED)
def test_every_managed_property_is_read_and_written(type_name: str) -> None:
    """Each managed property maps to a member of the read answer (or has a reader), and is set
    by the create call or a writer; one AWS cannot change in place is create-only."""
    kind = _kind(type_name)
    assert issubclass(kind, DeclaredKind)
    model = boto3.client(kind.service, region_name="us-east-1").meta.service_model
    read = result_shape(model.operation_model(kind.read_call.operation).output_shape,
                         kind.read_call.result)
    create = model.operation_model(kind.create_call.operation).input_shape
    tag_property = kind.type_schema().tagging.tag_property
    for prop in sorted(kind.managed_properties - {tag_property}):
        if f"/{prop}" in kind.unobservable:
            continue
        if prop not in kind.readers and prop not in kind.property_paths and read is not None \
                and prop != kind.name_property():
            assert mapper.member_for(read, prop, f"/{prop}", kind.read_call.renames) \
                in read.members, f"{type_name}: {prop} is not in the read answer"
        in_create = mapper.member_for(create, prop, f"/{prop}",
                                      kind.create_call.renames) in create.members
        assert in_create or prop in kind.writers, f"{type_name}: nothing sets {prop}"
        assert prop in kind.writers or prop in kind.create_only(), \
            f"{type_name}: {prop} has no writer and is not create-only"


@pytest.mark.parametrize("type_name", TYPES)
def test_unnamed_kinds_can_find_what_a_lost_reply_made(type_name: str) -> None:
    """Without a name to look up, a create needs an idempotency token or a find by tags."""
    kind = _kind(type_name)
    # Named: the physical ID follows from the declared properties (a name, or a composite
    # such as a route's table and destination), so a lookup finds what a lost reply made.
    named = (kind.name_property() is not None or kind.physical_id is not DeclaredKind.physical_id
             if issubclass(kind, DeclaredKind) else kind.physical_id is not Kind.physical_id)
    if named:
        return
    if issubclass(kind, DeclaredKind):
        model = boto3.client(kind.service, region_name="us-east-1").meta.service_model
        if model.operation_model(kind.create_call.operation).idempotent_members:
            return
    # DeclaredKind's own find needs a find_call; without one it finds nothing.
    can_find = kind.find is not Kind.find and not (
        issubclass(kind, DeclaredKind) and kind.find is DeclaredKind.find
        and kind.find_call is None)
    assert can_find, f"{type_name} is unnamed and cannot find by tags"


# --- the round trip over moto ------------------------------------------------------------

def _spare_key() -> dict[str, str]:
    return {"SpareKeyId": boto3.client("kms").create_key(Description="spare")["KeyMetadata"]
            ["KeyId"]}


def _rotation_function() -> dict[str, str]:
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
         "Action": "sts:AssumeRole"}]}
    role = boto3.client("iam").create_role(RoleName="contract-rotator",
                                           AssumeRolePolicyDocument=json.dumps(trust))
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    function = boto3.client("lambda").create_function(
        FunctionName="contract-rotator", Runtime="python3.12", Role=role["Role"]["Arn"],
        Handler="index.handler", Code={"ZipFile": code.getvalue()})
    return {"RotationFunctionArn": function["FunctionArn"]}


def _security_group() -> dict[str, str]:
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.31.0.0/16")["Vpc"]["VpcId"]
    return {"GroupId": ec2.create_security_group(GroupName="contract-rules", VpcId=vpc,
                                                 Description="rules")["GroupId"]}


def _peer_group() -> dict[str, str]:
    """A VPC and a group in it, for a group whose rules name it."""
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.34.0.0/16")["Vpc"]["VpcId"]
    return {"VpcId": vpc, "PeerGroupId": ec2.create_security_group(
        GroupName="contract-peer", VpcId=vpc, Description="peer")["GroupId"]}


def _peering() -> dict[str, str]:
    """A VPC peered with two others (the second peering is where the drift moves a route)."""
    ec2 = boto3.client("ec2")
    vpcs = [ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")["Vpc"]["VpcId"] for n in (61, 62, 63)]
    peerings = [ec2.create_vpc_peering_connection(VpcId=vpcs[0], PeerVpcId=peer)[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"] for peer in vpcs[1:]]
    for peering in peerings:
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=peering)
    return {"VpcId": vpcs[0], "PeeringId": peerings[0], "SparePeeringId": peerings[1]}


SETUP: dict[str, Callable[[], dict[str, str]]] = {
    "peering": _peering,
    "peer-group": _peer_group,
    "spare-key": _spare_key,
    "security-group": _security_group,
    "rotation-function": _rotation_function,
}


def _fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, text in values.items():
            value = value.replace("{" + key + "}", text)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value


# IAM actions named otherwise than the API operation (AWS Service Authorization Reference).
IAM_ACTIONS = {
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3:PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "s3:DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "s3:DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "s3:DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "s3:DeleteBucketTagging": "s3:PutBucketTagging",
    "s3:DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Every AWS action the reconciler calls, as IAM spells it (signing name:operation)."""
    made: set[str] = set()
    record = AwsClients._record

    def recording(self: AwsClients, model: Any, result: str) -> None:
        if model is not None:
            action = f"{model.service_model.signing_name}:{model.name}"
            made.add(IAM_ACTIONS.get(action, action))
        record(self, model, result)

    monkeypatch.setattr(AwsClients, "_record", recording)
    return made


@pytest.mark.parametrize(("type_name", "variant"), CASES)
def test_round_trip(type_name: str, variant: str, stack: Stack, clients: Any,
                    calls: set[str]) -> None:
    example = _example(type_name, variant)
    parameters: dict[str, str] = {}
    for name in example.get("Setup", []):
        parameters.update(SETUP[name]())
    args = [f"--parameter={k}={v}" for k, v in parameters.items()]
    template = example["Template"]
    stack.write("subject.json", json.dumps(template))

    created = stack.apply(*args)
    assert created.code == 0, created.out + created.err
    first = stack.plan(*args)
    assert first.code == 0, first.out
    physical_id = first.change("Subject")["physical_id"]
    # Drift arguments may name any resource of the example ({id:LogicalId}) and the
    # subject's attributes ({attr:Name}).
    ids = {f"id:{c['resource']}": c["physical_id"] for c in first.json["changes"]}
    seen = _kind(type_name)(clients).observe(physical_id, {})
    ids |= {f"attr:{k}": str(v) for k, v in (seen.attributes if seen else {}).items()}

    drift = example["Drift"]
    if "none" in drift:  # ``Drift: {none: why}``: nothing can be changed in place
        _assert_nothing_updatable(_kind(type_name))
    else:
        service, method = drift["call"].split(".")
        getattr(boto3.client(service), method)(**_fill(
            drift["args"], {"physical_id": physical_id, **ids, **parameters}))
        drifted = stack.plan(*args)
        assert drifted.code == 2, drifted.out
        change = drifted.change("Subject")
        assert (change["status"], change["action"]) == ("Drifted", "update")
        assert [d["path"] for d in change["diff"]] == [drift["path"]]
        assert all(c["action"] == "none" for c in drifted.json["changes"]
                   if c["resource"] != "Subject")

        fixed = stack.apply(*args)
        assert fixed.code == 0, fixed.out + fixed.err
        assert stack.plan(*args).code == 0

    rest = {k: v for k, v in template["Resources"].items() if k != "Subject"}
    stack.write("subject.json", json.dumps({**template, "Resources": rest}))
    removed = stack.apply(*args, "--allow-empty")
    assert removed.code == 0, removed.out + removed.err
    assert "Subject" not in {c["resource"] for c in stack.plan(*args).json["changes"]}
    kind = _kind(type_name)(clients)
    seen = kind.observe(physical_id, {})
    gone = example.get("Gone")
    if gone is None:
        assert seen is None, f"{type_name} {physical_id} still exists"
    else:
        assert seen is not None and seen.attributes.get(gone["attribute"]) is True
    # `reconciler permissions` covers every call the round trip made.
    allowed = {a.lower() for a in actions_for(r["Type"] for r in template["Resources"].values())}
    missing = {c for c in calls if c.lower() not in allowed}
    assert not missing, f"calls missing from {type_name}'s permissions: {sorted(missing)}"


def _assert_nothing_updatable(kind: type[Kind]) -> None:
    """An example may skip the drift step only for a kind with no tags and every managed
    property create-only (a change is a replace, never an update)."""
    assert not kind.taggable, f"{kind.type_name} has tags: drift one of them"
    updatable = kind.managed_properties - kind.create_only()
    assert not updatable, f"{kind.type_name} can update {sorted(updatable)}: drift one"


# Kinds not declared through DeclaredKind name their create call here.
CREATE_OPERATIONS = {"AWS::DynamoDB::Table": "CreateTable"}


def _create_operation(kind: type[Kind]) -> str:
    if issubclass(kind, DeclaredKind):
        return kind.create_call.operation
    return CREATE_OPERATIONS[kind.type_name]


@pytest.mark.parametrize(("type_name", "variant"), CASES)
def test_a_lost_create_reply_makes_no_second_resource(type_name: str, variant: str,
                                                      stack: Stack, aws: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS carries the create out and the reply is lost (tests/faulty_proxy.py): the apply
    finds what it made instead of making another, and converges."""
    example = _example(type_name, variant)
    parameters: dict[str, str] = {}
    for name in example.get("Setup", []):
        parameters.update(SETUP[name]())
    args = [f"--parameter={k}={v}" for k, v in parameters.items()]
    stack.write("subject.json", json.dumps(example["Template"]))
    kind = _kind(type_name)
    # A variant made by another call (a read replica) names it.
    operation = example.get("CreateOperation") or _create_operation(kind)
    with faulty_proxy(aws.endpoint, lambda op, nth: op == operation and nth == 1) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        applied = stack.apply(*args)
        plan = stack.plan(*args)
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws.endpoint)
    assert proxy.lost == [operation]
    assert applied.code == 0, applied.out + applied.err
    assert plan.code == 0, plan.out
    model = boto3.client(kind.service if issubclass(kind, DeclaredKind) else "dynamodb",
                         region_name="us-east-1").meta.service_model
    if not model.operation_model(operation).idempotent_members:
        assert proxy.calls[operation] == 1, "a create without a token was sent twice"
