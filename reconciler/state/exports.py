"""Exports: the ``Outputs`` other trees of the same state store publish with ``Export``,
for ``Fn::ImportValue``. Read from each owner's recorded outputs (written after apply)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from reconciler.state.base import Store

# The state meta key under which apply records a tree's resolved Outputs (JSON).
OUTPUTS_KEY = "outputs"


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
