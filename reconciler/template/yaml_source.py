"""Parse one template fragment (YAML or JSON) into line-carrying dicts and lists.

CloudFormation short forms (``!Ref``, ``!GetAtt``...) become the long form
dicts so later stages see one shape. Problems come back as ``(line, message)``
pairs; the caller attaches the file name.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.template.located import LineDict, LineList

# An alias-expanded document larger than this is refused ("billion laughs").
MAX_NODES = 100_000
# Deeper than any sane template; keeps every recursive stage far from Python's recursion limit.
MAX_DEPTH = 100

Problem = tuple[int, str]

SHORT_FORMS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{name: f"Fn::{name}" for name in (
        "GetAtt", "Sub", "Join", "Select", "If", "Equals", "Not", "And", "Or", "Split",
        "Base64", "FindInMap", "GetAZs", "ImportValue", "Cidr", "Length", "ToJsonString",
    )},
}


class _Refused(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _LocatingConstructor:
    """Mixed into a SafeLoader: builds LineDict/LineList and records duplicate keys."""

    construct_object: Any
    construct_scalar: Any

    problems: list[Problem]

    def build_mapping(self, node: MappingNode) -> LineDict:
        data = LineDict(line=_line(node))
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.problems.append((_line(key_node), "mapping keys must be plain strings"))
                continue
            # Keys are always the text as written: CloudFormation keys are strings, and
            # YAML 1.1 would otherwise turn keys such as "on" or "1" into bools and ints.
            key = str(key_node.value)
            if key in data:
                self.problems.append((
                    _line(key_node),
                    f"duplicate key '{key}' (first at line {data.key_lines[key]})",
                ))
                continue
            data[key] = self.construct_object(value_node, deep=True)
            data.key_lines[key] = _line(key_node)
        return data

    def build_sequence(self, node: SequenceNode) -> LineList:
        items = LineList(line=_line(node))
        for child in node.value:
            items.append(self.construct_object(child, deep=True))
            items.item_lines.append(_line(child))
        return items


def _construct_timestamp(loader: Any, node: ScalarNode) -> str:
    # CloudFormation reads `Version: 2012-10-17` as the string IAM expects, not a date.
    return str(loader.construct_scalar(node))


_OCTAL_LOOKING = re.compile(r"[-+]?0[0-9_]+")


def _construct_int(loader: Any, node: ScalarNode) -> int | str:
    text = str(loader.construct_scalar(node))
    # A leading zero (account IDs, "0123") is almost always meant literally; YAML 1.1 reads octal.
    if _OCTAL_LOOKING.fullmatch(text):
        return text
    return int(yaml.SafeLoader.construct_yaml_int(loader, node))


def _short_form(function: str) -> Any:
    def construct(loader: Any, node: Node) -> LineDict:
        line = _line(node)
        arg: Any
        if isinstance(node, ScalarNode):
            arg = str(loader.construct_scalar(node))
            if function == "Fn::GetAtt":
                # "Resource.Attribute"; only the first dot splits (attributes may contain dots).
                arg = LineList(arg.split(".", 1), line=line, item_lines=[line, line])
        elif isinstance(node, SequenceNode):
            arg = loader.build_sequence(node)
        else:
            arg = loader.build_mapping(node)  # type: ignore[arg-type]
        return LineDict([(function, arg)], line=line, key_lines={function: line})

    return construct


def _loader_class(base: type[yaml.SafeLoader]) -> type[Any]:
    loader = type(f"Template{base.__name__}", (_LocatingConstructor, base), {})
    loader.add_constructor("tag:yaml.org,2002:map", _LocatingConstructor.build_mapping)
    loader.add_constructor("tag:yaml.org,2002:seq", _LocatingConstructor.build_sequence)
    loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
    loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
    for tag, function in SHORT_FORMS.items():
        loader.add_constructor(f"!{tag}", _short_form(function))
    return loader


# The libyaml-backed loader when PyYAML was built with it (much faster), else pure Python.
TemplateLoader = _loader_class(getattr(yaml, "CSafeLoader", yaml.SafeLoader))
PureTemplateLoader = _loader_class(yaml.SafeLoader)


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def check_expansion(root: Node, max_nodes: int, max_depth: int) -> None:
    """Refuse a node graph whose alias-expanded size or depth is too large, without expanding it.

    Aliases share node objects, so sizes are memoized per node: the cost is one
    visit per distinct node, while the result is what a naive walk would see.
    """
    sizes: dict[int, tuple[int, int]] = {}
    in_progress: dict[int, list[Node]] = {}  # node id -> its children, while below it
    stack: list[Node] = [root]
    while stack:
        node = stack[-1]
        key = id(node)
        if key in sizes:
            stack.pop()
            continue
        children = in_progress.get(key)
        if children is None:
            children = _children(node)
            in_progress[key] = children
            for child in children:
                child_key = id(child)
                if child_key in in_progress and child_key not in sizes:
                    raise _Refused(_line(child), "recursive YAML alias (a node contains itself)")
                if child_key not in sizes:
                    stack.append(child)
            if stack[-1] is not node:
                continue
        stack.pop()
        size, depth = 1, 0
        for child in children:
            child_size, child_depth = sizes[id(child)]
            size += child_size
            depth = max(depth, child_depth)
        depth += 1
        if size > max_nodes:
            raise _Refused(_line(node), f"document expands (through YAML aliases) to more "
                                        f"than {max_nodes} nodes; refusing to load it")
        if depth > max_depth:
            raise _Refused(_line(node), f"document nests deeper than {max_depth} levels")
        sizes[key] = (size, depth)
        del in_progress[key]


_JSON_STRING_OR_TAB = re.compile(r'"(?:[^"\\]|\\.)*"|\t', re.DOTALL)
_SURROGATE_PAIR = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE)


def _json_string_to_yaml(match: re.Match[str]) -> str:
    text = match.group(0)
    if text == "\t":
        return " "  # JSON allows tabs between tokens; YAML does not
    if "\\/" in text:
        text = re.sub(r"\\(.)", lambda m: "/" if m.group(1) == "/" else m.group(0), text)
    if "\\u" in text:
        # YAML has no UTF-16 surrogate escapes: join the pair into the one character it encodes.
        text = _SURROGATE_PAIR.sub(
            lambda m: (b"\\u" + m.group(1).encode() + b"\\u" + m.group(2).encode())
            .decode("unicode_escape").encode("utf-16", "surrogatepass").decode("utf-16"),
            text,
        )
    return text


def json_as_yaml(text: str) -> str:
    """Rewrite the few JSON spellings YAML rejects, keeping every character on its line."""
    return _JSON_STRING_OR_TAB.sub(_json_string_to_yaml, text)


def _json_too_deep(text: str, limit: int) -> int | None:
    """The line where JSON brackets (outside strings) open deeper than ``limit``, if they
    do: checked before ``json.loads``, which recurses once per level."""
    depth, line, in_string, escaped = 0, 1, False, False
    for char in text:
        if char == "\n":
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return line
        elif char in "]}":
            depth -= 1
    return None


def parse(text: str, *, is_json: bool = False, max_nodes: int | None = None,
          max_depth: int | None = None, loader_class: type[Any] | None = None,
          ) -> tuple[Any, list[Problem]]:
    """Parse one document. Returns ``(document, problems)``; the document is None on problems."""
    if is_json:
        too_deep = _json_too_deep(text, max_depth or MAX_DEPTH)
        if too_deep is not None:
            return None, [(too_deep, f"document nests deeper than {max_depth or MAX_DEPTH} "
                                     "levels")]
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            return None, [(error.lineno, f"JSON syntax error: {error.msg}")]
        text = json_as_yaml(text)
    loader = (loader_class or TemplateLoader)(text)
    loader.problems = []
    try:
        node = loader.get_single_node()
        if node is None:
            return None, []
        check_expansion(node, max_nodes or MAX_NODES, max_depth or MAX_DEPTH)
        document = loader.construct_document(node)
    except _Refused as refused:
        return None, [(refused.line, refused.message)]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = " ".join(p for p in (error.context, error.problem) if p)
        return None, [(line, f"YAML syntax error: {problem}")]
    except yaml.YAMLError as error:
        return None, [(1, f"YAML syntax error: {error}")]
    except RecursionError:
        return None, [(1, "document nests too deeply")]
    finally:
        loader.dispose()
    if loader.problems:
        return None, loader.problems
    return document, []
