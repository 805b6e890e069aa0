"""Fn::FindInMap over Mappings, Fn::GetAZs and Fn::Cidr: loading, resolving, rendering."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli import main
from reconciler.template.cidr import subnets
from reconciler.template.intrinsics import (
    AVAILABILITY_ZONES,
    IntrinsicError,
    pseudo_parameters,
    references,
    resolve,
)
from reconciler.template.loader import load_tree
from reconciler.template.model import ResourceLookup, Template, Unknown
from reconciler.template.yaml_source import parse
from tests.test_template_errors import CATALOG

PSEUDO = {**pseudo_parameters("eu-west-1", "123456789012"),
          AVAILABILITY_ZONES: ["eu-west-1a", "eu-west-1b", "eu-west-1c"]}
MAPPINGS = {
    "RegionMap": {"eu-west-1": {"Ami": "ami-eu", "Zones": ["a", "b"], "Size": 3},
                  "us-east-1": {"Ami": "ami-us"}},
    "EnvMap": {"prod": {"Cidr": "10.0.0.0/16"}, "7": {"Name": "seven"}},
}


class FakeLookup(ResourceLookup):
    """``Vpc`` is observed; ``NewVpc`` not created yet."""

    def ref(self, logical_id: str) -> Any:
        return Unknown(logical_id)

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if logical_id == "Vpc":
            return "10.1.0.0/16"
        return Unknown(f"{logical_id}.{attribute}")


def _resolve(expression: str, pseudo: dict[str, Any] | None = None, **parameters: Any) -> Any:
    value, problems = parse(f"V: {expression}\n")
    assert problems == []
    template = Template(resources={}, order=[], parameters=parameters, conditions={},
                        files=[], mappings=MAPPINGS)
    return resolve(value, template, FakeLookup(), PSEUDO if pseudo is None else pseudo)["V"]


@pytest.mark.parametrize("block, count, bits, expected", [
    ("10.0.0.0/16", 6, 8, [f"10.0.{i}.0/24" for i in range(6)]),
    ("10.0.0.0/24", 4, 6, ["10.0.0.0/26", "10.0.0.64/26", "10.0.0.128/26", "10.0.0.192/26"]),
    ("192.168.0.0/24", 1, 8, ["192.168.0.0/24"]),
    ("10.0.0.0/16", "2", "12", ["10.0.0.0/20", "10.0.16.0/20"]),
    ("2001:db8::/56", 4, 64, ["2001:db8::/64", "2001:db8:0:1::/64", "2001:db8:0:2::/64",
                              "2001:db8:0:3::/64"]),
    ("2001:db8:1234:ff00::/56", 1, 72, ["2001:db8:1234:ff00::/56"]),
    ("fd00::/48", 256, 72, None),
])
def test_cidr(block: str, count: Any, bits: Any, expected: list[str] | None) -> None:
    result = subnets(block, count, bits)
    if expected is None:  # only the shape: 256 /56 subnets of a /48
        assert len(result) == 256 and result[1] == "fd00:0:0:100::/56"
    else:
        assert result == expected


@pytest.mark.parametrize("expression, expected", [
    ("!Select [0, !Cidr [!GetAtt Vpc.CidrBlock, 6, 8]]", "10.1.0.0/24"),
    ("!Select [3, !Cidr [!FindInMap [EnvMap, !Ref Env, Cidr], '6', !Ref Bits]]", "10.0.3.0/24"),
    ("!Select [1, !Cidr [!GetAtt NewVpc.CidrBlock, 6, 8]]", Unknown("NewVpc.CidrBlock")),
    ("!FindInMap [RegionMap, !Ref AWS::Region, Ami]", "ami-eu"),
    ("!FindInMap [RegionMap, eu-west-1, Zones]", ["a", "b"]),
    ("!FindInMap [RegionMap, eu-west-1, Size]", 3),
    ("!FindInMap [EnvMap, 7, Name]", "seven"),
    ("!Select [1, !FindInMap [RegionMap, !Ref AWS::Region, Zones]]", "b"),
    ("!FindInMap [RegionMap, ap-south-1, Ami, {DefaultValue: !Ref Env}]", "prod"),
    ("!FindInMap [RegionMap, !Ref AWS::Region, Ami, {DefaultValue: x}]", "ami-eu"),
    ("{'Fn::FindInMap': [RegionMap, !Ref NewVpc, Ami]}", Unknown("NewVpc")),
    ("!GetAZs ''", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    ("!Select [0, !GetAZs '']", "eu-west-1a"),
    ("!Select [1, !GetAZs {Ref: AWS::Region}]", "eu-west-1b"),
    ("{'Fn::Select': [2, {'Fn::GetAZs': eu-west-1}]}", "eu-west-1c"),
    ("!Join [',', !GetAZs '']", "eu-west-1a,eu-west-1b,eu-west-1c"),
])
def test_functions(expression: str, expected: Any) -> None:
    assert _resolve(expression, Env="prod", Bits=8) == expected


@pytest.mark.parametrize("expression, pseudo, message", [
    ("!Select [3, !GetAZs '']", PSEUDO, "index 3 is out of range"),
    ("!GetAZs us-east-1", PSEUDO, r"only the zones of this run's region \(eu-west-1\)"),
    ("!GetAZs ''", pseudo_parameters("eu-west-1", "1"), "availability zones have no value"),
    ("!FindInMap [RegionMap, ap-south-1, Ami]", PSEUDO, "no value for \\[ap-south-1, Ami\\]"),
    ("!Cidr [!GetAtt Vpc.CidrBlock, 6, 17]", PSEUDO, "cidrBits must be from 1 to 16"),
])
def test_runtime_errors(expression: str, pseudo: dict[str, Any], message: str) -> None:
    with pytest.raises(IntrinsicError, match=message):
        _resolve(expression, pseudo)


def test_references_inside_the_new_functions() -> None:
    value, _ = parse("""\
