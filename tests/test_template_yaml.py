"""Parsing one fragment: short forms, line numbers, guards. Run with both YAML loaders."""

from __future__ import annotations

import copy
import pickle

import pytest

from reconciler.template import yaml_source
from reconciler.template.located import LineDict, LineList, line_at
from reconciler.template.yaml_source import PureTemplateLoader, TemplateLoader, parse

LOADERS = pytest.mark.parametrize("loader", [TemplateLoader, PureTemplateLoader],
                                  ids=["default", "pure-python"])

SHORT = """\
A: !Ref Thing
B: !GetAtt Thing.Arn
C: !GetAtt [Thing, Endpoint.Address]
D: !Sub "x-${Thing}"
E: !Sub ["x-${V}", {V: !Ref Thing}]
F: !Join [",", [a, !Ref Thing]]
G: !Select [0, !Split [",", "a,b"]]
H: !If [IsProd, 1, !Ref AWS::NoValue]
I: !Equals [!Ref Env, prod]
J: !Not [!Condition IsProd]
K: !And [!Condition IsProd, !Or [!Condition X, !Condition Y]]
L: !Base64 abc
M: !FindInMap [Map, Key, Value]
N: !GetAZs ""
O: !ImportValue Shared
"""

LONG = """\
A: {Ref: Thing}
B: {"Fn::GetAtt": [Thing, Arn]}
C: {"Fn::GetAtt": [Thing, Endpoint.Address]}
D: {"Fn::Sub": "x-${Thing}"}
E: {"Fn::Sub": ["x-${V}", {V: {Ref: Thing}}]}
F: {"Fn::Join": [",", [a, {Ref: Thing}]]}
G: {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}
H: {"Fn::If": [IsProd, 1, {Ref: AWS::NoValue}]}
I: {"Fn::Equals": [{Ref: Env}, prod]}
J: {"Fn::Not": [{Condition: IsProd}]}
K: {"Fn::And": [{Condition: IsProd}, {"Fn::Or": [{Condition: X}, {Condition: Y}]}]}
L: {"Fn::Base64": abc}
M: {"Fn::FindInMap": [Map, Key, Value]}
N: {"Fn::GetAZs": ""}
O: {"Fn::ImportValue": Shared}
"""


@LOADERS
def test_short_forms_equal_long_forms(loader: type) -> None:
    short, short_problems = parse(SHORT, loader_class=loader)
    long, long_problems = parse(LONG, loader_class=loader)
    assert short_problems == long_problems == []
    assert short == long
    assert short["B"] == {"Fn::GetAtt": ["Thing", "Arn"]}
    assert short["C"] == {"Fn::GetAtt": ["Thing", "Endpoint.Address"]}


@LOADERS
def test_every_mapping_and_list_carries_lines(loader: type) -> None:
    doc, _ = parse("Resources:\n  Key:\n    Type: T\n    Properties:\n      Items:\n"
                   "        - a\n        - {B: !Ref X}\n", loader_class=loader)
    props = doc["Resources"]["Key"]["Properties"]
    assert isinstance(props, LineDict) and isinstance(props["Items"], LineList)
    assert doc["Resources"].key_lines == {"Key": 2}
    assert props.key_lines == {"Items": 5}
    assert props["Items"].item_lines == [6, 7]
    assert props["Items"][1]["B"].line == 7  # the short form itself knows its line
    assert line_at(props, ["Items", 1, "B"], 4) == 7
    assert line_at(props, ["Items", 5, "Missing"], 4) == 5  # nearest parent that exists


@LOADERS
def test_yaml_one_one_surprises_are_read_as_written(loader: type) -> None:
    doc, problems = parse("Version: 2012-10-17\nAccount: 0123456789\nOn: 1\nHex: 0x1F\n",
                          loader_class=loader)
    assert problems == []
    assert doc == {"Version": "2012-10-17", "Account": "0123456789", "On": 1, "Hex": 31}


