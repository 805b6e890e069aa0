"""Ordering by name: a resource that names another by the same expression that declares the
other's name (a bucket policy's ``Bucket: !Sub "${App}-logs"`` beside the bucket's
``BucketName: !Sub "${App}-logs"``) comes after it, as it would with a ``Ref``.

Real templates do this often (generated ones especially); without the edge the two are
created in either order and the policy fails on a bucket that does not exist yet. An edge
that would close a cycle is not added: ordering by name never makes a template invalid.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.kinds.base import Kind
from reconciler.template.model import ResourceDecl


def _key(value: Any) -> str | None:
    if isinstance(value, str):
        return json.dumps(value) if len(value) >= 3 else None
    if isinstance(value, dict) and len(value) == 1 and (
            "Ref" in value or next(iter(value)).startswith("Fn::")):
        return json.dumps(value, sort_keys=True, default=str)
    return None


def _values(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for child in value.values():
            yield from _values(child)
    elif isinstance(value, list):
        for child in value:
            yield from _values(child)


def _own_name(kind: type[Kind] | None) -> str | None:
    """The property that holds the name a resource of ``kind`` makes for itself.

    An attachment's identifying property names another resource (a bucket policy's
    ``Bucket``, an association's ``SubnetId``): it is not a name of its own, and is looked
    at like any other property.
    """
    name_property = getattr(kind, "name_property", None)
    name = name_property() if callable(name_property) else None
    return name if isinstance(name, str) and name.endswith(("Name", "Identifier")) else None


def _named(resources: Mapping[str, ResourceDecl], catalog: Mapping[str, type[Kind]],
           ) -> dict[str, str]:
    """Each declared name's expression -> the resource it names (only names used once)."""
    seen: dict[str, list[str]] = {}
    for lid, decl in resources.items():
        name = _own_name(catalog.get(decl.type))
        key = _key(decl.properties.get(name)) if name and isinstance(
            decl.properties, dict) else None
        if key is not None:
            seen.setdefault(key, []).append(lid)
    return {key: lids[0] for key, lids in seen.items() if len(lids) == 1}


def with_name_edges(resources: Mapping[str, ResourceDecl],
                    catalog: Mapping[str, type[Kind]]) -> dict[str, ResourceDecl]:
    named = _named(resources, catalog)
    if not named:
        return dict(resources)
    deps = {lid: set(decl.depends_on) for lid, decl in resources.items()}
    for lid in sorted(resources):
        properties = resources[lid].properties
        own = _own_name(catalog.get(resources[lid].type))
        for prop, value in (properties.items() if isinstance(properties, dict) else ()):
            if prop == own:
                continue
            for node in _values(value):
                target = named.get(_key(node) or "")
                if target and target != lid and target not in deps[lid] and not _reaches(
                        deps, target, lid):
                    deps[lid].add(target)
    return {lid: dataclasses.replace(decl, depends_on=tuple(sorted(deps[lid])))
            if set(decl.depends_on) != deps[lid] else decl
            for lid, decl in resources.items()}


def _reaches(deps: Mapping[str, set[str]], start: str, goal: str) -> bool:
    """Whether ``start`` depends on ``goal``, directly or not."""
    stack, seen = [start], set()
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(deps.get(node, ()))
    return False
