"""``reconciler import --type``: a tree of existing resources, each ``Adopt: true``.

1. List each type's resources (``Kind.list_physical_ids``; what AWS made itself is left
   out there), read each in full (``properties.observe_all``), and keep those that match
   ``--name-prefix`` and every ``--tag``. What this owner already owns (ownership tag or
   inventory) and what another reconciler instance owns is skipped, and said so.
2. Logical IDs from names (the name property, else the ``Name`` tag, else the ID).
3. A value naming another imported resource becomes ``!Ref``/``!GetAtt`` (``references``).
4. ``Metadata.Reconciler``: ``Adopt: true``, and ``PhysicalId`` where no property names the
   resource (a VPC), so that the next plan finds it and compares, never creates.

Cost: the listing calls, then one observe of every managed property per listed resource.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.adopt import references
from reconciler.adopt.properties import name_property, observe_all
from reconciler.aws.normalize import LOGICAL_ID_TAG, OWNER_TAG
from reconciler.kinds.base import Kind, Props
from reconciler.kinds.registry import catalog

# Required properties AWS never shows: written as a value to replace, and ignored as drift
# until it is (so apply does not deploy the placeholder). Type -> (property, value, why).
UNREADABLE: dict[str, tuple[str, Any, str]] = {
    "AWS::Lambda::Function": ("Code", {"S3Bucket": "REPLACE-ME", "S3Key": "REPLACE-ME"},
                              "Lambda shows only the deployed code's CodeSha256"),
}


@dataclass
class Imported:
    type_name: str
    physical_id: str
    name: str
    properties: Props
    attributes: dict[str, Any]
    logical_id: str = ""
    needs_id: bool = False  # no property names it: Metadata.Reconciler.PhysicalId
    ignore: tuple[str, ...] = ()  # Metadata.Reconciler.IgnoreDrift


@dataclass
class TypeImportReport:
    imported: list[Imported] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # type, physical ID, why

    def text(self) -> str:
        lines = [f"imported {len(self.imported)} resources (each Metadata.Reconciler.Adopt: "
                 "true; apply takes them over)"]
        lines += [f"  {r.logical_id}: {r.type_name} {r.physical_id}" for r in self.imported]
        for r in self.imported:
            if r.type_name in UNREADABLE and r.ignore:
                prop, _, why = UNREADABLE[r.type_name]
                lines.append(f"  {r.logical_id}: {prop} cannot be read back ({why}): replace "
                             f"the REPLACE-ME values, then remove IgnoreDrift {r.ignore[0]}")
        lines += [f"  skipped {type_name} {physical}: {why}"
                  for type_name, physical, why in self.skipped]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Filters:
    name_prefix: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)

    def keep(self, name: str, tags: Mapping[str, str] | None) -> bool:
        if not name.startswith(self.name_prefix):
            return False
        return all((tags or {}).get(k) == v for k, v in self.tags.items())


def import_types(types: Iterable[str], kinds: Callable[[str], Kind], filters: Filters,
                 owner: str, owned_ids: set[str], account: str, partition: str,
                 ) -> tuple[dict[str, Any], TypeImportReport]:
    report = TypeImportReport()
    for type_name in dict.fromkeys(types):
        kind = kinds(type_name)
        for physical_id in kind.list_physical_ids():
            found = _read(kind, physical_id, filters, owner, owned_ids, account, partition,
                          report)
            if found is not None:
                report.imported.append(found)
    assign_logical_ids(report.imported)
    references.rewrite(report.imported)
    return tree_of(report.imported), report


def _read(kind: Kind, physical_id: str, filters: Filters, owner: str, owned_ids: set[str],
          account: str, partition: str, report: TypeImportReport) -> Imported | None:
    type_name = kind.type_name
    try:
        observed, props = observe_all(kind, physical_id, account, partition)
    except Exception as error:  # one resource alone: the rest is still imported
        report.skipped.append((type_name, physical_id, "reading it failed: "
                               f"{' '.join(str(error).split())[:300]}"))
        return None
    if observed is None:
        return None  # gone since the listing
    tags = observed.tags or {}
    name = display_name(kind, physical_id, props, tags)
    if not filters.keep(name, observed.tags):
        return None
    tag_owner = tags.get(OWNER_TAG)
    if tag_owner == owner or observed.physical_id in owned_ids or physical_id in owned_ids:
        as_lid = tags.get(LOGICAL_ID_TAG)
        report.skipped.append((type_name, physical_id, f"already owned by this owner ({owner})"
                               + (f" as {as_lid}" if as_lid else "")))
        return None
    if tag_owner is not None:
        report.skipped.append((type_name, physical_id,
                               f"owned by reconciler instance '{tag_owner}'"))
        return None
    attributes = {k: v for k, v in observed.attributes.items() if isinstance(v, str)}
    ignore: tuple[str, ...] = ()
    if type_name in UNREADABLE:
        prop, placeholder, _ = UNREADABLE[type_name]
        props[prop], ignore = placeholder, (f"/{prop}",)
    return Imported(type_name, observed.physical_id, name, props, attributes,
                    needs_id=kind.physical_id(props) != observed.physical_id, ignore=ignore)


def display_name(kind: Kind, physical_id: str, props: Props, tags: Mapping[str, str]) -> str:
    """What --name-prefix matches and logical IDs come from: the name property, else the
    ``Name`` tag, else the physical ID."""
    named_by = name_property(type(kind))
    named = props.get(named_by) if named_by else None
    if isinstance(named, str) and named:
        return named
    return tags.get("Name") or physical_id


def assign_logical_ids(found: list[Imported]) -> None:
    """Valid (alphanumeric, from a letter), unique and stable: the name in CamelCase (an
    unnamed resource: its type and the start of its ID). Of resources sharing a name (a
    bucket and its policy) the first type in the registry keeps it; the others add their
    type's noun, then, should that clash too, the ID."""
    order = {t: i for i, t in enumerate(catalog())}
    bases = {id(r): _base(r) for r in found}
    taken: set[str] = set()
    for r in sorted(found, key=lambda r: (order.get(r.type_name, 0), r.physical_id)):
        lid = bases[id(r)]
        if lid in taken:
            lid += _noun(r.type_name)
        if lid in taken:
            lid += _camel(r.physical_id)
        if not lid[0].isalpha():
            lid = _noun(r.type_name) + lid
        r.logical_id = lid[:255]
        taken.add(r.logical_id)


