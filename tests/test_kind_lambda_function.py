"""What is particular to AWS::Lambda::Function (the contract suite covers its round trip):
code judged by SHA-256 (inline and from S3), container images by URI, environment and VPC
drift over moto; a function Pending or InProgress, which moto never shows, and an ImageConfig
update, which moto ignores, with Stubber."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from reconciler.kinds import lambda_code
from reconciler.kinds.base import Observation, TransientError
from reconciler.kinds.lambda_function import FunctionFailed, LambdaFunction
from tests.harness import Stack
from tests.lambda_stack import function_tree
from tests.stubbing import OneClient


def _lambda() -> Any:
    return boto3.client("lambda")


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:  # a fixed time: the same bytes each call
        archive.writestr(zipfile.ZipInfo("index.py", (2020, 1, 1, 0, 0, 0)), source)
    return buffer.getvalue()


# --- code by SHA-256 ----------------------------------------------------------------------

def test_inline_code_is_packaged_the_same_way_every_time() -> None:
    source = "def handler(event, context):\n    return 1\n"
    first, second = lambda_code.package(source, "python3.12"), lambda_code.package(
        source, "python3.12")
    assert first == second
    assert zipfile.ZipFile(io.BytesIO(first)).namelist() == ["index.py"]
    assert zipfile.ZipFile(io.BytesIO(lambda_code.package("x", "nodejs20.x"))).namelist() == [
        "index.js"]
    assert lambda_code.package(source + " ", "python3.12") != first


def test_unchanged_code_is_no_drift_and_changed_code_is_corrected(stack: Stack) -> None:
    stack.write("tree.yaml", function_tree("return 1"))
    assert stack.apply().code == 0
    deployed = _lambda().get_function(FunctionName="lambda-tests")["Configuration"]
    assert deployed["CodeSha256"] == lambda_code.sha256(lambda_code.package(
        "def handler(event, context):\n    return 1\n", "python3.12"))
    assert stack.plan().code == 0 and stack.plan().code == 0  # across runs

    # Changed in git: drift on /Code, deployed by UpdateFunctionCode.
    stack.write("tree.yaml", function_tree("return 2"))
    changed = stack.plan()
    assert [d["path"] for d in changed.change("Function")["diff"]] == ["/Code"]
    assert stack.apply().code == 0
    assert stack.plan().code == 0

    # Changed out of band: the other CodeSha256 is drift, and the declared code returns.
    _lambda().update_function_code(FunctionName="lambda-tests", ZipFile=_zip("x = 1\n"))
    drifted = stack.plan()
    [entry] = drifted.change("Function")["diff"]
    assert entry["path"] == "/Code" and "CodeSha256" in entry["old"]
    assert stack.apply().code == 0
    assert stack.plan().code == 0


S3_CODE = """
  Function:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: lambda-tests
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code: {{S3Bucket: lambda-code, S3Key: {key}}}
"""


def test_s3_code_is_judged_by_the_code_sha256_recorded_at_deploy(stack: Stack) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="lambda-code")
    for key, body in (("v1.zip", "x = 1\n"), ("v2.zip", "x = 2\n")):
        s3.put_object(Bucket="lambda-code", Key=key, Body=_zip(body))
    role = function_tree().split("  Function:")[0]
    stack.write("tree.yaml", role + S3_CODE.format(key="v1.zip"))
    assert stack.apply().code == 0
    tags = _lambda().get_function(FunctionName="lambda-tests")["Tags"]
    assert tags[lambda_code.CODE_TAG].endswith(
        lambda_code.sha256(_zip("x = 1\n")))
    assert stack.plan().code == 0

    _lambda().update_function_code(FunctionName="lambda-tests", ZipFile=_zip("other\n"))
    assert [d["path"] for d in stack.plan().change("Function")["diff"]] == ["/Code"]
    assert stack.apply().code == 0
    assert stack.plan().code == 0

    stack.write("tree.yaml", role + S3_CODE.format(key="v2.zip"))  # a new object in git
    assert [d["path"] for d in stack.plan().change("Function")["diff"]] == ["/Code"]
    assert stack.apply().code == 0
    assert _lambda().get_function(FunctionName="lambda-tests")["Configuration"][
        "CodeSha256"] == lambda_code.sha256(_zip("x = 2\n"))
    assert stack.plan().code == 0


# --- configuration drift over moto --------------------------------------------------------

def test_an_environment_variable_added_or_changed_out_of_band_is_drift(stack: Stack) -> None:
    extra = "      Environment: {Variables: {STAGE: test}}\n"
    stack.write("tree.yaml", function_tree(extra=extra))
    assert stack.apply().code == 0
    _lambda().update_function_configuration(
        FunctionName="lambda-tests", Environment={"Variables": {"STAGE": "x", "DEBUG": "1"}})
    drifted = stack.plan().change("Function")
    assert [d["path"] for d in drifted["diff"]] == ["/Environment/Variables/STAGE",
                                                    "/Environment/Variables/DEBUG"]
    assert stack.apply().code == 0
    assert stack.plan().code == 0
    answer = _lambda().get_function_configuration(FunctionName="lambda-tests")
    assert answer["Environment"]["Variables"] == {"STAGE": "test"}


VPC = """
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.40.0.0/16}
  Subnet:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.40.1.0/24}
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: lambda, VpcId: !Ref Vpc}
"""


def test_vpc_config_changed_out_of_band_is_drift(stack: Stack) -> None:
    extra = ("      VpcConfig: {SubnetIds: [!Ref Subnet], SecurityGroupIds: [!Ref Group]}\n")
    stack.write("tree.yaml", function_tree(extra=extra, resources=VPC))
    assert stack.apply().code == 0
    assert stack.plan().code == 0  # moto's made-up VpcId is never read
    ec2 = boto3.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.40.0.0/16"]}])
    other = ec2.create_security_group(GroupName="other", Description="other",
                                      VpcId=vpc["Vpcs"][0]["VpcId"])["GroupId"]
    subnets = _lambda().get_function_configuration(FunctionName="lambda-tests")[
        "VpcConfig"]["SubnetIds"]
    _lambda().update_function_configuration(
        FunctionName="lambda-tests", VpcConfig={"SubnetIds": subnets,
                                                "SecurityGroupIds": [other]})
    drifted = stack.plan().change("Function")
    assert [d["path"] for d in drifted["diff"]] == ["/VpcConfig/SecurityGroupIds/0"]
    assert stack.apply().code == 0
    assert stack.plan().code == 0


def test_a_generated_name_keeps_to_lambdas_64_characters() -> None:
    kind = LambdaFunction(OneClient(None))
    [name] = kind.generated_name("A" * 80, "reconciler").values()
    assert len(name) == 64 and name.startswith("reconciler-AAA") and name[-13] == "-"
    [short] = kind.generated_name("Api", "reconciler").values()
    assert short.startswith("reconciler-Api-") and len(short) == 27


IMAGE = "111122223333.dkr.ecr.us-east-1.amazonaws.com/hello-world:latest"


@pytest.mark.parametrize(("props", "pointer"), [
    ({"Runtime": "java21", "Code": {"ZipFile": "x"}}, "/Code/ZipFile"),
    ({"Runtime": "python3.12", "Code": {"ZipFile": "x", "S3Bucket": "b", "S3Key": "k"}},
     "/Code"),
    ({"Code": {"S3Bucket": "b"}}, "/Code"),
    ({"Code": {"ImageUri": "repo:tag"}}, "/Code/ImageUri"),
    ({"VpcConfig": {"SubnetIds": ["subnet-1"]}}, "/VpcConfig"),
    ({"Runtime": "python3.12", "Code": {"ZipFile": "x"}}, "/Handler"),
    ({"Handler": "i.h", "Code": {"ZipFile": "x"}}, "/Runtime"),
    ({"Runtime": "python3.12", "Handler": "i.h", "Code": {"ZipFile": "x"},
      "ImageConfig": {"Command": ["x"]}}, "/ImageConfig"),
    ({"PackageType": "Image", "Code": {"ImageUri": IMAGE}, "Runtime": "python3.12"},
     "/Runtime"),
    ({"PackageType": "Image", "Code": {"ImageUri": IMAGE}, "Handler": "i.h"}, "/Handler"),
    ({"PackageType": "Image", "Code": {"ImageUri": IMAGE}, "Layers": ["arn"]}, "/Layers"),
    ({"PackageType": "Image", "Code": {"ZipFile": "x"}}, "/Code"),
    ({"PackageType": "Image", "Code": {"ImageUri": IMAGE, "S3Key": "k"}}, "/Code"),
    ({"PackageType": "Image", "Code": {"ImageUri": "docker.io/library/python:3"}},
     "/Code/ImageUri"),
])
def test_what_aws_refuses_is_refused_at_validate(props: dict[str, Any], pointer: str) -> None:
    assert pointer in [p for p, _ in LambdaFunction.validate(props)]


@pytest.mark.parametrize("props", [
    {"PackageType": "Image", "Code": {"ImageUri": IMAGE}, "ImageConfig": {"Command": ["a"]}},
    {"PackageType": "Image", "Code": {"ImageUri": IMAGE.replace(":latest", "@sha256:" + "0" * 64)}},
    {"PackageType": "Image", "Code": {"ImageUri": {"Fn::Sub": "${AWS::AccountId}.dkr..."}}},
    {"Runtime": "python3.12", "Handler": "i.h", "Code": {"Fn::If": ["C", {}, {}]}},
])
def test_what_aws_takes_validates(props: dict[str, Any]) -> None:
    assert LambdaFunction.validate(props) == []


IMAGE_TREE = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
  Function:
    Type: AWS::Lambda::Function
    Metadata: {Reconciler: {AllowReplace: %s}}
    Properties:
      FunctionName: image-function
      Role: !GetAtt Role.Arn
      PackageType: %s
      Code: %s
      ImageConfig: {Command: [app.handler], WorkingDirectory: /var/task}
"""


