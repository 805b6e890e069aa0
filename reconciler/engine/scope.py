"""Which resources a new revision touches, so it can be applied without a full drift check."""

from __future__ import annotations

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
    dependents: dict[str, set[str]] = {}
    for lid, decl in new.resources.items():
        for dep in decl.depends_on:
            dependents.setdefault(dep, set()).add(lid)
    scope = set(changed)
    stack = list(changed | removed)
    while stack:  # everything downstream of a change may resolve differently
        for dependent in dependents.get(stack.pop(), ()):
            if dependent not in scope:
                scope.add(dependent)
                stack.append(dependent)
    stack = list(scope)
    while stack:  # and upstream, to resolve their references
        decl = new.resources.get(stack.pop())
        for dep in decl.depends_on if decl else ():
            if dep not in scope and dep in new.resources:
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
