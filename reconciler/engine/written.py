"""Write-only properties a kind writes again when their declaration changes.

AWS never shows them (a secret's value: ``Kind.compare_written``), so drift cannot be
judged against AWS. Apply records a salted SHA-256 of each value it wrote (``WRITTEN``
in the inventory row; never the value), and the next plan compares the declaration
with that print:

- the same print: in sync, whatever AWS holds now (a rotation or an out-of-band change
  is not seen, as in CloudFormation, which never reads these back either);
- another print: the declaration changed since it was written, an update writes it
  again; both sides are shown masked;
- no print yet (an adopted resource): the declared value is taken as what AWS holds,
  and its print is recorded; nothing is written.

A property no longer declared is not written (AWS keeps its value) and loses its print.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.engine.json_pointer import pointer
from reconciler.engine.model import MASK, DiffEntry
from reconciler.engine.prints import new_salt, salted_print
from reconciler.kinds.base import Kind

# Inventory key of the prints of written write-only values (never a property of the resource).
WRITTEN = "reconciler:written-prints"


def changes(kind: type[Kind], desired: Mapping[str, Any], recorded: Any) -> list[DiffEntry]:
    """A masked entry for each declared write-only value whose print differs from the last."""
    salt, paths = _parts(recorded)
    found = []
    for name in sorted(kind.compare_written):
        key = pointer((name,))
        if name in desired and key in paths and salted_print(salt, desired[name]) != paths[key]:
            found.append(DiffEntry(key, MASK, MASK))
    return found


def record(kind: type[Kind], desired: Mapping[str, Any], recorded: Any,
           written: frozenset[str] | None) -> dict[str, Any] | None:
    """The prints to keep after an apply: fresh for what was just written (``written``;
    None: everything, a create) and where none was recorded, the recorded ones otherwise."""
    salt, paths = _parts(recorded)
    salt = salt or new_salt()
    kept: dict[str, str] = {}
    for name in sorted(kind.compare_written & set(desired)):
        key = pointer((name,))
        fresh = written is None or name in written or key not in paths
        kept[key] = salted_print(salt, desired[name]) if fresh else paths[key]
    return {"salt": salt, "paths": kept} if kept else None


def _parts(recorded: Any) -> tuple[str, dict[str, str]]:
    if not isinstance(recorded, dict):
        return "", {}
    return str(recorded.get("salt", "")), dict(recorded.get("paths") or {})
