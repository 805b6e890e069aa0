"""Exports: the ``Outputs`` other trees of the same state store publish with ``Export``,
for ``Fn::ImportValue``. Read from each owner's recorded outputs (written after apply).

Each tree's apply also records the export names it imports; as in CloudFormation, a tree
cannot stop exporting a name another tree imports (``exports_in_use``): its plan and
apply fail naming the importer, and nothing is applied, until that import is gone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from reconciler.state.base import Store

# The state meta key under which apply records a tree's resolved Outputs (JSON).
OUTPUTS_KEY = "outputs"
# ... and the export names its tree imports (a JSON list).
IMPORTS_KEY = "imports"


@dataclass(frozen=True)
class Exported:
    owner: str  # the tree (owner) that exports it
    output: str  # its output's logical name
    value: Any  # None: not known yet (the exporting tree has not applied it)


def exports_of_others(store: Store) -> dict[str, Exported]:
    """Every export of the store's other owners, by export name."""
    found: dict[str, Exported] = {}
    for owner, recorded in sorted(store.meta_of_owners(OUTPUTS_KEY).items()):
        if owner == store.owner:
            continue
        try:
            outputs = json.loads(recorded)
        except ValueError:
            continue  # a damaged record exports nothing rather than stopping every tree
        for name, entry in outputs.items() if isinstance(outputs, dict) else ():
            export = entry.get("export") if isinstance(entry, dict) else None
            if isinstance(export, str) and export:
                found.setdefault(export, Exported(owner, name, entry.get("value")))
    return found


def exported_names(outputs: Any) -> set[str]:
    """The export names of resolved outputs ({name: {"export": ...}}), as recorded."""
    return {entry["export"] for entry in (outputs or {}).values()
            if isinstance(entry, dict) and isinstance(entry.get("export"), str)
            and entry["export"]}


def record_imports(store: Store, names: frozenset[str]) -> None:
    store.set_meta(IMPORTS_KEY, json.dumps(sorted(names)))


def exports_in_use(store: Store, outputs: Any) -> dict[str, list[str]]:
    """Names this tree exported at its last apply, no longer exports in ``outputs``, and
    another tree imports: export name -> the importing owners."""
    try:
        before = exported_names(json.loads(store.get_meta(OUTPUTS_KEY) or "{}"))
    except ValueError:
        return {}
    entries = [e for e in (outputs or {}).values() if isinstance(e, dict)]
    if any("export" in e and not e["export"] for e in entries):
        return {}  # an export name this plan cannot know yet may be any of them
    dropped = before - exported_names(outputs)
    if not dropped:
        return {}
    in_use: dict[str, list[str]] = {}
    for owner, recorded in sorted(store.meta_of_owners(IMPORTS_KEY).items()):
        if owner == store.owner:
            continue
        try:
            names = set(json.loads(recorded))
        except (ValueError, TypeError):
            continue
        for name in sorted(dropped & names):
            in_use.setdefault(name, []).append(owner)
    return in_use
