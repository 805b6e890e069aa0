"""``plan --base REV``: only the resources a branch declares differently from REV.

The desired path is read at REV from git (its blobs written to a temporary directory, never
a checkout of the work tree), loaded like the working tree, and the two are compared
declaration by declaration: added, removed and changed resources are planned (with what they
reference, to resolve it), the others are omitted and counted. A resource counts as changed
when its declaration differs, or when it uses a parameter whose value differs, or
Fn::FindInMap while the Mappings differ.
"""

from __future__ import annotations

import stat
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.engine.model import Plan
from reconciler.engine.scope import differing
from reconciler.errors import ReconcilerError, ValidationFailed
from reconciler.template.intrinsics import functions_used, references
from reconciler.template.model import Template


@dataclass
class BaseComparison:
    """What differs between the tree at ``rev`` and the working tree."""

    rev: str
    commit: str
    added: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()
    changed: frozenset[str] = frozenset()
    # Set when the tree at REV does not load: nothing is filtered, and this says why.
    unreadable: str | None = None
    omitted: int = 0  # resources left out of the plan shown
    shown: list[str] = field(default_factory=list)

    @property
    def differing(self) -> frozenset[str]:
        return self.added | self.removed | self.changed

    def describe(self) -> str:
        short = self.commit[:12]
        if self.unreadable:
            return (f"compared with {self.rev} ({short}): the tree there does not load "
                    f"({self.unreadable}); showing every resource")
        return (f"compared with {self.rev} ({short}): {len(self.added)} added, "
                f"{len(self.changed)} changed, {len(self.removed)} removed; "
                f"{self.omitted} unchanged resource(s) omitted")

    def to_json(self) -> dict[str, Any]:
        return {"rev": self.rev, "commit": self.commit, "added": sorted(self.added),
                "changed": sorted(self.changed), "removed": sorted(self.removed),
                "omitted": self.omitted, "unreadable": self.unreadable}


def _repository(path: str) -> Any:
    import git

    try:
        return git.Repo(path, search_parent_directories=True)
    except git.NoSuchPathError:
        raise ReconcilerError(f"--base: {path}: no such file or directory") from None
    except git.InvalidGitRepositoryError:
        raise ReconcilerError(f"--base: {path} is not in a git work tree (plan --base reads "
                              "the tree at REV with git)") from None


def _commit(repo: Any, rev: str) -> Any:
    import git

    try:
        return repo.commit(rev)
    except (git.BadName, git.BadObject, ValueError, git.GitCommandError):
        raise ReconcilerError(
            f"--base {rev}: unknown revision in {repo.working_tree_dir} (for a pull request's "
            "base, fetch it first: git fetch origin main, then --base origin/main)") from None


def _write_tree(commit: Any, relative: str, into: Path) -> bool:
    """The blobs under ``relative`` at ``commit``, written under ``into``; False when the path
    does not exist there (everything in the working tree is then added)."""
    try:
        item = commit.tree / relative if relative not in ("", ".") else commit.tree
    except KeyError:
        return False
    blobs = [item] if item.type == "blob" else [i for i in item.traverse() if i.type == "blob"]
    for blob in blobs:
        if stat.S_ISLNK(blob.mode):
            continue  # a link's target is not part of the tree at REV
        target = into / blob.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blob.data_stream.read())
    return True


def compare(path: str, rev: str, template: Template, load: Any,
            parameters: Mapping[str, str], pseudo: Any) -> BaseComparison:
    """Read ``path`` at ``rev`` and compare it with ``template`` (the working tree's)."""
    repo = _repository(path)
    commit = _commit(repo, rev)
    root = Path(repo.working_tree_dir).resolve()
    relative = Path(path).resolve().relative_to(root).as_posix()
    comparison = BaseComparison(rev, commit.hexsha)
    with tempfile.TemporaryDirectory(prefix="reconciler-base-") as temp:
        if not _write_tree(commit, relative, Path(temp)):
            comparison.added = frozenset(template.resources)
            return comparison
        try:
            base = load(Path(temp) / relative, parameters, pseudo)
        except ValidationFailed as failed:
            comparison.unreadable = f"{len(failed.issues)} error(s)"
            print(f"warning: --base {rev}: the tree at {commit.hexsha[:12]} does not load "
                  f"({len(failed.issues)} error(s), e.g. {failed.issues[0]}); showing every "
                  "resource", file=sys.stderr)
            return comparison
    new, old = set(template.resources), set(base.resources)
    comparison.added = frozenset(new - old)
    comparison.removed = frozenset(old - new)
    comparison.changed = frozenset((differing(base, template) & new & old)
                                   | _resolving_differently(base, template))
    return comparison


def _resolving_differently(old: Template, new: Template) -> set[str]:
    """Resources declared the same whose values still differ: a parameter they use has
    another value, or they look up Mappings that changed."""
    params = {name for name in set(old.parameters) | set(new.parameters)
              if old.parameters.get(name) != new.parameters.get(name)}
    mappings_changed = old.mappings != new.mappings
    out = set()
    for lid, decl in new.resources.items():
        if lid not in old.resources:
            continue
        names = {name for name, _ in references(decl.properties)}
        if names & params or (mappings_changed and "Fn::FindInMap" in
                              functions_used(decl.properties)):
            out.add(lid)
    return out


def scope_for(comparison: BaseComparison, template: Template) -> frozenset[str] | None:
    """What to plan: the differing resources and what they reference (to resolve it), not
    what merely depends on them. None: everything."""
    if comparison.unreadable:
        return None
    scope = set(comparison.differing & set(template.resources))
    stack = list(scope)
    while stack:
        for dep in template.resources[stack.pop()].depends_on:
            if dep in template.resources and dep not in scope:
                scope.add(dep)
                stack.append(dep)
    return frozenset(scope | comparison.removed)


def only_differing(plan: Plan, comparison: BaseComparison, total: int) -> Plan:
    """``plan`` with the resources that do not differ from REV left out (and counted)."""
    if comparison.unreadable:
        comparison.shown = [c.resource for c in plan.changes]
        return plan
    keep = comparison.differing
    changes = [c for c in plan.changes if c.resource in keep]
    comparison.shown = [c.resource for c in changes]
    comparison.omitted = max(0, total - len(changes))
    return Plan(changes, plan.revision, list(plan.errors), plan.outputs)
