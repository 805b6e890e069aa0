"""A resource renamed in git: its declared name no longer names what the inventory holds.

Kinds that read a resource by its name do not report the name among the observed
properties (it is how the resource was found), so the diff alone cannot see a changed
``BucketName``. The name is compared instead the way the kind derives its physical ID:
from the properties last applied and from the declared ones, in the same format.
"""

from __future__ import annotations

from typing import Any

from reconciler.engine.diff import pointer
from reconciler.engine.model import DiffEntry
from reconciler.engine.planned import last_applied
from reconciler.kinds.base import Kind
from reconciler.state.base import InventoryRow


def rename_entries(kind: Kind, desired: dict[str, Any], row: InventoryRow | None,
                   found: list[DiffEntry]) -> list[DiffEntry]:
    """Diff entries for the create-only properties behind a changed name (none when the
    name is unchanged, unknown, or the diff already shows them)."""
    if row is None or row.pending:
        return []
    before = last_applied(row)
    old_id, new_id = kind.physical_id(before), kind.physical_id(desired)
    if not (isinstance(old_id, str) and isinstance(new_id, str)) or old_id == new_id:
        return []
    shown = {entry.path for entry in found}
    return [DiffEntry(pointer((key,)), before.get(key), desired.get(key))
            for key in sorted(kind.create_only())
            if before.get(key) != desired.get(key) and pointer((key,)) not in shown]
