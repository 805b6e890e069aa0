"""CloudFormation shapes <-> boto3 shapes, guided by botocore's service model.

CloudFormation property names are the API's member names in most places, give or
take case (``KmsKeyId`` is the Logs API's ``kmsKeyId``); where they are not, a kind
declares a rename. The model decides the rest: ``{Quantity, Items}`` wrappers around
lists (CloudFront), EC2's ``{Value: x}`` around one attribute, policy documents the API
takes as JSON text, tag forms (a map, or a list of ``{Key, Value}``, ``{TagKey,
TagValue}``, ``{key, value}``). Reading back keeps only what the desired value
declares: keys AWS adds are its defaults.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from botocore.model import Shape

Renames = Mapping[str, str]  # "/Cfn/Path" (``*`` for list items) -> API member name
NO_RENAMES: Renames = MappingProxyType({})
_WRAPPER = frozenset({"Quantity", "Items"})


class MappingError(ValueError):
    """A CloudFormation value that has no place in the API's shape: a kind's declaration bug."""


def member_for(shape: Shape, name: str, path: str, renames: Renames) -> str | None:
    """The API member a CloudFormation key maps to: the rename, else the same name in any case."""
    if path in renames:
        return renames[path]
    members = getattr(shape, "members", {})
    if name in members:
        return name
    lowered = {m.lower(): m for m in members}
    return lowered.get(name.lower())


def _value_box(shape: Shape) -> bool:
    """EC2's AttributeBooleanValue and kin: a structure whose one member is ``Value``."""
    return shape.type_name == "structure" and list(shape.members) == ["Value"]


def is_wrapper(shape: Shape | None) -> bool:
    return shape is not None and shape.type_name == "structure" and set(shape.members) >= _WRAPPER


def to_api(value: Any, shape: Shape, renames: Renames = NO_RENAMES, path: str = "") -> Any:
    """A CloudFormation value in the API's shape; raises MappingError for a key with no member."""
    kind = shape.type_name
    if kind == "structure":
        if is_wrapper(shape) and isinstance(value, list):
            items = shape.members["Items"]
            return {"Quantity": len(value), "Items": to_api(value, items, renames, path)}
        if not isinstance(value, dict) and _value_box(shape):
            return {"Value": to_api(value, shape.members["Value"], renames, path)}
        if not isinstance(value, dict):
            raise MappingError(f"{path or '/'}: {value!r} is not an object")
        out = {}
        for key, child in value.items():
            member = member_for(shape, key, f"{path}/{key}", renames)
            if member is None or member not in shape.members:
                raise MappingError(f"{path}/{key}: no member of {shape.name} takes it")
            out[member] = to_api(child, shape.members[member], renames, f"{path}/{key}")
        return out
    if kind == "list":
        items = value if isinstance(value, list) else [value]
        return [to_api(v, shape.member, renames, f"{path}/*") for v in items]
    if kind == "map":
        return {str(k): to_api(v, shape.value, renames, f"{path}/*") for k, v in value.items()}
    if kind == "string" and isinstance(value, dict | list):
        return json.dumps(value)  # a policy document written as YAML
    if kind == "string":
        return value if isinstance(value, str) else json.dumps(value)
    if kind in ("integer", "long"):
        return int(value)
    if kind in ("float", "double"):
        return float(value)
    if kind == "boolean":
        return bool(value)
    return value


def from_api(value: Any, shape: Shape | None, desired: Any, renames: Renames = NO_RENAMES,
             path: str = "") -> Any:
    """An API value in CloudFormation's shape, keeping only the keys ``desired`` declares."""
    if value is None:
        return value
    if shape is None:
        return _parsed(value) if isinstance(desired, dict | list) else value
    kind = shape.type_name
    if kind == "structure":
        if is_wrapper(shape) and isinstance(desired, list | type(None)):
            return from_api(value.get("Items") or [], shape.members["Items"], desired, renames,
                            path)
        if _value_box(shape) and not isinstance(desired, dict) and isinstance(value, dict):
            return value.get("Value")  # EC2's {"Value": x} around one attribute
        if not isinstance(desired, dict) or not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for key, want in desired.items():
            member = member_for(shape, key, f"{path}/{key}", renames)
            child = shape.members.get(member) if member else None
            out[key] = from_api(value.get(member) if member else None, child, want, renames,
                                f"{path}/{key}")
        return out
    if kind == "list" and isinstance(value, list):
        wanted = desired if isinstance(desired, list) else []
        return [from_api(v, shape.member, _like(wanted, i), renames, f"{path}/*")
                for i, v in enumerate(value)]
    if kind == "string" and isinstance(desired, dict | list):
        return _parsed(value)
    return value


def _parsed(value: Any) -> Any:
    """JSON text (a policy document) as data, where the desired value is data."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _like(wanted: list[Any], index: int) -> Any:
    """The declared item to read an observed list item like: same index, else the first."""
    if index < len(wanted):
        return wanted[index]
    return wanted[0] if wanted else None


# --- tags ---------------------------------------------------------------------------------

def tag_fields(shape: Shape) -> tuple[str, str] | None:
    """(key member, value member) of a list-of-structures tag shape; None for a map."""
    if shape.type_name == "map":
        return None
    item = shape.member
    names = list(item.members)
    key = next(n for n in names if n.lower() in ("key", "tagkey"))
    return key, next(n for n in names if n != key and "value" in n.lower())


def tags_to_api(tags: Mapping[str, str], shape: Shape) -> Any:
    fields = tag_fields(shape)
    if fields is None:
        return dict(sorted(tags.items()))
    return [{fields[0]: k, fields[1]: v} for k, v in sorted(tags.items())]


def tags_from_api(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    out: dict[str, str] = {}
    for item in value or ():
        key = next((item[k] for k in item if k.lower() in ("key", "tagkey")), None)
        if key is not None:
            out[str(key)] = str(next((item[k] for k in item if "value" in k.lower()), ""))
    return out
