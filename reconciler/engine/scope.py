"""Which resources a new revision (or a pending resource) touches, so they can be applied
without a full drift check."""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.template.model import ResourceDecl, Template


def changed_scope(old: Template, new: Template) -> frozenset[str] | None:
    """Logical IDs to reconcile for the step from ``old`` to ``new``: changed, added and removed
    resources, everything that depends on them, and what those depend on (their attributes are
    needed to resolve references). None when parameters or conditions changed: any resource
    may resolve differently, so everything is in scope."""
    if old.parameters != new.parameters or old.conditions != new.conditions:
        return None
    changed = {lid for lid, decl in new.resources.items()
               if not _same(old.resources.get(lid), decl)}
    removed = set(old.resources) - set(new.resources)
    return around(new, changed, removed)


def differing(old: Template, new: Template) -> set[str]:
    """Logical IDs declared differently in ``new`` than in ``old``: added, changed or removed
    (parameter values and conditions not considered: see ``changed_scope``)."""
    changed = {lid for lid, decl in new.resources.items()
               if not _same(old.resources.get(lid), decl)}
    return changed | (set(old.resources) - set(new.resources))


def pending_scope(template: Template, resources: Iterable[str]) -> frozenset[str]:
    """Logical IDs to reconcile for resources that were pending (or waiting): them, what
    depends on them, and what those reference. Removed resources stay in by name."""
    seeds = set(resources)
    return around(template, seeds & set(template.resources), seeds - set(template.resources))


def around(template: Template, seeds: set[str], removed: set[str]) -> frozenset[str]:
    """``seeds`` plus everything downstream of them or of ``removed`` (it may resolve
    differently), plus everything upstream of those (to resolve their references)."""
    dependents: dict[str, set[str]] = {}
    for lid, decl in template.resources.items():
        for dep in decl.depends_on:
            dependents.setdefault(dep, set()).add(lid)
    scope = set(seeds)
    stack = list(seeds | removed)
    while stack:
        for dependent in dependents.get(stack.pop(), ()):
            if dependent not in scope:
                scope.add(dependent)
                stack.append(dependent)
    stack = list(scope)
    while stack:
        decl = template.resources.get(stack.pop())
        for dep in decl.depends_on if decl else ():
            if dep not in scope and dep in template.resources:
                scope.add(dep)
                stack.append(dep)
    return frozenset(scope | removed)


def _same(old: ResourceDecl | None, new: ResourceDecl) -> bool:
    """Declared the same way; where it is written (file, line) does not matter."""
    return old is not None and (
        old.type, old.properties, old.depends_on, old.deletion_policy,
        old.update_replace_policy, old.settings,
    ) == (new.type, new.properties, new.depends_on, new.deletion_policy,
          new.update_replace_policy, new.settings)
