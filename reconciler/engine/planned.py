"""What plan hands apply about each resource, and the bookkeeping both read.

``Planned`` carries a resource's change with its declaration, inventory row, desired
properties and observation; the inventory row's properties are the last applied ones
plus a few engine keys (the create token, the prints of sent secrets), which
``last_applied`` leaves out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.engine.dynamic import FINGERPRINTS
from reconciler.engine.model import Change
from reconciler.engine.written import WRITTEN
from reconciler.kinds.base import Kind, Observation
from reconciler.state.base import InventoryRow
from reconciler.template.model import ResourceDecl


@dataclass
class Planned:
    """Everything apply needs about one resource, beside its Change."""

    change: Change
    decl: ResourceDecl | None  # None: only in the inventory (removed from git)
    row: InventoryRow | None
    desired: dict[str, Any] | None = None
    tags: dict[str, Any] | None = None  # declared Tags (None: not declared)
    observation: Observation | None = None
    forget: bool = False  # inventory row of a resource already gone
    prints: dict[str, Any] | None = None  # of the dynamic references' values sent to AWS
    # Write-only properties just written (None: all of them, a create); see engine.written.
    rewritten: frozenset[str] | None = frozenset()


# Inventory key of a create intent's idempotency token (never a property of the resource).
CREATE_TOKEN = "reconciler:create-token"
# Inventory key of a row rebuilt from ownership tags (no properties, policy or dependencies
# recorded): the next apply records the resource in full.
REBUILT = "reconciler:rebuilt"


def last_applied(row: InventoryRow) -> dict[str, Any]:
    """The properties last applied, as a kind takes them (without engine bookkeeping)."""
    return {k: v for k, v in row.properties.items()
            if k not in (CREATE_TOKEN, FINGERPRINTS, WRITTEN, REBUILT)}


class DesiredValueError(ValueError):
    """A resolved value that cannot take its schema type (known only once resolved)."""


def describe_error(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 400 else text[:400] + "..."


def deletion_policy(decl: ResourceDecl, kind_cls: type[Kind]) -> str:
    return decl.deletion_policy or default_deletion_policy(kind_cls)


def default_deletion_policy(kind_cls: type[Kind]) -> str:
    """Data-bearing kinds (buckets, tables, databases, keys, secrets) keep their data."""
    return "Retain" if kind_cls.data_bearing else "Delete"
