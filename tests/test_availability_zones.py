"""Fn::GetAZs end to end on moto: the zones come from EC2, once per run, only when used."""

from __future__ import annotations

from pathlib import Path

import boto3

from reconciler.aws.clients import AwsClients
from reconciler.engine.context import RunLookup
from reconciler.kinds.registry import catalog
from reconciler.runtime import PseudoParameters
from reconciler.template.intrinsics import AVAILABILITY_ZONES, resolve
from reconciler.template.loader import load_tree
from tests.harness import Stack


def _zones(region: str) -> list[str]:
    reply = boto3.client("ec2", region_name=region).describe_availability_zones()
    return sorted(zone["ZoneName"] for zone in reply["AvailabilityZones"])


def test_plan_and_apply_use_the_first_zone_of_the_region(stack: Stack) -> None:
    stack.write("t.yaml", """
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: zoned-bucket
              Tags:
                - {Key: zone, Value: !Select [0, !GetAZs '']}
                - {Key: second, Value: !Select [1, !GetAZs {Ref: AWS::Region}]}
        """)
    client = AwsClients()
    zones = _zones(client.region)
    assert zones[:2] == [f"{client.region}a", f"{client.region}b"]
    plan = stack.plan()
    assert plan.code == 2, plan.out + plan.err
    change = plan.change("Bucket")
    assert change["action"] == "create"
    tags_diff = next(d for d in change["diff"] if d["path"] == "/Tags")
    assert {t["Key"]: t["Value"] for t in tags_diff["new"]} == {"zone": zones[0],
                                                                "second": zones[1]}

    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    tags = {t["Key"]: t["Value"] for t in boto3.client("s3").get_bucket_tagging(
        Bucket="zoned-bucket")["TagSet"]}
    assert (tags["zone"], tags["second"]) == (zones[0], zones[1])
    assert stack.plan().code == 0


def test_an_index_past_the_last_zone_is_an_error_of_that_resource(stack: Stack) -> None:
    stack.write("t.yaml", """
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: !Select [99, !GetAZs '']
        """)
    plan = stack.plan()
    assert plan.code == 1
    change = plan.change("Bucket")
    assert change["status"] == "Error"
    assert "Fn::Select index 99 is out of range" in change["reason"]


def _tree(tmp_path: Path, properties: str) -> Path:
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "t.yaml").write_text(
        "Resources:\n" + "".join(
            f"  Bucket{n}:\n    Type: AWS::S3::Bucket\n    Properties:\n{properties}"
            for n in range(3)))
    return desired


def _resolve_all(desired: Path, clients: AwsClients) -> list[object]:
    pseudo = PseudoParameters(lambda: clients)
    template = load_tree(desired, {}, catalog(), pseudo=pseudo)
    lookup = RunLookup()
    return [resolve(decl.properties, template, lookup, pseudo)
            for decl in template.resources.values()]


def test_no_aws_call_when_no_template_uses_get_azs(tmp_path: Path, clients: AwsClients) -> None:
    resolved = _resolve_all(_tree(tmp_path, "      Tags: [{Key: r, Value: !Ref AWS::Region}]\n"),
                            clients)
    assert resolved[0] == {"Tags": [{"Key": "r", "Value": clients.region}]}
    assert clients.calls == 0


def test_the_zones_are_read_once_per_run(tmp_path: Path, clients: AwsClients) -> None:
    operations: list[str] = []
    clients.on_call(lambda service, operation, result: operations.append(operation))
    resolved = _resolve_all(_tree(tmp_path, "      BucketName: !Select [2, !GetAZs '']\n"),
                            clients)
    assert resolved == [{"BucketName": _zones(clients.region)[2]}] * 3
    assert operations == ["DescribeAvailabilityZones"]
    # A new run (a new PseudoParameters) reads them again.
    pseudo = PseudoParameters(lambda: clients)
    assert pseudo[AVAILABILITY_ZONES] == _zones(clients.region)
    assert pseudo[AVAILABILITY_ZONES] == _zones(clients.region)
    assert operations == ["DescribeAvailabilityZones"] * 2
