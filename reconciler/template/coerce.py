"""Template values take the schema's type, as CloudFormation coerces them.

``"7200"`` where the schema says integer is 7200, ``"false"`` where it says boolean is
False, a number where it says string is its text (a tag value ``1`` is ``"1"``). This
runs once, after intrinsics are resolved and before any kind, diff or output sees the
value, so no kind ever has to guess what ``"false"`` means. Values still unknown
(``Unknown``, an unresolved intrinsic at validate time) pass through untouched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.kinds.schema import Path, TypeSchema, path_pointer
from reconciler.template.dynamic_refs import MARKER
from reconciler.template.intrinsics import function_name
from reconciler.template.model import Unknown

_INTEGER = re.compile(r"^\s*[-+]?\d+\s*$")
_SCALARS = ("boolean", "integer", "number", "string")


class CoercionError(ValueError):
    """A value that cannot take the schema's type."""

    def __init__(self, path: Path, message: str):
        super().__init__(f"{path_pointer(path)}: {message}")
        self.path = path
        self.message = message


def coerce_properties(properties: Mapping[str, Any], schema: TypeSchema) -> dict[str, Any]:
    """A copy of ``properties`` with every scalar in the schema's type; raises CoercionError."""
    return {name: _coerce(value, schema, schema.node((name,)), (name,))
            for name, value in properties.items()}


def _coerce(value: Any, schema: TypeSchema, node: dict[str, Any], path: Path) -> Any:
    if isinstance(value, Unknown) or function_name(value) is not None:
        return value
    if isinstance(value, str) and MARKER in value:
        return value  # a dynamic reference: coerced once resolved, at apply
    if isinstance(value, dict):
        return {key: _coerce(child, schema, _child(schema, node, key), (*path, key))
                for key, child in value.items()}
    if isinstance(value, list):
        items = _items(schema, node)
        return [_coerce(child, schema, items, (*path, str(i))) for i, child in enumerate(value)]
    wanted = _scalar_types(schema, node)
    if not wanted or value is None or _already(value, wanted):
        return value
    problems = []
    for type_name in wanted:
        try:
            return _to(type_name, value)
        except ValueError as problem:
            problems.append(str(problem))
    raise CoercionError(path, " or ".join(problems))


def _to(type_name: str, value: Any) -> Any:
    if type_name == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
    elif type_name == "boolean":
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
    elif type_name == "integer" and not isinstance(value, bool):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INTEGER.match(value):
            return int(value)
    elif type_name == "number" and isinstance(value, str):
        text = value.strip()
        try:
            return int(text) if _INTEGER.match(text) else float(text)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not {'an' if type_name == 'integer' else 'a'} {type_name}")


def _already(value: Any, wanted: tuple[str, ...]) -> bool:
    if isinstance(value, bool):
        return "boolean" in wanted
    if isinstance(value, int):
        return "integer" in wanted or "number" in wanted
    if isinstance(value, float):
        return "number" in wanted
    return isinstance(value, str) and "string" in wanted


def _branches(schema: TypeSchema, node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The node and every alternative it allows (oneOf, anyOf, allOf), dereferenced."""
    yield node
    for key in ("oneOf", "anyOf", "allOf"):
        for branch in node.get(key) or ():
            yield from _branches(schema, schema.deref(branch))


def _scalar_types(schema: TypeSchema, node: dict[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    for branch in _branches(schema, node):
        declared = branch.get("type")
        for type_name in declared if isinstance(declared, list) else [declared]:
            if type_name in _SCALARS and type_name not in found:
                found.append(type_name)
    if "number" in found and "integer" in found:
        found.remove("integer")  # a number already accepts every integer
    return tuple(found)


def _child(schema: TypeSchema, node: dict[str, Any], key: str) -> dict[str, Any]:
    for branch in _branches(schema, node):
        if key in (branch.get("properties") or {}):
            return schema.deref(branch["properties"][key])
        for pattern, child in (branch.get("patternProperties") or {}).items():
            if re.search(pattern, key):
                return schema.deref(child)
        extra = branch.get("additionalProperties")
        if isinstance(extra, dict):
            return schema.deref(extra)
    return {}


def _items(schema: TypeSchema, node: dict[str, Any]) -> dict[str, Any]:
    for branch in _branches(schema, node):
        if isinstance(branch.get("items"), dict):
            return schema.deref(branch["items"])
    return {}