@LOADERS
def test_duplicate_key_names_both_lines(loader: type) -> None:
    _, problems = parse("A:\n  x: 1\n  y: 2\n  x: 3\n", loader_class=loader)
    assert problems == [(4, "duplicate key 'x' (first at line 2)")]


@LOADERS
def test_syntax_error_has_one_based_line(loader: type) -> None:
    _, problems = parse("A: 1\nB: [1, 2\nC: 3\n", loader_class=loader)
    assert len(problems) == 1
    assert problems[0][0] == 3
    assert problems[0][1].startswith("YAML syntax error")


@LOADERS
def test_unknown_tag_is_a_syntax_error(loader: type) -> None:
    _, problems = parse("A: 1\nB: !Bogus x\n", loader_class=loader)
    assert problems[0][0] == 2 and "!Bogus" in problems[0][1]


def _laughs(levels: int) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


@LOADERS
def test_alias_bomb_is_refused_without_expanding(loader: type) -> None:
    # 10**9 expanded nodes: expanding them would not finish; counting them must be instant.
    _, problems = parse(_laughs(9), loader_class=loader)
    assert len(problems) == 1
    line, message = problems[0]
    assert line == 5  # a4 is the first anchor whose expansion exceeds 100 000 nodes
    assert "more than 100000 nodes" in message


@LOADERS
def test_small_aliases_are_fine(loader: type) -> None:
    doc, problems = parse(_laughs(3), loader_class=loader)
    assert problems == []
    assert doc["a2"][0][0] == ["lol"] * 10


def test_node_bound_is_overridable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_source, "MAX_NODES", 50)
    _, problems = parse(_laughs(2))
    assert problems and "more than 50 nodes" in problems[0][1]


@LOADERS
def test_recursive_alias_is_refused(loader: type) -> None:
    _, problems = parse("a: &x [1, *x]\n", loader_class=loader)
    assert problems == [(1, "recursive YAML alias (a node contains itself)")]


@LOADERS
def test_deep_nesting_is_refused(loader: type) -> None:
    _, problems = parse("a: " + "[" * 150 + "]" * 150 + "\n", loader_class=loader)
    assert len(problems) == 1 and "nests deeper than 100" in problems[0][1]


@LOADERS
def test_json_gets_lines_and_json_spellings(loader: type) -> None:
    text = ('{\n\t"Resources": {\n\t\t"Key": {\n\t\t\t"Type": "AWS::KMS::Key",\n'
            '\t\t\t"Properties": {"Description": "a\\/b \\ud83d\\ude00 \\"q\\"", "N": 1}\n'
            '\t\t}\n\t}\n}\n')
    doc, problems = parse(text, is_json=True, loader_class=loader)
    assert problems == []
    key = doc["Resources"]["Key"]
    assert key["Properties"] == {"Description": 'a/b \U0001F600 "q"', "N": 1}
    assert key.key_lines == {"Type": 4, "Properties": 5}


def test_json_syntax_error_has_line() -> None:
    _, problems = parse('{\n  "a": 1,\n  "b": \n}\n', is_json=True)
    assert problems == [(4, "JSON syntax error: Expecting value")]


def test_json_duplicate_key_is_caught() -> None:
    _, problems = parse('{\n  "a": 1,\n  "a": 2\n}\n', is_json=True)
    assert problems == [(3, "duplicate key 'a' (first at line 2)")]


def test_empty_document_is_none() -> None:
    assert parse("# nothing here\n") == (None, [])


def test_multiple_documents_are_refused() -> None:
    _, problems = parse("a: 1\n---\nb: 2\n")
    assert problems[0][0] == 2 and "single document" in problems[0][1]


def test_located_containers_survive_copy_and_pickle() -> None:
    doc, _ = parse("A:\n  - {B: 1}\n")
    for clone in (copy.deepcopy(doc), pickle.loads(pickle.dumps(doc))):
        assert clone == {"A": [{"B": 1}]}
        assert clone.key_lines == {"A": 1} and clone["A"].item_lines == [2]