def _base(r: Imported) -> str:
    if r.name != r.physical_id or r.physical_id.startswith("arn:") or not r.needs_id:
        return _camel(r.name) or _noun(r.type_name)
    # vpc-0a1b2c3d4e… -> Vpc0a1b2c3d; a key's UUID -> Key1234abcd
    tail = r.physical_id.split("-", 1)[1] if "-" in r.physical_id and not \
        r.physical_id[:1].isdigit() else r.physical_id
    return _noun(r.type_name) + "".join(c for c in tail if c.isalnum())[:8].capitalize()


def _camel(text: str) -> str:
    parts = "".join(c if c.isascii() and c.isalnum() else " " for c in text).split()
    return "".join(p[:1].upper() + p[1:] for p in parts)


def _noun(type_name: str) -> str:
    return type_name.rsplit("::", 1)[-1].replace("::", "")


def tree_of(found: list[Imported]) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for r in sorted(found, key=lambda r: r.logical_id):
        settings: dict[str, Any] = {"Adopt": True}
        if r.needs_id:
            settings["PhysicalId"] = r.physical_id
        if r.ignore:
            settings["IgnoreDrift"] = list(r.ignore)
        body: dict[str, Any] = {"Type": r.type_name, "Metadata": {"Reconciler": settings}}
        if r.properties:
            body["Properties"] = r.properties
        resources[r.logical_id] = body
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
