"""Compare desired properties with what AWS has, after normalization, on DeepDiff.

Drift is judged on declared properties only (keys AWS adds are server defaults),
except under a kind's ``exact_paths``. Equal-but-differently-written values
never count: number types, "true" versus true, a single value versus a
one-element list, policy JSON formatting and order, ARN versus ID, and order in
lists the CloudFormation schema marks ``insertionOrder: false``. What counts as
equal lives in ``diff_rules``; this module runs DeepDiff where a plain comparison
of the prepared sides is not enough, and turns its findings into ``DiffEntry``s:
one per changed value, a whole list where it changed length or ignores order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from deepdiff import DeepDiff
from deepdiff.model import CUSTOM_FIELD

from reconciler.aws.normalize import canonical_policy
from reconciler.engine.diff_rules import (
    MISSING,
    KindRules,
    counts,
    deepdiff_options,
    generic,
    same_scalar,
)
from reconciler.engine.json_pointer import Path, matches, pointer, split_pointer, under
from reconciler.engine.model import MASK, DiffEntry
from reconciler.kinds.base import Kind

__all__ = ["PropertyDiff", "is_ignored", "matches", "pointer", "same_scalar", "split_pointer",
           "under", "without_ignored"]


def is_ignored(path: str, ignore: Iterable[str]) -> bool:
    """True when ``path`` lies at or under one of the ``IgnoreDrift`` pointers."""
    parts = split_pointer(path)
    return any(under(split_pointer(i), parts) for i in ignore)


def without_ignored(entries: Iterable[DiffEntry], ignore: Iterable[str]) -> list[DiffEntry]:
    ignore = tuple(ignore)
    return [e for e in entries if not is_ignored(e.path, ignore)]


class PropertyDiff:
    """Diffs one kind's properties; built once per kind class."""

    def __init__(self, kind: type[Kind]):
        self.kind = kind
        self.rules = KindRules(kind)
        self.secrets = [split_pointer(p) for p in kind.secret_paths]
        self._options = deepdiff_options(self.rules)

    def diff(self, desired: Mapping[str, Any], actual: Mapping[str, Any] | None,
             ignore: Iterable[str] = ()) -> list[DiffEntry]:
        actual = actual or {}
        partition = self.rules.partition(actual, desired)
        want, have = self.rules.prepare(desired, actual, partition)
        # Most properties are in sync and then written alike: DeepDiff only for the others.
        keys = [k for k in want if not _identical(want[k], have.get(k, MISSING))]
        if not keys:
            return []
        want, have = self.rules.prepare({k: desired[k] for k in keys}, actual, partition,
                                        spell=True)
        found = DeepDiff(have, want, **self._options)
        entries = self._entries(found, desired, actual, partition)
        return [self.mask(e) for e in without_ignored(entries, ignore)]

    def mask(self, entry: DiffEntry) -> DiffEntry:
        path = split_pointer(entry.path)
        if any(under(s, path) or under(path, s) for s in self.secrets):
            return DiffEntry(entry.path, MASK if entry.old is not None else None, MASK)
        return entry

    def mask_properties(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of props with secret values replaced, fit for state and logs."""
        return {k: self._mask_value(v, (k,)) for k, v in props.items()}

    def _mask_value(self, value: Any, path: Path) -> Any:
        if any(matches(s, path) for s in self.secrets):
            return MASK
        if isinstance(value, dict):
            return {k: self._mask_value(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._mask_value(v, (*path, str(i))) for i, v in enumerate(value)]
        return value

    # --- DeepDiff's findings as entries -----------------------------------------------------

    def _entries(self, found: DeepDiff, desired: Mapping[str, Any], actual: Mapping[str, Any],
                 partition: str) -> list[DiffEntry]:
        entries: dict[str, tuple[list[int], DiffEntry]] = {}
        for report, levels in found.tree.items():
            for level in levels:
                if not counts(report, level, self.rules):
                    continue
                path = level.path(output_format="list")
                whole = self._outermost_unordered(path)
                unwrap = {} if whole != path else level.additional.get(CUSTOM_FIELD) or {}
                key = pointer(str(p) for p in whole)
                if key not in entries:
                    old = self._value_at(actual, whole, partition, unwrap.get("old"))
                    new = self._value_at(desired, whole, partition, unwrap.get("new"))
                    entries[key] = (_position(desired, whole), DiffEntry(key, old, new))
        return [entry for _, entry in sorted(entries.values(), key=lambda e: e[0])]

    def _outermost_unordered(self, path: list[Any]) -> list[Any]:
        """A change inside a list whose order carries no meaning is reported on the list."""
        for i, part in enumerate(path):
            if isinstance(part, int) and self.rules.flags(generic(path[:i])).unordered:
                return path[:i]
        return path

    def _value_at(self, root: Mapping[str, Any], path: list[Any], partition: str,
                  unwrap: int | None) -> Any:
        """The value as given (policies canonical) at a DeepDiff path; None when absent."""
        node: Any = root
        for i, part in enumerate(path):
            if isinstance(node, dict) and not isinstance(part, int):
                node = node.get(part)
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                return None
            if self.rules.flags(generic(path[: i + 1])).policy:
                node = canonical_policy(node, partition)
        for _ in range(unwrap or 0):
            node = node[0] if isinstance(node, list) and len(node) == 1 else node
        return node


def _position(root: Mapping[str, Any], path: list[Any]) -> list[int]:
    """Where a path comes in the declared properties: entries follow the template's order."""
    key: list[int] = []
    node: Any = root
    for part in path:
        if isinstance(node, dict):
            names = list(node)
            key.append(names.index(part) if part in node else len(names))
            node = node.get(part)
        else:
            key.append(part if isinstance(part, int) else 0)
            node = node[part] if isinstance(node, list) and isinstance(part, int) \
                and part < len(node) else None
    return key


def _identical(a: Any, b: Any) -> bool:
    """Same value, same types throughout (True is not 1 here). Prepared sides list a dict's
    keys in the declared order, so their reprs agree exactly when they are identical."""
    return a == b and repr(a) == repr(b)
