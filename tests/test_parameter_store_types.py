"""Parameters of type AWS::SSM::Parameter::Value<...>: the value is read from Parameter
Store (the moto server) each time the tree is loaded, typed as the inner type."""

from __future__ import annotations

import json

import boto3

from tests.harness import Stack

TREE = """
Parameters:
  Ami: {Type: "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
        Default: /images/app/latest}
  Zones: {Type: "AWS::SSM::Parameter::Value<List<String>>", Default: /network/zones}
  Name: {Type: "AWS::SSM::Parameter::Name", Default: /images/app/latest}
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: app-images
      Tags:
        - {Key: image, Value: !Ref Ami}
        - {Key: first-zone, Value: !Select [0, !Ref Zones]}
        - {Key: from, Value: !Ref Name}
"""


def _put(name: str, value: str, kind: str = "String") -> None:
    boto3.client("ssm").put_parameter(Name=name, Value=value, Type=kind, Overwrite=True)


def _tags() -> dict[str, str]:
    logs = boto3.client("logs")
    arn = logs.describe_log_groups(logGroupNamePrefix="app-images")["logGroups"][0]["arn"]
    return logs.list_tags_for_resource(resourceArn=arn.removesuffix(":*"))["tags"]


def test_values_are_read_from_parameter_store_and_followed(stack: Stack) -> None:
    _put("/images/app/latest", "ami-0123456789abcdef0")
    _put("/network/zones", "us-east-1b,us-east-1c", "StringList")
    stack.write("app.yaml", TREE)
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    tags = _tags()
    assert (tags["image"], tags["first-zone"], tags["from"]) == (
        "ami-0123456789abcdef0", "us-east-1b", "/images/app/latest")
    assert stack.plan().code == 0
    # A new image published under the same name: the next plan follows it.
    _put("/images/app/latest", "ami-0fedcba9876543210")
    drifted = stack.plan()
    assert drifted.code == 2
    assert json.dumps(drifted.change("Logs")["diff"]).count("ami-0fedcba9876543210") == 1


def test_a_missing_parameter_a_wrong_value_and_a_secure_string_are_errors(
        stack: Stack) -> None:
    stack.write("app.yaml", TREE)
    missing = stack.cli("validate", str(stack.desired))
    assert missing.code == 1
    assert "app.yaml:3: parameter 'Ami' names Parameter Store parameter " \
           "'/images/app/latest' (the Default), which does not exist" in missing.err
    _put("/images/app/latest", "not-an-image")
    _put("/network/zones", "us-east-1a", "SecureString")
    wrong = stack.cli("validate", str(stack.desired))
    assert "parameter 'Ami' reads value 'not-an-image' (the value of /images/app/latest) " \
           "is not an AMI ID (AWS::EC2::Image::Id)" in wrong.err, wrong.err
    assert "parameter 'Zones' names Parameter Store parameter '/network/zones' (the " \
           "Default): a SecureString cannot be a parameter's value" in wrong.err
    assert "us-east-1a" not in wrong.err + wrong.out  # a secure value is never shown


def test_an_inner_type_parameter_store_cannot_hold_is_refused(stack: Stack) -> None:
    stack.write("app.yaml", """
Parameters:
  Size: {Type: "AWS::SSM::Parameter::Value<Number>", Default: /size}
Resources:
  Logs: {Type: AWS::Logs::LogGroup}
""")
    result = stack.cli("validate", str(stack.desired))
    assert result.code == 1
    assert "parameter 'Size' has Type 'AWS::SSM::Parameter::Value<Number>': a Parameter " \
           "Store type takes String, List<String>" in result.err


def test_permissions_include_reading_parameter_store_without_reading_it(stack: Stack) -> None:
    stack.write("app.yaml", TREE)
    result = stack.cli("permissions", str(stack.desired))
    assert result.code == 0, result.err
    assert "ssm:GetParameter" in json.loads(result.out)["Statement"][0]["Action"]
