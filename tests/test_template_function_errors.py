"""Every validation error of Mappings, Fn::FindInMap, Fn::GetAZs and Fn::Cidr, at its line."""

from __future__ import annotations

import pytest

from tests.test_template_errors import KEY, Load, invalid  # noqa: F401  (fixture)

MAP = ("Mappings:\n  RegionMap:\n    us-east-1: {Ami: ami-1, Zones: [a, b]}\n"
       "    eu-west-1: {Ami: ami-2}\n")  # lines 1-4; KEY follows at 5-7
ENV = "Parameters:\n  Env: {Type: String, Default: qa}\n"


def _description(expression: str) -> str:
    """MAP, then the key whose Description (line 9) is ``expression``."""
    return MAP + KEY + f"    Properties:\n      Description: {expression}\n"


# (files, --parameter values, expected [(file, line, part of the message)])
CASES = {
    "Mappings not a mapping": (
        {"a.yaml": "Mappings: [a, b]\n"},
        {}, [("desired/a.yaml", 1, "Mappings must be a mapping")]),
    "map not a mapping of mappings": (
        {"a.yaml": "Mappings:\n  RegionMap: [a, b]\n"},
        {}, [("desired/a.yaml", 2, "mapping 'RegionMap' must be a mapping of top-level keys, "
                                   "each a mapping of second-level keys to values")]),
    "top-level entry not a mapping": (
        {"a.yaml": "Mappings:\n  RegionMap:\n    us-east-1: ami-1\n"},
        {}, [("desired/a.yaml", 3, "mapping 'RegionMap' key 'us-east-1' must be a mapping of "
                                   "second-level keys to values")]),
    "intrinsic as a mapping value": (
        {"a.yaml": "Mappings:\n  RegionMap:\n    us-east-1:\n      Ami: ami-1\n"
                   "      Name: !Ref AWS::Region\n"},
        {}, [("desired/a.yaml", 5, "mapping 'RegionMap' value us-east-1.Name must be a string, "
                                   "a number or a list of them")]),
    "bad map name": (
        {"a.yaml": "Mappings:\n  region-map: {a: {b: c}}\n"},
        {}, [("desired/a.yaml", 2, "mapping 'region-map' must be alphanumeric")]),
    "duplicate map across files": (
        {"a.yaml": MAP, "b.yaml": "Mappings:\n  Other: {a: {b: c}}\n  RegionMap: {a: {b: c}}\n"},
        {}, [("desired/b.yaml", 3, "duplicate mapping 'RegionMap': also declared at "
                                   "desired/a.yaml:2")]),
    "unknown map": (
        {"a.yaml": _description("!FindInMap [Nope, us-east-1, Ami]")},
        {}, [("desired/a.yaml", 9, "Fn::FindInMap uses unknown mapping 'Nope'")]),
    "literal top-level key not in the map": (
        {"a.yaml": _description("!FindInMap [RegionMap, ap-south-1, Ami]")},
        {}, [("desired/a.yaml", 9, "mapping 'RegionMap' has no top-level key 'ap-south-1' "
                                   "(it has: us-east-1, eu-west-1)")]),
    "literal second-level key not in the map": (
        {"a.yaml": _description("!FindInMap [RegionMap, eu-west-1, Zones]")},
        {}, [("desired/a.yaml", 9, "mapping 'RegionMap' key 'eu-west-1' has no second-level "
                                   "key 'Zones' (it has: Ami)")]),
    "second-level key under no top-level key": (
        {"a.yaml": _description("!FindInMap [RegionMap, !Ref AWS::Region, Image]")},
        {}, [("desired/a.yaml", 9, "mapping 'RegionMap' has no second-level key 'Image' under "
                                   "any top-level key")]),
    "top-level key from a parameter not in the map": (
        {"a.yaml": ENV + _description("!FindInMap [RegionMap, !Ref Env, Ami]")},
        {}, [("desired/a.yaml", 11, "has no top-level key 'qa' (the value of parameter Env)")]),
    "malformed Fn::FindInMap": (
        {"a.yaml": _description("!FindInMap [RegionMap, us-east-1]")},
        {}, [("desired/a.yaml", 9, "Fn::FindInMap takes [MapName, TopLevelKey, "
                                   "SecondLevelKey]")]),
    "Fn::FindInMap key not a string": (
        {"a.yaml": _description("!FindInMap [RegionMap, [us-east-1], Ami]")},
        {}, [("desired/a.yaml", 9, "Fn::FindInMap keys must be strings or intrinsic functions")]),
    "Fn::FindInMap 4th argument not DefaultValue": (
        {"a.yaml": _description("!FindInMap [RegionMap, x, Ami, {Default: y}]")},
        {}, [("desired/a.yaml", 9, "Fn::FindInMap takes a 4th argument only as "
                                   "{DefaultValue: value}")]),
    "Fn::FindInMap in a condition, unknown map": (
        {"a.yaml": "Conditions:\n  Big: !Equals [!FindInMap [Sizes, prod, Size], 3]\n"},
        {}, [("desired/a.yaml", 2, "condition 'Big': Fn::FindInMap uses unknown mapping "
                                   "'Sizes'")]),
    "Fn::Select out of range of a mapping list": (
        {"a.yaml": _description("!Select [2, !FindInMap [RegionMap, us-east-1, Zones]]")},
        {}, [("desired/a.yaml", 9, "Fn::Select index 2 is out of range (the list has 2 items)")]),
    "malformed Fn::GetAZs": (
        {"a.yaml": KEY + "    Properties:\n      Description: !Select [0, !GetAZs [a, b]]\n"},
        {}, [("desired/a.yaml", 5, "Fn::GetAZs takes a region name, '' (this region) or "
                                   "!Ref AWS::Region")]),
    "Fn::GetAZs of an unknown reference": (
        {"a.yaml": KEY + "    Properties:\n      Description: !Select [0, !GetAZs {Ref: Rgn}]\n"},
        {}, [("desired/a.yaml", 5, "Ref to unknown resource or parameter 'Rgn'")]),
    "malformed Fn::Cidr": (
        {"a.yaml": KEY + "    Properties:\n      Description: !Cidr [10.0.0.0/16, 6]\n"},
        {}, [("desired/a.yaml", 5, "Fn::Cidr takes [ipBlock, count, cidrBits]")]),
    "Fn::Cidr ipBlock not a CIDR block": (
        {"a.yaml": KEY + "    Properties:\n      Description: !Cidr [10.0.0.0, 6, 8]\n"},
        {}, [("desired/a.yaml", 5, "Fn::Cidr: ipBlock must be a CIDR block such as "
                                   "10.0.0.0/16, got '10.0.0.0'")]),
    "Fn::Cidr ipBlock with host bits set": (
        {"a.yaml": KEY + "    Properties:\n      Description: !Cidr [10.0.0.1/16, 6, 8]\n"},
        {}, [("desired/a.yaml", 5, "ipBlock '10.0.0.1/16' is not a valid CIDR block")]),
    "Fn::Cidr count out of range": (
        {"a.yaml": KEY + "    Properties:\n      Description: !Cidr [10.0.0.0/16, 0, 8]\n"},
        {}, [("desired/a.yaml", 5, "Fn::Cidr: count must be from 1 to 256, got 0")]),
    "Fn::Cidr count not a number": (
        {"a.yaml": KEY + "    Properties:\n      Description: !Cidr [10.0.0.0/16, six, 8]\n"},
        {}, [("desired/a.yaml", 5, "Fn::Cidr: count must be a whole number, got 'six'")]),
    "Fn::Cidr cidrBits too large for the block": (
        {"a.yaml": KEY + "    Properties:\n      Description: !Cidr [10.0.0.0/16, 6, 17]\n"},
        {}, [("desired/a.yaml", 5, "Fn::Cidr: cidrBits must be from 1 to 16 for 10.0.0.0/16, "
                                   "got 17")]),
    "Fn::Cidr block too small for count": (
        {"a.yaml": KEY + "    Properties:\n      Description: !Cidr [10.0.0.0/22, 6, 8]\n"},
        {}, [("desired/a.yaml", 5, "Fn::Cidr: 10.0.0.0/22 holds 4 subnet(s) of /24, not 6")]),
    "Fn::Select out of range of a Fn::Cidr": (
        {"a.yaml": KEY + "    Properties:\n"
                         "      Description: !Select [6, !Cidr [!Ref Block, 6, 8]]\n"
                   "Parameters:\n  Block: {Type: String, Default: 10.0.0.0/16}\n"},
        {}, [("desired/a.yaml", 5, "Fn::Select index 6 is out of range (the list has 6 items)")]),
}