def test_an_image_function_is_judged_by_its_uri_and_replaced_for_a_zip(stack: Stack) -> None:
    """As the cfn-lint fixture writes it: no Runtime, no Handler. A new ImageUri is one
    UpdateFunctionCode; PackageType is create-only (a replacement)."""
    stack.write("f.yaml", IMAGE_TREE % ("false", "Image", f"{{ImageUri: {IMAGE}}}"))
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    assert stack.plan().code == 0
    answer = _lambda().get_function(FunctionName="image-function")
    assert answer["Code"]["ImageUri"] == IMAGE
    assert answer["Configuration"]["PackageType"] == "Image"

    v2 = IMAGE.replace(":latest", ":v2")
    stack.write("f.yaml", IMAGE_TREE % ("false", "Image", f"{{ImageUri: {v2}}}"))
    changed = stack.plan()
    assert (changed.change("Function")["action"],
            [d["path"] for d in changed.change("Function")["diff"]]) == ("update", ["/Code"])
    assert stack.apply().code == 0
    assert _lambda().get_function(FunctionName="image-function")["Code"]["ImageUri"] == v2
    assert stack.plan().code == 0

    # Out of band: another image deployed is drift, corrected.
    _lambda().update_function_code(FunctionName="image-function", ImageUri=IMAGE)
    assert stack.plan().change("Function")["status"] == "Drifted"
    assert stack.apply().code == 0
    assert stack.plan().code == 0

    zipped = ("false", "Zip", '{ZipFile: "def handler(e, c): pass"}')
    stack.write("f.yaml", (IMAGE_TREE % zipped).replace(
        "      ImageConfig: {Command: [app.handler], WorkingDirectory: /var/task}\n",
        "      Runtime: python3.12\n      Handler: index.handler\n"))
    replacing = stack.plan()
    assert replacing.change("Function")["action"] == "replace"
    assert replacing.change("Function")["status"] == "Blocked"


