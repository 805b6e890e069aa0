"""A live resource as template properties: what ``reconciler import --type`` writes.

A kind reads only what the desired state declares, shaped like the declaration. To read
everything it manages, it is handed a skeleton of the schema (every managed property,
objects with all their members, lists with one such item), so its readers map each
member back to CloudFormation's names; then what AWS has no value for, what is
write-only (never read back) and what equals the schema's ``default`` are dropped.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.adopt.defaults import is_aws_default
from reconciler.aws.normalize import user_tags
from reconciler.kinds.base import Kind, Observation, Props
from reconciler.kinds.schema import TypeSchema, path_pointer

_DEPTH = 6  # deep enough for every managed shape; WAF statements nest without end


def skeleton(kind: type[Kind]) -> Props:
    """Every readable managed property, as a ``desired`` value that asks for all of it."""
    schema = kind.type_schema()
    tag_property = schema.tagging.tag_property
    out: Props = {}
    for name in sorted(kind.managed_properties):
        if name in (tag_property, "Tags") or path_pointer((name,)) in kind.unobservable:
            continue
        out[name] = _want(schema, schema.node((name,)), _DEPTH)
    return out


def _want(schema: TypeSchema, node: dict[str, Any], depth: int) -> Any:
    node = schema.deref(node)
    if depth <= 0:
        return None
    kind = node.get("type")
    if isinstance(kind, list):  # ["object", "string"]: a policy document, as data
        kind = "object" if "object" in kind else kind[0]
    members = _members(schema, node)
    if members:
        return {name: _want(schema, child, depth - 1) for name, child in members.items()}
    if kind == "array" or "items" in node:
        item = _want(schema, node.get("items", {}), depth - 1)
        return [item] if isinstance(item, dict) else []
    if kind == "object":
        return {}  # free-form (policy documents, maps): read as data
    return None


def _members(schema: TypeSchema, node: dict[str, Any]) -> dict[str, Any]:
    """An object's properties, with those of its oneOf/anyOf/allOf branches."""
    members = dict(node.get("properties", {}))
    for key in ("oneOf", "anyOf", "allOf"):
        for branch in node.get(key, ()):
            members.update(_members(schema, schema.deref(branch)))
    return members


def observe_all(kind: Kind, physical_id: str, account: str, partition: str,
                ) -> tuple[Observation | None, Props]:
    """The observation (None: gone) and the managed properties it holds, pruned."""
    want = skeleton(type(kind))
    observed = kind.observe(physical_id, want)
    if observed is None:
        return None, {}
    props = template_properties(type(kind), observed, want, account, partition)
    name = name_property(type(kind))
    ids = kind.type_schema().primary_identifier
    if name and ids == ((name,),) and props.get(name) is None:
        props = {name: observed.physical_id, **props}  # the name is the ID, read or not
    return observed, props


def name_property(kind: type[Kind]) -> str | None:
    """The property naming the resource: the declared kind's, else the schema's identifier
    when the template declares it (a table's TableName)."""
    declared = getattr(kind, "name_property", None)
    if declared is not None:
        return str(declared()) if declared() else None
    ids = kind.type_schema().primary_identifier
    if len(ids) == 1 and ids[0] not in kind.type_schema().read_only:
        return ids[0][0]
    return None


def template_properties(kind: type[Kind], observed: Observation, want: Props, account: str,
                        partition: str) -> Props:
    schema = kind.type_schema()
    props: Props = {}
    policies = {p.strip("/") for p in kind.policy_paths}
    for name in sorted(want):
        value = _pruned(schema, (name,), observed.properties.get(name))
        if value is None or is_aws_default(kind.type_name, name, value, name in policies,
                                           account, partition):
            continue
        if name in policies and isinstance(value, str):
            value = _document(value)
        props[name] = value
    tags = user_tags(observed.tags or {})
    tag_property = schema.tagging.tag_property
    if tags and tag_property:
        node = schema.node((tag_property,))
        props[tag_property] = dict(sorted(tags.items())) if node.get("type") == "object" \
            else [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    return props


def _document(text: str) -> Any:
    """A policy document read as JSON text, as data (YAML, as people write it)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _pruned(schema: TypeSchema, path: tuple[str, ...], value: Any) -> Any:
    """Without what AWS has no value for (None, or "" for text never set), what equals the
    schema's default, and objects or lists left empty by that."""
    if value is None or value == "" or value == schema.node(path).get("default", ...):
        return None
    if isinstance(value, dict):
        free_form = not _members(schema, schema.node(path))  # a policy, a map: as it is
        out = {k: p for k, p in ((k, value[k] if free_form else _pruned(schema, (*path, k), v))
                                 for k, v in value.items()) if p is not None}
        return out or None
    if isinstance(value, list):
        return [p for p in (_pruned(schema, (*path, "*"), v) for v in value)
                if p is not None] or None
    return value