A: !Cidr [!GetAtt Vpc.CidrBlock, 4, 8]
B: !FindInMap [RegionMap, !Ref Env, !Ref Key, {DefaultValue: !GetAtt Other.Arn}]
C: !Select [0, !GetAZs {Ref: AWS::Region}]
""")
    assert references(value) == {("Vpc", "CidrBlock"), ("Env", None), ("Key", None),
                                  ("Other", "Arn")}


TREE = """\
Parameters:
  Env: {Type: String, Default: prod}
Mappings:
  EnvMap:
    prod: {Rotate: "true", Window: 7}
    dev: {Rotate: "false", Window: 30}
  RegionMap:
    eu-west-1: {Alias: ireland}
Conditions:
  Rotates: !Equals [!FindInMap [EnvMap, !Ref Env, Rotate], "true"]
Resources:
  First:
    Type: AWS::KMS::Key
  Key:
    Type: AWS::KMS::Key
    Properties:
      Description: !Select [1, !Cidr [!GetAtt First.Arn, 4, 8]]
      EnableKeyRotation: !If [Rotates, true, false]
      PendingWindowInDays: !FindInMap [EnvMap, !Ref Env, Window]
"""


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "desired").mkdir()
    (tmp_path / "desired" / "a.yaml").write_text(TREE)
    (tmp_path / "desired" / "b.yaml").write_text(
        "Mappings:\n  Shared: {all: {Name: shared}}\n")
    return tmp_path / "desired"


def test_mappings_are_shared_by_the_tree_and_used_by_conditions(tree: Path) -> None:
    template = load_tree(tree, {"Env": "dev"}, CATALOG, pseudo=PSEUDO)
    assert template.mappings == {
        "EnvMap": {"prod": {"Rotate": "true", "Window": 7},
                   "dev": {"Rotate": "false", "Window": 30}},
        "RegionMap": {"eu-west-1": {"Alias": "ireland"}},
        "Shared": {"all": {"Name": "shared"}},
    }
    assert template.conditions == {"Rotates": False}
    key = template.resources["Key"]
    assert key.depends_on == ("First",)  # through the GetAtt inside Fn::Cidr

    class Observed(FakeLookup):
        def get_att(self, logical_id: str, attribute: str) -> Any:
            return "172.16.0.0/16"

    assert resolve(key.properties, template, Observed(), PSEUDO) == {
        "Description": "172.16.1.0/24", "EnableKeyRotation": False, "PendingWindowInDays": 30}


def test_render_carries_mappings(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["render", str(tree), "--output", "json"]) == 0
    rendered = json.loads(capsys.readouterr().out)
    assert list(rendered) == ["AWSTemplateFormatVersion", "Parameters", "Mappings",
                              "Conditions", "Resources"]
    assert rendered["Mappings"]["Shared"] == {"all": {"Name": "shared"}}
    assert rendered["Conditions"]["Rotates"] == {
        "Fn::Equals": [{"Fn::FindInMap": ["EnvMap", {"Ref": "Env"}, "Rotate"]}, "true"]}
    key = rendered["Resources"]["Key"]["Properties"]
    assert key["Description"] == {"Fn::Select": [1, {"Fn::Cidr": [
        {"Fn::GetAtt": ["First", "Arn"]}, 4, 8]}]}
    # The rendered template loads as the tree itself.
    single = tree.parent / "rendered.yaml"
    single.write_text(yaml.safe_dump(rendered))
    assert load_tree(single, {}, CATALOG, pseudo=PSEUDO).mappings == \
        load_tree(tree, {}, CATALOG, pseudo=PSEUDO).mappings


def test_permissions_include_the_zones_call_only_when_get_azs_is_used(
        tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def actions() -> list[str]:
        capsys.readouterr()
        assert main(["permissions", str(tree)]) == 0
        return list(json.loads(capsys.readouterr().out)["Statement"][0]["Action"])

    assert "ec2:DescribeAvailabilityZones" not in actions()
    (tree / "c.yaml").write_text("Resources:\n  Zoned:\n    Type: AWS::KMS::Key\n"
                                 "    Properties:\n"
                                 "      Description: !Select [0, !GetAZs '']\n")
    assert "ec2:DescribeAvailabilityZones" in actions()
