"""Resolving intrinsics into plain values, with Unknowns for what only apply will know."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.template.intrinsics import (
    IntrinsicError,
    pseudo_parameters,
    references,
    resolve,
    sub_parts,
)
from reconciler.template.located import LineDict
from reconciler.template.model import ResourceLookup, Template, Unknown
from reconciler.template.yaml_source import parse

PSEUDO = pseudo_parameters("eu-west-1", "123456789012")


class FakeLookup(ResourceLookup):
    """What the engine answers mid-plan: ``Existing`` is observed, ``New`` not created yet."""

    def ref(self, logical_id: str) -> Any:
        return "key-1234" if logical_id == "Existing" else Unknown(logical_id)

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if logical_id == "Existing":
            return ["a", "b"] if attribute == "Names" else f"arn:aws:kms:key/{attribute}"
        return Unknown(f"{logical_id}.{attribute}")


def _template(**parameters: Any) -> Template:
    return Template(resources={}, order=[], parameters=parameters,
                    conditions={"IsProd": True, "IsDev": False}, files=[])


def _resolve(yaml_text: str, **parameters: Any) -> Any:
    value, problems = parse(yaml_text)
    assert problems == []
    return resolve(value, _template(**parameters), FakeLookup(), PSEUDO)


def test_result_is_plain_python() -> None:
    resolved = _resolve("A: {B: [1, {C: x}]}\n")
    assert resolved == {"A": {"B": [1, {"C": "x"}]}}
    assert type(resolved) is dict and type(resolved["A"]["B"]) is list
    assert not isinstance(resolved["A"], LineDict)


@pytest.mark.parametrize("expression, expected", [
    ("!Ref Existing", "key-1234"),
    ("!Ref Env", "prod"),
    ("!Ref Names", ["x", "y"]),
    ("!Ref AWS::Region", "eu-west-1"),
    ("!Ref AWS::URLSuffix", "amazonaws.com"),
    ("!GetAtt Existing.Arn", "arn:aws:kms:key/Arn"),
    ("!GetAtt [Existing, Arn]", "arn:aws:kms:key/Arn"),
    ("!Sub 'plain'", "plain"),
    ("!Sub '${Env}-${Existing}-${Existing.Arn}-${AWS::Partition}-${!Env}'",
     "prod-key-1234-arn:aws:kms:key/Arn-aws-${Env}"),
    ("!Sub ['${A}/${Env}', {A: !Join ['-', [x, !Ref Count]]}]", "x-3/prod"),
    ("!Join [',', !Ref Names]", "x,y"),
    ("!Join ['', [a, 1, true]]", "a1true"),
    ("!Select [1, !Split [',', 'a,b,c']]", "b"),
    ("!Select ['0', !GetAtt Existing.Names]", "a"),
    ("!If [IsProd, yes-prod, no]", "yes-prod"),
    ("!If [IsDev, 1, [2]]", [2]),
])
def test_functions(expression: str, expected: Any) -> None:
    assert _resolve(f"V: {expression}\n", Env="prod", Names=["x", "y"], Count=3)["V"] == expected


def test_no_value_removes_keys_and_items() -> None:
    resolved = _resolve("A: !Ref AWS::NoValue\nB: !If [IsDev, x, !Ref AWS::NoValue]\n"
                        "C: [1, !If [IsProd, !Ref AWS::NoValue, 2], 3]\nD: kept\n")
    assert resolved == {"C": [1, 3], "D": "kept"}


def test_unknown_propagates_to_the_smallest_string_function() -> None:
    resolved = _resolve("""\
Whole: !Ref New
Attr: !GetAtt New.Arn
Sub: !Sub "arn-${New.Arn}-suffix"
Join: !Join [":", [a, !Ref New]]
SelectKnown: !Select [0, [known, !Ref New]]
SelectUnknown: !Select [1, [known, !Ref New]]
Split: !Split [",", !GetAtt New.Csv]
Nested: {Key: !Ref New, Other: fixed, List: [1, !GetAtt New.Arn]}
""")
    assert resolved == {
        "Whole": Unknown("New"),
        "Attr": Unknown("New.Arn"),
        "Sub": Unknown("New.Arn"),
        "Join": Unknown("New"),
        "SelectKnown": "known",
        "SelectUnknown": Unknown("New"),
        "Split": Unknown("New.Csv"),
        "Nested": {"Key": Unknown("New"), "Other": "fixed", "List": [1, Unknown("New.Arn")]},
    }


@pytest.mark.parametrize("expression, message", [
    ("!Select [5, [a]]", "out of range"),
    ("!Sub '${Names}'", "needs a string"),
    ("!Ref AWS::StackName", "has no value"),
    ("!Base64 x", "Fn::Base64 is not supported"),
])
def test_runtime_errors(expression: str, message: str) -> None:
    with pytest.raises(IntrinsicError, match=message):
        _resolve(f"V: {expression}\n", Names=["x"])


def test_references_cover_every_branch_and_form() -> None:
    value, _ = parse("""\
A: !Ref Key
B: !GetAtt Table.Arn
C: !Sub "${Bucket}/${Role.Arn}/${AWS::Region}/${!NotARef}/${Local}"
D: !If [IsProd, !Ref ProdOnly, !Join [",", [!Ref Env]]]
E: !Sub ["${Local}", {Local: !GetAtt Stream.Arn}]
F: !Ref AWS::NoValue
""")
    assert references(value) == {("Key", None), ("Table", "Arn"), ("Bucket", None),
                                  ("Role", "Arn"), ("Local", None), ("ProdOnly", None),
                                  ("Env", None), ("Stream", "Arn")}


def test_sub_parts() -> None:
    assert sub_parts("a${B}c${!D}${ E.F }") == [
        (False, "a"), (True, "B"), (False, "c"), (False, "${D}"), (True, "E.F")]


@pytest.mark.parametrize("region, partition, suffix", [
    ("eu-west-1", "aws", "amazonaws.com"),
    ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
    ("us-gov-west-1", "aws-us-gov", "amazonaws.com"),
])
def test_pseudo_parameters(region: str, partition: str, suffix: str) -> None:
    values = pseudo_parameters(region, "111122223333")
    assert values == {"AWS::Region": region, "AWS::AccountId": "111122223333",
                      "AWS::Partition": partition, "AWS::URLSuffix": suffix}
