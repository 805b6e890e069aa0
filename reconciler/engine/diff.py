"""Compare desired properties with what AWS has, after normalization.

Drift is judged on declared properties only (keys AWS adds are server defaults),
except under a kind's ``exact_paths``. Equal-but-differently-written values
never count: number types, "true" versus true, a single value versus a
one-element list, policy JSON formatting and order, ARN versus ID, and order in
lists the CloudFormation schema marks ``insertionOrder: false``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from reconciler.aws.normalize import canonical_policy, policy_partition, same_identifier
from reconciler.engine.model import MASK, DiffEntry
from reconciler.kinds.base import Kind, load_schema
from reconciler.template.model import Unknown

Path = tuple[str, ...]


def pointer(path: Iterable[str]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path)


def split_pointer(text: str) -> Path:
    if not text or text == "/":
        return ()
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in text.lstrip("/").split("/"))


def is_ignored(path: str, ignore: Iterable[str]) -> bool:
    """True when ``path`` lies at or under one of the ``IgnoreDrift`` pointers."""
    parts = split_pointer(path)
    return any(under(split_pointer(i), parts) for i in ignore)


def without_ignored(entries: Iterable[DiffEntry], ignore: Iterable[str]) -> list[DiffEntry]:
    ignore = tuple(ignore)
    return [e for e in entries if not is_ignored(e.path, ignore)]


def matches(pattern: Path, path: Path) -> bool:
    """``pattern`` equals ``path`` with ``*`` standing for any one segment."""
    return len(pattern) == len(path) and all(p in ("*", s) for p, s in zip(pattern, path,
                                                                               strict=True))


def under(prefix: Path, path: Path) -> bool:
    return len(path) >= len(prefix) and matches(prefix, path[: len(prefix)])


class PropertyDiff:
    """Diffs one kind's properties; built once per kind class."""

    def __init__(self, kind: type[Kind]):
        self.kind = kind
        self.unobservable = [split_pointer(p) for p in kind.unobservable]
        self.exact = [split_pointer(p) for p in kind.exact_paths]
        self.policies = [split_pointer(p) for p in kind.policy_paths]
        self.identifiers = [split_pointer(p) for p in kind.identifier_paths]
        self.secrets = [split_pointer(p) for p in kind.secret_paths]

    def diff(self, desired: Mapping[str, Any], actual: Mapping[str, Any] | None,
             ignore: Iterable[str] = ()) -> list[DiffEntry]:
        actual = actual or {}
        entries: list[DiffEntry] = []
        for key in desired:
            if key == "Tags":
                continue
            entries.extend(self._diff(desired[key], actual.get(key), (key,), exact=False))
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

    # --- the walk ---------------------------------------------------------------------------

    def _diff(self, desired: Any, actual: Any, path: Path, exact: bool) -> list[DiffEntry]:
        if any(under(u, path) for u in self.unobservable):
            return []
        if isinstance(desired, Unknown):
            return [DiffEntry(pointer(path), actual, desired)]
        if any(matches(p, path) for p in self.policies):
            partition = policy_partition(actual) or policy_partition(desired) or "aws"
            desired = canonical_policy(desired, partition)
            actual = canonical_policy(actual, partition)
            exact = True
        if any(matches(i, path) for i in self.identifiers) and same_identifier(desired, actual):
            return []
        exact = exact or any(matches(e, path) for e in self.exact)
        if isinstance(desired, dict):
            return self._diff_dict(desired, actual, path, exact)
        if isinstance(desired, list):
            return self._diff_list(desired, actual, path, exact)
        if isinstance(actual, list) and len(actual) == 1 and not isinstance(actual[0], dict | list):
            actual = actual[0]  # a single value written for a one-element list
        return [] if same_scalar(desired, actual) else [DiffEntry(pointer(path), actual, desired)]

    def _diff_dict(self, desired: dict[str, Any], actual: Any, path: Path,
                   exact: bool) -> list[DiffEntry]:
        if not isinstance(actual, dict):
            return [DiffEntry(pointer(path), actual, desired)]
        entries: list[DiffEntry] = []
        for key, value in desired.items():
            entries.extend(self._diff(value, actual.get(key), (*path, key), exact))
        if exact:
            for key, value in actual.items():
                if key not in desired and value not in (None, [], {}):
                    entries.append(DiffEntry(pointer((*path, key)), value, None))
        return entries

    def _diff_list(self, desired: list[Any], actual: Any, path: Path,
                   exact: bool) -> list[DiffEntry]:
        whole = [DiffEntry(pointer(path), actual, desired)]
        if not isinstance(actual, list):
            if len(desired) == 1 and actual is not None and not isinstance(actual, dict):
                return self._diff(desired[0], actual, path, exact)
            return whole
        if len(desired) != len(actual):
            return whole
        if self._unordered(path):
            remaining = list(actual)
            for item in desired:
                match = next((a for a in remaining
                              if not self._diff(item, a, (*path, "*"), exact)), None)
                if match is None:
                    return whole
                remaining.remove(match)
            return []
        entries: list[DiffEntry] = []
        for index, (want, have) in enumerate(zip(desired, actual, strict=True)):
            entries.extend(self._diff(want, have, (*path, str(index)), exact))
        return entries

    def _unordered(self, path: Path) -> bool:
        if any(matches(p, path[: len(p)]) for p in self.policies):
            return True  # statement and action lists in policies carry no meaning in order
        return _schema_unordered(self.kind.schema_file, _generic(path))


def _generic(path: Path) -> Path:
    return tuple("*" if p.isdigit() else p for p in path)


@lru_cache(maxsize=4096)
def _schema_unordered(schema_file: str, path: Path) -> bool:
    schema = load_schema(schema_file)
    node: Any = {"type": "object", "properties": schema.get("properties", {})}
    for part in path:
        node = _deref(schema, node)
        if part == "*":
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(part, {})
    node = _deref(schema, node)
    return node.get("type") == "array" and node.get("insertionOrder") is False


def _deref(schema: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return {}
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target.get(part, {})
        node = target
    return node if isinstance(node, dict) else {}


def same_scalar(a: Any, b: Any) -> bool:
    """Equality as CloudFormation means it: 5 == 5.0 == "5", True == "true"."""
    if a == b and type(a) is type(b):
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return _as_bool(a) is not None and _as_bool(a) == _as_bool(b)
    na, nb = _as_number(a), _as_number(b)
    if na is not None and nb is not None:
        return na == nb
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True,
                                                                        default=str)
    return a == b


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _as_number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None
