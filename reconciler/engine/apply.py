"""Apply a plan: creates, updates and replaces in dependency order, then removals in reverse.

Every AWS change is followed by a state write; a create intent is written before
the create call. A failed resource fails alone: its dependents are skipped with
the reason, everything else goes on. A resource AWS is still working on (a
create or update whose result is pending, or a change refused as transient) is
recorded as Pending and never waited for here: its dependents are skipped with
a reason naming it, and a later pass picks them up.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from reconciler.aws.normalize import LOGICAL_ID_TAG, OWNER_TAG
from reconciler.engine.context import contains_unknown, unknown_sources
from reconciler.engine.diff import is_ignored, pointer, without_ignored
from reconciler.engine.dynamic import FINGERPRINTS, merge_prints, salt_of
from reconciler.engine.model import Action, Change, Result, Status, mask_strings
from reconciler.engine.pending import mark_transient, mark_waiting
from reconciler.engine.plan import Planner
from reconciler.engine.planned import (
    CREATE_TOKEN,
    REBUILT,
    Planned,
    deletion_policy,
    describe_error,
    last_applied,
)
from reconciler.engine.written import WRITTEN
from reconciler.engine.written import changes as written_changes
from reconciler.engine.written import record as written_prints
from reconciler.failpoints import failpoint
from reconciler.kinds.base import Kind, Observation, TransientError
from reconciler.state.base import Fenced, InventoryRow, Store
from reconciler.template.coerce import coerce_properties
from reconciler.template.dynamic_refs import DynamicReferenceError

ChangeListener = Callable[[Change, str], None]  # change, phase ("start" or "done")


class Skip(Exception):
    """The change cannot be attempted (a dependency failed or is still unknown)."""


class Applier:
    def __init__(self, planner: Planner, store: Store, run_id: int,
                 listener: ChangeListener | None = None,
                 should_stop: Callable[[], bool] = lambda: False):
        self.p = planner
        self.store = store
        self.run_id = run_id
        self.listener = listener or (lambda change, phase: None)
        self.should_stop = should_stop
        self.failed: set[str] = set()
        self.changes = {lid: item.change for lid, item in planner.planned.items()}

    def apply(self) -> None:
        planned = self.p.planned
        for lid in self.p.template.order:
            if lid in planned:
                self._run(planned[lid], self._apply_declared)
        for lid in self.p.removal_order:
            self._run(planned[lid], self._apply_removal)

    def _run(self, item: Planned, step: Callable[[Planned], None]) -> None:
        change = item.change
        if change.status == Status.ERROR:
            self.failed.add(change.resource)
            return
        if change.status == Status.PENDING:
            return  # AWS is still at it, or the retry time has not come
        if not change.actionable:
            if change.action == Action.NONE:
                self._settle(item)
            return
        if self.should_stop():
            change.result, change.reason = Result.SKIPPED, "not started: shutdown requested"
            return
        waits_on = self._waits_on(item)
        if not any(d in self.failed for d in waits_on) and mark_waiting(change, waits_on,
                                                                         self.changes):
            change.result = Result.SKIPPED  # not a failure: picked up once they are ready
            self._record_change(change)
            self.listener(change, "done")
            return
        self.listener(change, "start")
        try:
            step(item)
            change.result = Result.SUCCESS
            pending = item.observation.pending if item.observation else None
            if pending and change.action in (Action.CREATE, Action.UPDATE, Action.REPLACE):
                change.result, change.status, change.pending = (
                    Result.PENDING, Status.PENDING, pending)
                change.reason = f"pending: {pending}"
        except Skip as skip:
            change.result, change.reason = Result.SKIPPED, str(skip)
            self.failed.add(change.resource)
        except TransientError as exc:  # not an error: retried after its delay
            change.result = Result.PENDING
            mark_transient(change, exc, time.time())
        except Fenced:
            raise  # another worker holds the lease: this run ends here, nothing more is done
        except Exception as exc:  # the resource fails alone; the run goes on
            change.result, change.status = Result.ERROR, Status.ERROR
            change.error = mask_strings(describe_error(exc), self.p.secrets)
            self.failed.add(change.resource)
        self._record_change(change)
        self.listener(change, "done")

    def _waits_on(self, item: Planned) -> list[str]:
        """What must be ready first: dependencies, or for a removal, removed dependents."""
        if item.decl is not None:
            return list(item.decl.depends_on)
        return self.p.removal_dependents(item.change.resource)

    # --- declared resources ---------------------------------------------------------------

    def _apply_declared(self, item: Planned) -> None:
        assert item.decl is not None
        change, decl = item.change, item.decl
        blocked_by = [d for d in decl.depends_on if d in self.failed]
        if blocked_by:
            raise Skip(f"skipped: dependency {', '.join(blocked_by)} failed or was skipped")
        kind = self.p.kinds.get(decl.type)
        props = self.p.desired_properties(decl)
        declared_tags = _tags(props.pop("Tags")) if "Tags" in props else None
        if contains_unknown(props) or contains_unknown(declared_tags):
            waiting = ", ".join(unknown_sources([props, declared_tags]))
            raise Skip(f"skipped: a referenced value is still unknown: {waiting} (its "
                       "resource was not created, or that attribute is not read)")
        if change.action == Action.CREATE:
            self._create(item, kind, props, declared_tags)
        elif change.action == Action.REPLACE:
            self._replace(item, kind, props, declared_tags)
        else:
            self._update(item, kind, props, declared_tags)

    def _create(self, item: Planned, kind: Kind, props: dict[str, Any],
                declared_tags: dict[str, str] | None) -> None:
        assert item.decl is not None
        lid = item.decl.logical_id
        generated = kind.generated_name(lid, self.p.settings.owner)
        if item.row is not None and item.row.pending:
            # Reuse the name chosen before a crash, so a retry cannot leak a second resource.
            generated = {k: item.row.properties.get(k, v) for k, v in generated.items()}
        for key, value in generated.items():
            props.setdefault(key, value)
        tags = {**(declared_tags or {}), OWNER_TAG: self.p.settings.owner, LOGICAL_ID_TAG: lid}
        # The create intent carries the idempotency token: a retry after a crash reuses it.
        token = item.row.properties.get(CREATE_TOKEN) if item.row is not None \
            and item.row.pending else None
        token = str(token or uuid.uuid4())
        sent, item.prints = self._for_aws(item, props, None)
        item.rewritten = None
        self._record(item, kind, {**props, CREATE_TOKEN: token}, kind.physical_id(props),
                     "pending-create")
        try:
            obs = kind.create(sent, tags if kind.taggable else {}, token=token)
        except Fenced:
            raise  # refused before it was sent: nothing to look for
        except Exception:
            # The call may have succeeded with its reply lost: look before creating again.
            found = self._made_by_us(kind, props, lid)
            if found is None:
                raise
            # Ours after all: bring what the create left undone (settings, tags) to desired,
            # as an update would; while AWS is still at work, the next pass does.
            item.observation = found
            if found.pending:
                self._record(item, kind, props, found.physical_id, "present")
            else:
                self._update(item, kind, props, declared_tags)
            obs = found
        failpoint("after-create", lid)
        item.observation = obs
        item.change.physical_id = obs.physical_id
        self.p.lookup.observations[lid] = obs
        self._record(item, kind, props, obs.physical_id, "present")

    def _made_by_us(self, kind: Kind, props: dict[str, Any], lid: str) -> Observation | None:
        """The resource a failed create made after all: found by its ownership tags, or by
        the name our create intent gave it, carrying no other owner's tag (the plan saw no
        such resource a moment ago; untaggable kinds and tags set after the create leave
        the name as the only proof)."""
        owner = self.p.settings.owner
        named = kind.physical_id(props)
        try:
            physical_id = named or kind.find(owner, lid)
            obs = kind.observe(physical_id, props) if physical_id else None
        except Exception:
            return None  # the lookup failing too: report the create's own error
        if obs is None:
            return None
        tags = obs.tags or {}
        if tags.get(OWNER_TAG) == owner and tags.get(LOGICAL_ID_TAG) == lid:
            return obs
        return obs if named and OWNER_TAG not in tags else None

    def _update(self, item: Planned, kind: Kind, props: dict[str, Any],
                declared_tags: dict[str, str] | None) -> None:
        assert item.decl is not None and item.observation is not None
        obs, decl = item.observation, item.decl
        differ = self.p.kinds.differ(decl.type)
        entries = differ.diff(props, obs.properties, decl.settings.ignore_drift)
        entries += without_ignored(written_changes(
            type(kind), props, item.row.properties.get(WRITTEN) if item.row else None),
            decl.settings.ignore_drift)
        changed = frozenset(e.path.split("/")[1] for e in entries) - {"Tags"}
        item.rewritten = changed
        after = None
        if changed:
            recorded = item.row.properties.get(FINGERPRINTS) if item.row else None
            sent, fresh = self._for_aws(item, props, salt_of(recorded))
            item.prints = merge_prints(recorded, fresh, changed)
            after = kind.update(obs.physical_id, sent, obs, changed)
        if obs.tags is not None:
            want = dict(declared_tags or {})
            want[OWNER_TAG], want[LOGICAL_ID_TAG] = self.p.settings.owner, decl.logical_id
            # IgnoreDrift covers the user's tags; ownership tags are always restored.
            ignore = decl.settings.ignore_drift
            user_ignored = {k for k in {*want, *obs.tags} if not k.startswith("reconciler:")
                            and is_ignored(pointer(("Tags", k)), ignore)}
            add = {k: v for k, v in want.items()
                   if obs.tags.get(k) != v and k not in user_ignored}
            remove = []
            if declared_tags is not None:
                remove = [k for k in obs.tags
                          if k not in want and not k.startswith(("aws:", "reconciler:"))
                          and k not in user_ignored]
            if add or remove:
                kind.set_tags(obs.physical_id, add, remove)
        self._record(item, kind, props, obs.physical_id, "present")
        if after is not None:
            item.observation = after
            self.p.lookup.observations[decl.logical_id] = after

    def _replace(self, item: Planned, kind: Kind, props: dict[str, Any],
                 declared_tags: dict[str, str] | None) -> None:
        assert item.decl is not None and item.observation is not None
        old = item.observation
        if (item.decl.update_replace_policy or kind.update_replace_policy) == "Retain":
            self._release(kind, old)
        elif item.decl.update_replace_policy == "Snapshot":
            kind.delete_with_snapshot(old.physical_id,
                                      last_applied(item.row) if item.row else props)
        else:
            kind.delete(old.physical_id, last_applied(item.row) if item.row else props)
        self.store.drop_inventory(item.decl.logical_id)
        item.row = None
        self._create(item, kind, props, declared_tags)

    def _settle(self, item: Planned) -> None:
        """Keep the inventory true for an in-sync owned resource (revision, adoption, recovery)."""
        if item.forget and item.row is not None:
            self.store.drop_inventory(item.row.logical_id)
            return
        change, decl, obs = item.change, item.decl, item.observation
        if decl is None or obs is None or change.status != Status.IN_SYNC:
            return
        if change.mode == "observe" or change.blocked:
            return
        row = item.row
        stale = (row is None or row.pending or row.physical_id != obs.physical_id
                 or row.revision != self.p.settings.revision or REBUILT in row.properties)
        if stale:
            kind = self.p.kinds.get(decl.type)
            self._record(item, kind, dict(item.desired or {}), obs.physical_id, "present")

    # --- removals ---------------------------------------------------------------------------

    def _apply_removal(self, item: Planned) -> None:
        assert item.row is not None and item.observation is not None
        kind = self.p.kinds.get(item.row.type)
        if item.change.action == Action.DELETE and item.row.deletion_policy == "Snapshot":
            kind.delete_with_snapshot(item.observation.physical_id, last_applied(item.row))
        elif item.change.action == Action.DELETE:
            kind.delete(item.observation.physical_id, last_applied(item.row))
        else:
            self._release(kind, item.observation)
        self.store.drop_inventory(item.row.logical_id)

    @staticmethod
    def _release(kind: Kind, obs: Observation) -> None:
        """Orphan: keep the resource and its data, drop our ownership tags."""
        if kind.taggable and obs.tags is not None:
            present = [t for t in (OWNER_TAG, LOGICAL_ID_TAG) if t in obs.tags]
            if present:
                kind.set_tags(obs.physical_id, {}, present)

    def _for_aws(self, item: Planned, props: dict[str, Any], salt: str | None
                 ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """``props`` with dynamic references resolved, for the kind's call only."""
        assert item.decl is not None
        try:
            sent, prints = self.p.references.for_aws(props, salt)
            if prints is None:
                return sent, None
            kind = self.p.kinds.get(item.decl.type)
            return coerce_properties(sent, kind.type_schema()), prints
        except Fenced:
            raise
        except Exception as error:
            decl = item.decl
            raise DynamicReferenceError(
                f"{decl.file}:{decl.line}: {decl.logical_id}: "
                f"{mask_strings(describe_error(error), self.p.secrets)}") from None

    # --- bookkeeping ------------------------------------------------------------------------

    def _record_change(self, change: Change) -> None:
        self.store.record_change(self.run_id, change.resource, change.type, str(change.action),
                                 str(change.result), change.error or change.reason,
                                 [d.to_json() for d in change.diff])

    def _record(self, item: Planned, kind: Kind, props: dict[str, Any], physical_id: str | None,
                state: str) -> None:
        assert item.decl is not None
        decl = item.decl
        differ = self.p.kinds.differ(decl.type)
        row = InventoryRow(
            logical_id=decl.logical_id, type=decl.type, physical_id=physical_id,
            owner=self.p.settings.owner, revision=self.p.settings.revision, state=state,
            deletion_policy=deletion_policy(decl, type(kind)), mode=item.change.mode,
            properties=mask_strings(differ.mask_properties(props), self.p.secrets),
            depends_on=list(decl.depends_on))
        # Prints of what AWS holds stay until a create or update sends new values.
        prints = item.prints if item.prints is not None else (
            item.row.properties.get(FINGERPRINTS) if item.row is not None else None)
        if prints:
            row.properties[FINGERPRINTS] = prints
        written = written_prints(type(kind), props, item.row.properties.get(WRITTEN)
                                 if item.row is not None else None, item.rewritten)
        if written:
            row.properties[WRITTEN] = written
        self.store.put_inventory(row)
        item.row = row


def _tags(value: Any) -> dict[str, str] | None:
    if isinstance(value, list):
        return {str(t.get("Key")): t.get("Value", "") for t in value if isinstance(t, dict)}
    return None
