"""Plan: observe every declared and inventoried resource, diff, and decide what to do.

Reads AWS, writes nothing. The decisions (ownership, modes, replacement,
deletion guards, what is pending and who waits for it) live here; kinds only
observe.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.aws.normalize import LOGICAL_ID_TAG, OWNER_TAG, user_tags
from reconciler.engine.context import EngineSettings, Kinds, RunLookup, contains_unknown
from reconciler.engine.diff import is_ignored, pointer, without_ignored
from reconciler.engine.dynamic import FINGERPRINTS, References, settle_observed
from reconciler.engine.model import MASK, Action, Change, DiffEntry, Plan, Status, mask_strings
from reconciler.engine.ordering import deletion_order, run_in_dependency_order
from reconciler.engine.pending import Holds, mark_transient, mark_waiting
from reconciler.engine.planned import (
    DesiredValueError,
    Planned,
    describe_error,
    last_applied,
)
from reconciler.engine.renamed import rename_entries
from reconciler.engine.written import WRITTEN
from reconciler.engine.written import changes as written_changes
from reconciler.kinds.base import Kind, Observation, TransientError
from reconciler.state.base import Fenced, InventoryRow
from reconciler.template.coerce import CoercionError, coerce_properties
from reconciler.template.model import ResourceDecl, Template, Unknown

Resolver = Callable[[Any, Template, RunLookup, Mapping[str, Any]], Any]
# A pending status hides these: they need a person, not time.
_OUTRANK_PENDING = (Status.ERROR, Status.CONFLICT, Status.BLOCKED)


def _masked(entry: DiffEntry, secrets: frozenset[str]) -> DiffEntry:
    """Both sides masked where either holds a secret: the value AWS has at a path that
    now takes a NoEcho value is that parameter's earlier value (masked by where it goes,
    not only by what it is)."""
    if mask_strings(entry.new, secrets) == entry.new and \
            mask_strings(entry.old, secrets) == entry.old:
        return entry
    return DiffEntry(entry.path, None if entry.old is None else MASK,
                     None if entry.new is None else MASK)


class Planner:
    def __init__(self, template: Template, inventory: Mapping[str, InventoryRow], kinds: Kinds,
                 resolve: Resolver, pseudo: Mapping[str, Any], settings: EngineSettings,
                 scope: frozenset[str] | None = None, holds: Holds | None = None,
                 clock: Callable[[], float] = time.time):
        self.template = template
        # None: every resource. Otherwise only these logical IDs (a new revision's changes).
        self.scope = scope
        # Changes refused by a TransientError earlier: not retried before their time.
        self.holds = dict(holds or {})
        self.clock = clock
        self.inventory = dict(inventory)
        self.kinds = kinds
        self.resolve = resolve
        self.pseudo = pseudo
        self.settings = settings
        self.lookup = RunLookup()
        self.planned: dict[str, Planned] = {}
        self.removal_order: list[str] = []  # dependents before what they depended on
        self._lock = threading.Lock()
        # Values of NoEcho parameters are secrets wherever they end up.
        self._no_echo = frozenset(
            str(template.parameters[name]) for name in template.no_echo_parameters
            if template.parameters.get(name) not in (None, ""))
        self.references = References(kinds.read_reference)

    @property
    def secrets(self) -> frozenset[str]:
        """Values never to print or store: NoEcho parameters, resolved dynamic references."""
        return self._no_echo | frozenset(self.references.revealed)

    def plan(self) -> Plan:
        declared = [lid for lid in self.template.order if self._in_scope(lid)]
        removed = [lid for lid in self.inventory
                   if lid not in self.template.resources and self._in_scope(lid)]
        deps = {lid: self.template.resources[lid].depends_on for lid in declared}
        run_in_dependency_order([*declared, *removed], deps, self._plan_one,
                                self.settings.concurrency)
        self._guard_deletions(removed)
        self.removal_order = deletion_order(removed, self.inventory)
        changes = {lid: p.change for lid, p in self.planned.items()}
        for lid in declared:
            mark_waiting(changes[lid], self.template.resources[lid].depends_on, changes)
        for lid in self.removal_order:
            mark_waiting(changes[lid], self.removal_dependents(lid), changes)
        order = [*declared, *self.removal_order]
        return Plan([self.planned[lid].change for lid in order], self.settings.revision)

    def removal_dependents(self, lid: str) -> list[str]:
        """Removed resources that depended on ``lid``: they go first, so it waits for them."""
        return [other for other in self.removal_order
                if other != lid and lid in self.inventory[other].depends_on]

    def _in_scope(self, lid: str) -> bool:
        return self.scope is None or lid in self.scope

    def _plan_one(self, lid: str) -> None:
        try:
            if lid in self.template.resources:
                planned = self._plan_declared(self.template.resources[lid])
            else:
                planned = self._plan_removed(self.inventory[lid])
        except TransientError as exc:  # AWS not caught up: look again after the delay
            change = Change(lid, self._type_of(lid), Status.PENDING)
            mark_transient(change, exc, self.clock())
            planned = Planned(change, self.template.resources.get(lid), self.inventory.get(lid))
            self.lookup.observations[lid] = None
        except Fenced:
            raise  # another worker holds the lease: the whole run ends
        except Exception as exc:  # one resource fails alone
            change = Change(lid, self._type_of(lid), Status.ERROR, reason=describe_error(exc))
            planned = Planned(change, self.template.resources.get(lid), self.inventory.get(lid))
            self.lookup.observations[lid] = None
        self._pending_or_held(planned)
        if self.secrets:
            secrets = self.secrets
            planned.change.diff = [_masked(d, secrets) for d in planned.change.diff]
        with self._lock:
            self.planned[lid] = planned

    def _type_of(self, lid: str) -> str:
        if lid in self.template.resources:
            return self.template.resources[lid].type
        return self.inventory[lid].type

    def _pending_or_held(self, planned: Planned) -> None:
        """Pending while AWS is still at work on the resource (no change is attempted then),
        or while a change refused as transient waits for its retry time."""
        change, obs = planned.change, planned.observation
        if change.status in _OUTRANK_PENDING or change.status == Status.PENDING:
            return
        if obs is not None and obs.pending:
            change.status, change.pending = Status.PENDING, obs.pending
            change.reason = f"pending: {obs.pending}"
            return
        hold = self.holds.get(change.resource)
        now = self.clock()
        if hold is not None and hold[0] > now and change.actionable:
            change.status, change.pending, change.not_before = Status.PENDING, hold[1], hold[0]
            change.reason = f"pending: {hold[1]}; retrying in {hold[0] - now:.0f}s"

    # --- declared resources -------------------------------------------------------------------

    def _plan_declared(self, decl: ResourceDecl) -> Planned:
        lid, owner = decl.logical_id, self.settings.owner
        mode = decl.settings.mode or self.settings.default_mode
        row = self.inventory.get(lid)
        change = Change(lid, decl.type, Status.IN_SYNC, mode=mode,
                        managed=row is not None and not row.pending)
        planned = Planned(change, decl, row)
        if row is not None and row.type != decl.type:
            change.status, change.reason = Status.ERROR, (
                f"{lid} changed type from {row.type} to {decl.type}: remove it from the tree "
                "first (or give the new resource another logical ID)")
            self.lookup.observations[lid] = None
            return planned
        kind = self.kinds.get(decl.type)
        props = self.desired_properties(decl)
        if "Tags" in props:
            planned.tags = _declared_tags(props.pop("Tags"))
        planned.desired = props
        obs = self._observe(kind, props, row, lid, owner, decl.settings.physical_id)
        planned.observation = obs
        self.lookup.observations[lid] = obs
        if obs is None:
            derived = kind.physical_id(props)
            if isinstance(derived, str) and kind.attributes_ref_is_id:
                self.lookup.planned_ids[lid] = derived
            return self._plan_missing(planned, kind, mode)
        change.physical_id = obs.physical_id
        obs.properties = settle_observed(props, obs.properties,
                                         row.properties.get(FINGERPRINTS) if row else None)
        owned, conflict = self._ownership(kind, obs, row, decl, mode)
        differ = self.kinds.differ(decl.type)
        entries = differ.diff(props, obs.properties, decl.settings.ignore_drift)
        entries += without_ignored(written_changes(
            type(kind), props, row.properties.get(WRITTEN) if row else None),
            decl.settings.ignore_drift)
        tag_entries = self._tag_diff(obs.tags, planned.tags, lid, owned and mode != "observe")
        # IgnoreDrift covers the user's tags; ownership tags are the reconciler's own.
        entries += [e for e in tag_entries if e.path.startswith("/Tags/reconciler:")
                    or not is_ignored(e.path, decl.settings.ignore_drift)]
        entries += rename_entries(kind, props, row, entries)
        change.diff = entries
        change.changed = frozenset(e.path.split("/")[1] for e in entries)
        if conflict:
            change.status, change.blocked, change.reason = Status.CONFLICT, True, conflict
            change.action = Action.UPDATE if entries else Action.NONE
            return planned
        change.adopt = owned and row is None and not _tagged_by(obs, owner, lid)
        if not entries:
            return planned
        change.status = Status.DRIFTED
        replace = (change.changed & kind.create_only()) | kind.replacing(
            props, obs.properties, change.changed)
        change.action = Action.REPLACE if replace else Action.UPDATE
        if change.adopt:
            change.reason = "adopting an existing resource (Adopt: true)"
        if mode in ("detect", "observe"):
            change.blocked = True
            change.reason = f"mode {mode}: drift is reported, not corrected"
        elif replace and not (decl.settings.allow_replace or kind.replacement_safe):
            change.status, change.blocked = Status.BLOCKED, True
            change.reason = (f"changing {', '.join(sorted(replace))} requires replacement; "
                             "set Metadata.Reconciler.AllowReplace: true to allow it")
        if replace and not change.blocked:
            self._replacing(lid, kind, props)
        return planned

    def _replacing(self, lid: str, kind: Kind, props: dict[str, Any]) -> None:
        """A replacement is a new resource: what references it resolves after apply (a new
        version's number, a new ID), so its dependents are planned against the new one."""
        self.lookup.observations[lid] = None
        derived = kind.physical_id(props)
        if isinstance(derived, str) and kind.attributes_ref_is_id:
            self.lookup.planned_ids[lid] = derived

    def desired_properties(self, decl: ResourceDecl) -> dict[str, Any]:
        """Properties resolved with what this run knows, each value in the schema's type."""
        resolved = self.resolve(decl.properties, self.template, self.lookup, self.pseudo)
        schema = self.kinds.get(decl.type).type_schema()
        try:
            props = coerce_properties(resolved or {}, schema)
        except CoercionError as error:
            raise DesiredValueError(f"{decl.file}:{decl.line}: {decl.logical_id} "
                                    f"({decl.type}) {error}") from None
        # A schema naming its tags otherwise (Route 53's HostedZoneTags): tags all the same.
        tag_property = schema.tagging.tag_property
        if tag_property and tag_property != "Tags" and tag_property in props:
            props["Tags"] = props.pop(tag_property)
        return props

    def _observe(self, kind: Kind, props: dict[str, Any], row: InventoryRow | None, lid: str,
                 owner: str, declared_id: str | None = None) -> Observation | None:
        derived = kind.physical_id(props)
        if isinstance(derived, Unknown) or contains_unknown(derived):
            derived = None
        # Metadata.Reconciler.PhysicalId last: once recorded, the inventory's ID wins.
        candidates = [p for p in (row.physical_id if row else None, derived, declared_id) if p]
        for physical_id in dict.fromkeys(candidates):
            obs = kind.observe(physical_id, props)
            if obs is not None:
                return obs
        # A crash after the create call, or a rebuilt inventory without this resource and
        # no name to look at: find what we made by its ownership tags (once per resource:
        # afterwards it has a row).
        unrecorded = row is None and not candidates and self.settings.find_unrecorded
        if (row is not None and row.pending) or unrecorded:
            found = kind.find(owner, lid)
            if found:
                return kind.observe(found, props)
        return None

    def _plan_missing(self, planned: Planned, kind: Kind, mode: str) -> Planned:
        change = planned.change
        change.status, change.action = Status.MISSING, Action.CREATE
        differ = self.kinds.differ(change.type)
        change.diff = [differ.mask(DiffEntry(pointer((k,)), None, v))
                       for k, v in sorted((planned.desired or {}).items())]
        if planned.tags:
            change.diff.append(DiffEntry("/Tags", None, [
                {"Key": k, "Value": v} for k, v in sorted(planned.tags.items())]))
        if mode == "observe":
            change.blocked, change.reason = True, "mode observe: the resource does not exist"
        elif mode == "detect":
            change.blocked, change.reason = True, "mode detect: missing, not created"
        return planned

    def _ownership(self, kind: Kind, obs: Observation, row: InventoryRow | None,
                   decl: ResourceDecl, mode: str) -> tuple[bool, str | None]:
        """(owned, conflict reason). The inventory or both ownership tags prove ownership."""
        if mode == "observe":
            return False, None
        owner, lid = self.settings.owner, decl.logical_id
        if row is not None:
            return True, None
        tags = obs.tags or {}
        if _tagged_by(obs, owner, lid):
            return True, None
        tag_owner = tags.get(OWNER_TAG)
        if tag_owner is not None and tag_owner != owner:
            return False, f"exists and is owned by reconciler instance '{tag_owner}'"
        if tag_owner == owner:
            return False, (f"exists and is owned by this instance as "
                           f"{tags.get(LOGICAL_ID_TAG, 'another resource')}")
        if decl.settings.adopt:
            return True, None
        return False, ("exists but is not owned by this reconciler (no ownership tag, not in "
                       "the inventory); set Metadata.Reconciler.Adopt: true to take it over")

    def _tag_diff(self, actual: dict[str, str] | None, declared: dict[str, Any] | None,
                  lid: str, ownership: bool) -> list[DiffEntry]:
        if actual is None:
            return []  # the kind cannot be tagged
        want: dict[str, Any] = dict(declared or {})
        if ownership:
            want[OWNER_TAG] = self.settings.owner
            want[LOGICAL_ID_TAG] = lid
        entries = [DiffEntry(pointer(("Tags", k)), actual.get(k), v)
                   for k, v in sorted(want.items()) if actual.get(k) != v]
        if declared is not None:  # a declared tag list is exact, apart from reserved tags
            entries += [DiffEntry(pointer(("Tags", k)), v, None)
                        for k, v in sorted(user_tags(actual).items()) if k not in want]
        return entries

    # --- removed resources --------------------------------------------------------------------

    def _plan_removed(self, row: InventoryRow) -> Planned:
        change = Change(row.logical_id, row.type, Status.DRIFTED, physical_id=row.physical_id,
                        mode=row.mode)
        planned = Planned(change, None, row)
        if not self.kinds.known(row.type):
            change.status, change.reason = Status.ERROR, f"unknown type {row.type} in inventory"
            return planned
        kind = self.kinds.get(row.type)
        obs = self._observe(kind, last_applied(row), row, row.logical_id, self.settings.owner)
        planned.observation = obs
        if obs is None:
            change.status, planned.forget = Status.IN_SYNC, True
            change.reason = "removed from the desired state and already gone"
            return planned
        change.physical_id = obs.physical_id
        if row.deletion_policy == "Delete":
            change.action, change.reason = Action.DELETE, "removed from the desired state"
        elif row.deletion_policy == "Snapshot":
            change.action = Action.DELETE
            change.reason = ("removed from the desired state; DeletionPolicy Snapshot deletes it "
                             "after a final snapshot")
        else:
            change.action = Action.ORPHAN
            change.reason = "removed from the desired state; DeletionPolicy Retain keeps it"
        if row.mode == "detect":
            change.blocked, change.reason = True, "mode detect: removal reported, not applied"
        return planned

    def _guard_deletions(self, removed: list[str]) -> None:
        removals = [self.planned[lid].change for lid in removed]
        removals = [c for c in removals if c.action in (Action.DELETE, Action.ORPHAN)]
        if not removals:
            return
        if not self.template.resources and not self.settings.allow_empty and self.scope is None:
            reason = (f"empty-tree guard: the desired tree declares no resources; refusing to "
                      f"remove {len(removals)} resources (pass --allow-empty to confirm)")
            self._block(removals, reason)
            return
        deletes = [c for c in removals if c.action == Action.DELETE]
        fraction_limit = math.ceil(self.settings.max_delete_fraction * len(self.inventory))
        limit = min(self.settings.max_deletes, fraction_limit)
        if len(deletes) > limit and not self.settings.allow_mass_delete:
            reason = (f"mass-deletion guard: {len(deletes)} deletions exceed the limit of {limit}"
                      f" ({self.settings.max_deletes} resources or "
                      f"{self.settings.max_delete_fraction:.0%} of {len(self.inventory)}); "
                      "pass --allow-mass-delete to confirm")
            self._block(deletes, reason)

    @staticmethod
    def _block(changes: list[Change], reason: str) -> None:
        for change in changes:
            change.status, change.blocked, change.reason = Status.BLOCKED, True, reason


def _declared_tags(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        return {str(t.get("Key")): t.get("Value", "") for t in value if isinstance(t, dict)}
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return {}


def _tagged_by(obs: Observation, owner: str, lid: str) -> bool:
    tags = obs.tags or {}
    return tags.get(OWNER_TAG) == owner and tags.get(LOGICAL_ID_TAG) == lid
