"""The mapper between CloudFormation shapes and boto3 shapes, against botocore's real models."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.model import Shape

from reconciler.kinds import mapper
from reconciler.kinds.model_shapes import method_name, result_shape, tag_member, token_for


def _input(service: str, operation: str) -> Shape:
    model = boto3.client(service, region_name="us-east-1").meta.service_model
    return model.operation_model(operation).input_shape


def _shape(service: str, name: str) -> Shape:
    return boto3.client(service, region_name="us-east-1").meta.service_model.shape_for(name)


def test_names_map_in_any_case_and_renames_win() -> None:
    shape = _input("logs", "CreateLogGroup")
    assert mapper.to_api({"LogGroupName": "g", "KmsKeyId": "k"}, shape) == {
        "logGroupName": "g", "kmsKeyId": "k"}
    kms = _input("kms", "CreateKey")
    assert mapper.to_api({"KeyPolicy": {"Statement": []}}, kms, {"/KeyPolicy": "Policy"}) == {
        "Policy": '{"Statement": []}'}  # a policy written as YAML goes as JSON text


def test_a_key_with_no_member_is_a_declaration_error() -> None:
    with pytest.raises(mapper.MappingError, match="/Nope"):
        mapper.to_api({"Nope": 1}, _input("logs", "CreateLogGroup"))


def test_quantity_items_wrappers_both_ways() -> None:
    aliases = _shape("cloudfront", "Aliases")
    assert mapper.to_api(["a.example.com", "b.example.com"], aliases) == {
        "Quantity": 2, "Items": ["a.example.com", "b.example.com"]}
    assert mapper.from_api({"Quantity": 1, "Items": ["a.example.com"]}, aliases,
                           ["a.example.com"]) == ["a.example.com"]
    assert mapper.from_api({"Quantity": 0}, aliases, []) == []


@pytest.mark.parametrize(("service", "operation", "expected"), [
    ("kms", "TagResource", [{"TagKey": "a", "TagValue": "1"}]),
    ("logs", "TagResource", {"a": "1"}),
    ("iam", "TagRole", [{"Key": "a", "Value": "1"}]),
])
def test_tag_forms_follow_the_model(service: str, operation: str, expected: Any) -> None:
    shape = _input(service, operation)
    member = tag_member(shape)
    assert member is not None
    assert mapper.tags_to_api({"a": "1"}, shape.members[member]) == expected
    assert mapper.tags_from_api(expected) == {"a": "1"}


def test_reading_back_keeps_only_what_is_declared_and_parses_policies() -> None:
    role = result_shape(
        boto3.client("iam", region_name="us-east-1").meta.service_model
        .operation_model("GetRole").output_shape, "Role")
    assert role is not None
    answer = {"RoleName": "r", "Path": "/", "MaxSessionDuration": 3600,
              "PermissionsBoundary": {"PermissionsBoundaryType": "Policy",
                                      "PermissionsBoundaryArn": "arn:aws:iam::1:policy/b"}}
    got = mapper.from_api(answer, role, {"Path": "/", "PermissionsBoundary": {
        "PermissionsBoundaryArn": "x"}})
    assert got == {"Path": "/", "PermissionsBoundary": {
        "PermissionsBoundaryArn": "arn:aws:iam::1:policy/b"}}
    text = _shape("kms", "PolicyType")
    assert mapper.from_api('{"Version": "2012-10-17"}', text, {"Version": "x"}) == {
        "Version": "2012-10-17"}
    assert mapper.from_api("plain", text, "plain") == "plain"


def test_lists_read_back_item_by_item_like_the_declared_items() -> None:
    shape = _shape("ec2", "IpPermissionList")
    answer = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": []},
              {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": []}]
    declared = [{"IpProtocol": "tcp", "FromPort": 443}]
    assert mapper.from_api(answer, shape, declared) == [
        {"IpProtocol": "tcp", "FromPort": 443}, {"IpProtocol": "tcp", "FromPort": 80}]


def test_model_helpers() -> None:
    assert method_name("DescribeKey") == "describe_key"
    assert method_name("GetBucketOwnershipControls") == "get_bucket_ownership_controls"
    assert method_name("ListTagsForResource") == "list_tags_for_resource"
    assert method_name("CreateDBCluster") == "create_db_cluster"
    token = _input("ec2", "CreateNatGateway").members["ClientToken"]
    assert token_for("intent-1", token) == token_for("intent-1", token)  # same intent, same token
    assert token_for("intent-1", token) != token_for("intent-2", token)
    describe = boto3.client("logs", region_name="us-east-1").meta.service_model \
        .operation_model("DescribeLogGroups").output_shape
    group = result_shape(describe, "logGroups[?logGroupName=='{id}'] | [0]")
    assert group is not None and "retentionInDays" in group.members