@pytest.mark.parametrize("contents, parameters, expected", CASES.values(), ids=CASES.keys())
def test_issue_is_reported_at_its_line(invalid: Load, contents: dict[str, str],  # noqa: F811
                                       parameters: dict[str, str],
                                       expected: list[tuple[str, int, str]]) -> None:
    issues = invalid(contents, parameters)
    assert [(i.file, i.line) for i in issues] == [(f, line) for f, line, _ in expected], issues
    for issue, (_, _, message) in zip(issues, expected, strict=True):
        assert message in issue.message


def test_a_broken_map_is_reported_once(invalid: Load) -> None:  # noqa: F811
    # Lookups in a map with problems are not reported again as unknown or missing keys.
    issues = invalid({"a.yaml": "Mappings:\n  RegionMap: x\n" + KEY
                      + "    Properties:\n      Description: !FindInMap [RegionMap, a, b]\n"})
    assert [(i.file, i.line) for i in issues] == [("desired/a.yaml", 2)]


def test_a_default_value_covers_a_missing_key(invalid: Load) -> None:  # noqa: F811
    issues = invalid({"a.yaml": _description(
        "!Join ['', [!FindInMap [RegionMap, ap-south-1, Ami, {DefaultValue: ami-0}], "
        "!FindInMap [Nope, a, b, {DefaultValue: x}]]]")})
    assert [(i.line, i.message.split(": ", 1)[1]) for i in issues] == [
        (9, "Fn::FindInMap uses unknown mapping 'Nope'")]
