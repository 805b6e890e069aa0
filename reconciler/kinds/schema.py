"""One CloudFormation resource type's registry schema, read once.

What the schema states — identifier, create-only, read-only and write-only
properties, tagging, insertion order, handler permissions, each value's type — a
kind never restates: the loader, the engine, the diff, value coercion and
``reconciler permissions`` read it here. Paths are tuples of property names with
``*`` for any list item (``("Rules", "*", "Id")``).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

Path = tuple[str, ...]

# Write-only properties holding a credential: masked everywhere without a kind listing them.
_CREDENTIAL = re.compile(
    r"^(\w*Password|SecretString|ClientSecret|\w*AuthToken|PrivateKey|SecretAccessKey"
    r"|Passphrase)$")
HANDLERS = ("create", "read", "update", "delete", "list")


def file_name(type_name: str) -> str:
    """``AWS::KMS::Key`` -> ``aws-kms-key.json``, the vendored file (see schemas/vendor.py)."""
    return type_name.lower().replace("::", "-") + ".json"


def property_path(pointer: str) -> Path:
    """``/properties/A/*/B`` (schema) or ``/A/*/B`` (Properties pointer) -> ``("A", "*", "B")``."""
    parts = pointer.removeprefix("/properties").strip("/").split("/")
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in parts if p)


def path_pointer(path: Path) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path)


@dataclass(frozen=True)
class Tagging:
    taggable: bool
    tag_property: str | None  # top-level property holding the tags ("Tags", "HostedZoneTags")
    on_create: bool
    updatable: bool
    permissions: tuple[str, ...]


class TypeSchema:
    """The facts of one type's registry schema, with paths as tuples."""

    def __init__(self, document: Mapping[str, Any]):
        self.document = document
        self.type_name: str = document["typeName"]
        self.properties: frozenset[str] = frozenset(document.get("properties", {}))
        self.primary_identifier = self._paths("primaryIdentifier")
        self.create_only = frozenset(self._paths("createOnlyProperties"))
        self.read_only = frozenset(self._paths("readOnlyProperties"))
        self.write_only = frozenset(self._paths("writeOnlyProperties"))
        self.secrets = frozenset(p for p in self.write_only if _CREDENTIAL.match(p[-1]))
        tagging = document.get("tagging") or {}
        tag_property = tagging.get("tagProperty")
        taggable = bool(tagging.get("taggable", "Tags" in self.properties))
        self.tagging = Tagging(
            taggable=taggable,
            tag_property=(property_path(tag_property)[0] if tag_property
                          else "Tags" if taggable else None),
            on_create=bool(tagging.get("tagOnCreate", taggable)),
            updatable=bool(tagging.get("tagUpdatable", taggable)),
            permissions=tuple(tagging.get("permissions", ())),
        )
        self._unordered: dict[Path, bool] = {}
        self.handler_permissions: dict[str, tuple[str, ...]] = {
            name: tuple(handler.get("permissions", ()))
            for name, handler in (document.get("handlers") or {}).items()}

    def _paths(self, key: str) -> tuple[Path, ...]:
        return tuple(property_path(p) for p in self.document.get(key, ())
                     if p.startswith("/properties/"))

    # --- questions by path ------------------------------------------------------------------

    @property
    def attributes(self) -> frozenset[str]:
        """``Fn::GetAtt`` names: the top-level read-only properties."""
        return frozenset(p[0] for p in self.read_only if len(p) == 1)

    @property
    def nested_attributes(self) -> frozenset[str]:
        """``Fn::GetAtt`` names of read-only members of an attribute, dotted as CloudFormation
        writes them (``Endpoint.Address``)."""
        tops = self.attributes
        return frozenset(".".join(p) for p in self.read_only if len(p) > 1 and p[0] in tops
                         and "*" not in p)

    def create_only_names(self) -> frozenset[str]:
        return frozenset(p[0] for p in self.create_only)

    def node(self, path: Iterable[str]) -> dict[str, Any]:
        """The schema node at ``path`` (``$ref`` followed); {} where the schema says nothing."""
        node: Any = {"type": "object", "properties": self.document.get("properties", {})}
        for part in path:
            node = self.deref(node)
            node = node.get("items", {}) if part == "*" or part.isdigit() \
                else node.get("properties", {}).get(part, {})
        return self.deref(node)

    def deref(self, node: Any) -> dict[str, Any]:
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                return {}
            target: Any = self.document
            for part in ref[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            node = target
        return node if isinstance(node, dict) else {}

    def unordered(self, path: Path) -> bool:
        """A list whose order carries no meaning (``insertionOrder: false``)."""
        generic = tuple("*" if p.isdigit() else p for p in path)
        if generic not in self._unordered:
            node = self.node(generic)
            self._unordered[generic] = (node.get("type") == "array"
                                        and node.get("insertionOrder") is False)
        return self._unordered[generic]

    def permissions(self, handlers: Iterable[str] = HANDLERS) -> frozenset[str]:
        """The IAM actions CloudFormation's handlers need, plus the tagging permissions."""
        actions = {a for h in handlers for a in self.handler_permissions.get(h, ())}
        return frozenset(actions | set(self.tagging.permissions))


@functools.cache
def load_document(name: str) -> dict[str, Any]:
    return dict(json.loads(resources.files("reconciler.schemas").joinpath(name).read_text()))


@functools.cache
def schema_for(type_name: str) -> TypeSchema:
    """The vendored schema of ``type_name``; FileNotFoundError when none is vendored."""
    return TypeSchema(load_document(file_name(type_name)))
