"""The Rules section: assertions over parameters, checked at validate (long and short
forms), each failure named at its line with its AssertDescription."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import Stack

TREE = """\
Parameters:
  Env: {Type: String, Default: dev}
  DbClass: {Type: String, Default: db.t4g.medium}
  Zones: {Type: CommaDelimitedList, Default: "us-east-1a,us-east-1b"}
Rules:
  ProdNeedsBigDb:
    RuleCondition: !Equals [!Ref Env, prod]
    Assertions:
      - Assert: !Contains [[db.r6g.large, db.r6g.xlarge], !Ref DbClass]
        AssertDescription: production uses a large instance class
  ZonesInRegion:
    Assertions:
      - Assert:
          Fn::EachMemberIn: [!Ref Zones, [us-east-1a, us-east-1b, us-east-1c]]
        AssertDescription: zones of us-east-1 only
      - Assert: !Not [!EachMemberEquals [!Ref Zones, us-east-1c]]
  Either:
    Assertions:
      - Assert: !Or [!Equals [!Ref Env, dev], !Equals [!Ref Env, prod]]
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
"""


def _validate(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
              *parameters: str) -> tuple[int, str]:
    stack = Stack(tmp_path, capsys)
    stack.write("app.yaml", text)
    extra = [arg for p in parameters for arg in ("--parameter", p)]
    result = stack.cli("validate", str(stack.desired), *extra)
    return result.code, result.out + result.err


def test_rules_that_hold_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _validate(tmp_path, capsys, TREE)[0] == 0
    # The condition makes the first rule apply; a large class satisfies it.
    assert _validate(tmp_path, capsys, TREE, "Env=prod", "DbClass=db.r6g.large")[0] == 0


@pytest.mark.parametrize(("parameters", "line", "message"), [
    (("Env=prod",), 9, "rule 'ProdNeedsBigDb': production uses a large instance class"),
    (("Zones=us-east-1a,eu-west-1a",), 13, "rule 'ZonesInRegion': zones of us-east-1 only"),
    (("Zones=us-east-1c,us-east-1c",), 16, "rule 'ZonesInRegion': assertion failed"),
    (("Env=qa",), 19, "rule 'Either': assertion failed"),
])
def test_a_failed_assertion_is_named_at_its_line(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 parameters: tuple[str, ...], line: int,
                                                 message: str) -> None:
    code, text = _validate(tmp_path, capsys, TREE, *parameters)
    assert code == 1
    assert f"app.yaml:{line}: {message}" in text, text


@pytest.mark.parametrize(("rule", "message"), [
    ("    Assertions:\n      - Assert: !Equals [!ValueOf [Subnet, VpcId], vpc-1]\n",
     "Fn::ValueOf reads attributes of AWS resources, which rules cannot read here"),
    ("    Assertions:\n      - Assert: !Contains [!RefAll String, x]\n",
     "Fn::RefAll takes an AWS-specific parameter type (AWS::EC2::VPC::Id, ...), not 'String'"),
    ("    Assertions:\n      - Assert: !Equals [!Ref Nope, x]\n",
     "Ref to unknown parameter 'Nope'"),
    ("    Assertions:\n      - Assert: !GetAZs ''\n", "Fn::GetAZs is not a rule function"),
    ("    Assertions: {Assert: x}\n", "a rule takes Assertions (a list)"),
    ("    Assertions:\n      - {Assert: !Equals [a, a], Why: x}\n",
     "an assertion takes Assert and an optional AssertDescription"),
])
def test_malformed_rules_are_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    rule: str, message: str) -> None:
    text = "Rules:\n  R:\n" + rule + "Resources:\n  Logs:\n    Type: AWS::Logs::LogGroup\n"
    code, output = _validate(tmp_path, capsys, text)
    assert code == 1
    assert "rule 'R': " + message in output, output
    assert "YAML syntax error" not in output