# --- Pending, with Stubber: moto makes functions Active and Successful at once -------------

ARN = "arn:aws:lambda:us-east-1:123456789012:function:api"
SOURCE = "def handler(event, context):\n    return 1\n"
DESIRED = {"FunctionName": "api", "Runtime": "python3.12", "MemorySize": 256,
           "Code": {"ZipFile": SOURCE}}


def _function(state: str = "Active", update: str = "Successful", memory: int = 256,
              **extra: Any) -> dict[str, Any]:
    sha = lambda_code.sha256(lambda_code.package(SOURCE, "python3.12"))
    return {"Configuration": {
        "FunctionName": "api", "FunctionArn": ARN, "Runtime": "python3.12",
        "MemorySize": memory, "CodeSha256": sha, "State": state, "LastUpdateStatus": update,
        **extra}, "Tags": {}}


def _stubbed() -> tuple[LambdaFunction, Stubber]:
    client = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    return LambdaFunction(OneClient(client)), Stubber(client)


@pytest.mark.parametrize(("state", "update", "pending"), [
    ("Pending", "Successful", "State Pending"),  # a VPC function being made
    ("Active", "InProgress", "LastUpdateStatus InProgress"),  # an update being applied
    ("Active", "Successful", None),
])
def test_a_function_aws_is_working_on_is_pending_stubbed(state: str, update: str,
                                                         pending: str | None) -> None:
    kind, stub = _stubbed()
    stub.add_response("get_function", _function(state, update), {"FunctionName": "api"})
    with stub:
        observed = kind.observe("api", DESIRED)
    assert observed is not None and observed.pending == pending
    assert observed.properties["Code"] == DESIRED["Code"]


def test_a_failed_function_is_an_error_with_aws_reason_stubbed() -> None:
    kind, stub = _stubbed()
    stub.add_response("get_function", _function(
        "Failed", StateReasonCode="SubnetOutOfIPAddresses", StateReason="no free IPs"),
        {"FunctionName": "api"})
    with stub, pytest.raises(FunctionFailed, match="SubnetOutOfIPAddresses: no free IPs"):
        kind.observe("api", DESIRED)


def test_code_waits_while_the_configuration_update_is_in_progress_stubbed() -> None:
    """Configuration and code both drifted: UpdateFunctionConfiguration, then (AWS busy)
    no UpdateFunctionCode: the function is Pending and the next pass deploys the code."""
    kind, stub = _stubbed()
    observed = Observation("api", {**DESIRED, "MemorySize": 128, "Code": "other"})
    stub.add_response("update_function_configuration", {"FunctionName": "api"},
                      {"FunctionName": "api", "MemorySize": 256})
    stub.add_response("get_function", _function(update="InProgress"), {"FunctionName": "api"})
    with stub:
        after = kind.update("api", DESIRED, observed, frozenset({"MemorySize", "Code"}))
        stub.assert_no_pending_responses()
    assert after is not None and after.pending is not None
    assert after.pending.startswith("LastUpdateStatus InProgress")


def test_an_update_refused_while_another_is_in_progress_is_transient_stubbed() -> None:
    kind, stub = _stubbed()
    stub.add_client_error("update_function_configuration", "ResourceConflictException",
                          "The operation cannot be performed at this time. An update is in "
                          "progress for resource: " + ARN, 409,
                          expected_params={"FunctionName": "api", "MemorySize": ANY})
    with stub, pytest.raises(TransientError):
        kind.update("api", DESIRED, Observation("api", {**DESIRED, "MemorySize": 128}),
                    frozenset({"MemorySize"}))


def test_image_config_is_updated_with_the_configuration_stubbed() -> None:
    """moto keeps an image function's first ImageConfig whatever UpdateFunctionConfiguration
    says; the call is checked against the service model here."""
    kind, stub = _stubbed()
    desired = {"FunctionName": "api", "PackageType": "Image", "Code": {"ImageUri": IMAGE},
               "ImageConfig": {"Command": ["other.handler"]}}
    observed = Observation("api", {**desired, "ImageConfig": {"Command": ["app.handler"]}})
    stub.add_response("update_function_configuration", {"FunctionName": "api"}, {
        "FunctionName": "api", "ImageConfig": {"Command": ["other.handler"]}})
    stub.add_response("get_function", {
        "Configuration": {"FunctionName": "api", "FunctionArn": ARN, "PackageType": "Image",
                          "State": "Active", "LastUpdateStatus": "Successful",
                          "ImageConfigResponse": {"ImageConfig": {
                              "Command": ["other.handler"], "EntryPoint": []}}},
        "Code": {"ImageUri": IMAGE}, "Tags": {}}, {"FunctionName": "api"})
    with stub:
        after = kind.update("api", desired, observed, frozenset({"ImageConfig"}))
        stub.assert_no_pending_responses()
    assert after is not None and after.pending is None
    assert after.properties["Code"] == {"ImageUri": IMAGE}
    assert after.properties["ImageConfig"]["Command"] == ["other.handler"]
