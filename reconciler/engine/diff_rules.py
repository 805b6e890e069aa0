"""What counts as equal in a property diff: one kind's rules, before and inside DeepDiff.

Before DeepDiff (``KindRules.prepare``) both sides are put in comparable form: policy
documents canonical, unobservable paths dropped, the AWS side cut down to the declared keys
(all keys stay under exact paths), and numbers inside unordered lists in one spelling, since
DeepDiff matches unordered items by hash. Inside DeepDiff (``deepdiff_options``), ``Rules``
is the custom operator for what no one spelling settles (number/string/bool tolerance, ARN
versus ID, a single value versus a one-element list, Unknown, a list of another length
reported whole); ``ignore_order_func`` scopes ignore_order to lists the schema marks
``insertionOrder: false`` and lists inside policies; ``iterable_compare_func`` pairs the
unordered items that may be equal though they hash apart; ``counts`` says which findings
are drift (a key only AWS has is a server default unless the path is exact).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from deepdiff import DeepDiff
from deepdiff.helper import CannotCompare
from deepdiff.operator import BaseOperatorPlus

from reconciler.aws.normalize import canonical_policy, policy_partition, same_identifier
from reconciler.engine.json_pointer import Path, matches, split_pointer, under
from reconciler.kinds.base import Kind
from reconciler.template.model import Unknown


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()  # absent on the AWS side; None is a value AWS can return
EMPTY = (None, [], {})  # an extra AWS key holding one of these is no drift, even where exact
_NUMBER = "\x00number:"


@dataclass(frozen=True)
class _Call:
    partition: str
    spell: bool


@dataclass(frozen=True)
class Flags:
    unobservable: bool  # at or under an unobservable pointer: never diffed
    policy: bool  # the root of a policy document
    exact: bool  # at or under an exact path or a policy: extra AWS keys are drift
    identifier: bool  # a resource reference, ARN or ID
    unordered: bool  # a list whose order carries no meaning
    any_case: bool = False  # enumCaseInsensitive, or the kind's: "VPC" is AWS's "vpc"


def generic(path: Any) -> Path:
    """A DeepDiff path (list indices as ints) as a pattern path, indices as ``*``."""
    return tuple("*" if isinstance(p, int) else p for p in path)


class KindRules:
    """One kind's path rules, each path's answers cached: built once per kind."""

    def __init__(self, kind: type[Kind]):
        self.facts = kind.type_schema()
        self.unobservable = [split_pointer(p) for p in kind.unobservable]
        self.exact = [split_pointer(p) for p in kind.exact_paths]
        self.policies = [split_pointer(p) for p in kind.policy_paths]
        self.identifiers = [split_pointer(p) for p in kind.identifier_paths]
        self.any_case = [split_pointer(p) for p in kind.any_case_paths]
        self._flags: dict[Path, Flags] = {}

    def flags(self, path: Path) -> Flags:
        found = self._flags.get(path)
        if found is None:
            in_policy = any(under(p, path) for p in self.policies)
            found = self._flags[path] = Flags(
                unobservable=any(under(u, path) for u in self.unobservable),
                policy=any(matches(p, path) for p in self.policies),
                exact=in_policy or any(under(e, path) for e in self.exact),
                identifier=any(matches(i, path) for i in self.identifiers),
                unordered=in_policy or self.facts.unordered(path),
                any_case="enumCaseInsensitive" in self.facts.node(path)
                or any(matches(a, path) for a in self.any_case),
            )
        return found

    def unordered_level(self, level: Any) -> bool:
        return self.flags(generic(level.path(output_format="list"))).unordered

    def partition(self, *sides: Mapping[str, Any]) -> str:
        """The partition the policies' ARNs name, AWS's side first; ``aws`` when none do."""
        for side in sides:
            for pattern in self.policies:
                for document in _values_at(side, pattern):
                    found = policy_partition(document)
                    if found:
                        return found
        return "aws"

    def prepare(self, desired: Mapping[str, Any], actual: Mapping[str, Any], partition: str,
                spell: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
        """Both sides in comparable form: declared top-level keys only, ``Tags`` apart.
        ``spell``: numbers in unordered lists spelled alike, for DeepDiff's hashes."""
        want, have = {}, {}
        call = _Call(partition, spell)
        for key, value in desired.items():
            if key == "Tags" or self.flags((key,)).unobservable:
                continue
            want[key], found = self._prepare(value, actual.get(key, MISSING), (key,), False,
                                             call)
            if found is not MISSING:
                have[key] = found
        return want, have

    def _prepare(self, desired: Any, actual: Any, path: Path, loose: bool,
                 call: _Call) -> tuple[Any, Any]:
        flags = self.flags(path)
        if flags.policy:
            desired = canonical_policy(desired, call.partition)
            actual = actual if actual is MISSING else canonical_policy(actual, call.partition)
        if isinstance(desired, dict):
            return self._prepare_dict(desired, actual, path, loose, call, flags)
        if isinstance(desired, list):
            return self._prepare_list(desired, actual, path, loose, call, flags)
        if flags.any_case and isinstance(desired, str) and isinstance(actual, str) \
                and desired.lower() == actual.lower():
            actual = desired
        if not loose or flags.identifier:
            return desired, actual
        return _spelled(desired), self._as_is(actual, path, loose)

    def _prepare_dict(self, desired: dict[str, Any], actual: Any, path: Path, loose: bool,
                      call: _Call, flags: Flags) -> tuple[Any, Any]:
        have = actual if isinstance(actual, dict) else None
        want_out: dict[str, Any] = {}
        have_out: dict[str, Any] = {}
        for key, value in desired.items():
            child = (*path, key)
            if self.flags(child).unobservable:
                continue
            found = MISSING if have is None else have.get(key, MISSING)
            want_out[key], found = self._prepare(value, found, child, loose, call)
            if found is not MISSING:
                have_out[key] = found
        if have is None:
            return want_out, self._as_is(actual, path, loose)
        if flags.exact:
            for key, value in have.items():
                if (key not in desired and value not in EMPTY
                        and not self.flags((*path, key)).unobservable):
                    have_out[key] = self._as_is(value, (*path, key), loose)
        return want_out, have_out

    def _prepare_list(self, desired: list[Any], actual: Any, path: Path, loose: bool,
                      call: _Call, flags: Flags) -> tuple[Any, Any]:
        item = (*path, "*")
        loose = loose or flags.unordered and call.spell
        if not isinstance(actual, list) or len(actual) != len(desired):
            return ([self._prepare(d, MISSING, item, loose, call)[0] for d in desired],
                    self._as_is(actual, path, loose))
        if flags.unordered:  # items pair by hash: cut each one to the union of declared keys
            shape = _merged(desired)
            want = [self._prepare(d, MISSING, item, loose, call)[0] for d in desired]
            if shape is None:
                return want, [self._prepare(d, a, item, loose, call)[1]
                              for d, a in zip(desired, actual, strict=True)]
            return want, [self._prepare(shape, a, item, loose, call)[1] for a in actual]
        pairs = [self._prepare(d, a, item, loose, call) for d, a in zip(desired, actual,
                                                                              strict=True)]
        return [d for d, _ in pairs], [a for _, a in pairs]

    def _as_is(self, actual: Any, path: Path, loose: bool) -> Any:
        """An AWS value no declared shape describes, spelled as ``_prepare`` spells."""
        if not loose:
            return actual
        if isinstance(actual, dict):
            return {k: self._as_is(v, (*path, k), loose) for k, v in actual.items()}
        if isinstance(actual, list):
            return [self._as_is(v, (*path, "*"), loose) for v in actual]
        return actual if self.flags(path).identifier else _spelled(actual)


class Rules(BaseOperatorPlus):
    """DeepDiff's custom operator for one kind; t1 is the AWS side, t2 the declared one.

    Returns True once it has decided a level (equal, or reported), False to let DeepDiff
    walk into two dicts or two lists of one length."""

    def __init__(self, rules: KindRules, lenient: bool = False):
        self.rules, self.lenient = rules, lenient

    def match(self, level: Any) -> bool:
        return True

    def normalize_value_for_hashing(self, parent: Any, obj: Any) -> Any:
        return obj  # prepare spelled values alike; DeepDiff looks hashes up by the original

    def give_up_diffing(self, level: Any, diff_instance: Any) -> bool:
        actual, desired = level.t1, level.t2
        # Nested DeepDiffs (pairing unordered items) are rooted at an item: no path there.
        if self.lenient or not diff_instance.is_root:
            identifier = self.lenient and isinstance(actual, str)
        else:
            path = generic(level.path(output_format="list"))
            identifier = self.rules.flags(path).identifier and isinstance(actual, str)

        def report(**unwrap: int) -> bool:
            """Report the level changed; ``old``/``new``: that side's value is meant with so
            many one-element lists around it taken off."""
            diff_instance.custom_report_result("values_changed", level, unwrap)
            return True

        if isinstance(desired, Unknown):
            return report()
        if identifier and isinstance(desired, str) and same_identifier(desired, actual):
            return True
        if isinstance(desired, list):
            if isinstance(actual, list):
                return len(desired) != len(actual) and report()
            if len(desired) == 1 and actual is not None and not isinstance(actual, dict):
                inner, depth = desired, 0  # a single value written for a one-element list
                while isinstance(inner, list) and len(inner) == 1:
                    inner, depth = inner[0], depth + 1
                return (not isinstance(inner, dict | list | Unknown)
                        and (same_scalar(inner, actual) or identifier
                             and isinstance(inner, str) and same_identifier(inner, actual))
                        ) or report(new=depth)
            return report()
        if isinstance(desired, dict):
            return not isinstance(actual, dict) and report()
        if isinstance(actual, list) and len(actual) == 1 and not isinstance(actual[0],
                                                                              dict | list):
            return same_scalar(desired, actual[0]) or report(old=1)
        return same_scalar(desired, actual) or report()


def deepdiff_options(rules: KindRules) -> dict[str, Any]:
    """DeepDiff's settings for one kind (t1 AWS, t2 declared): its rules as DeepDiff's hooks."""

    def same_item(*items: Any) -> bool:
        """Items of an unordered list pair only when a lenient diff of the two finds nothing:
        DeepDiff's own distance would pair a null with anything. (Ordered lists pass their
        level too: those compare index by index.)"""
        if len(items) != 2:
            raise CannotCompare()
        desired, actual = items
        found = DeepDiff(actual, desired, **lenient)
        return not any(counts(report, level, rules, lenient=True)
                       for report, levels in found.tree.items() for level in levels)

    common: dict[str, Any] = {
        "view": "tree",
        "report_repetition": True,  # [a, a, b] against [a, b, b] is drift
        "threshold_to_diff_deeper": 0,  # a dict with many server defaults is still walked
        "iterable_compare_func": same_item,
        "cutoff_distance_for_pairs": 1.0,  # every pair same_item allows is considered
        "cutoff_intersection_for_pairs": 1.0,
    }
    # Never stricter than the rules at any path: every list unordered, any two strings
    # compared as ARN or ID, keys only AWS has ignored.
    lenient = {**common, "custom_operators": [Rules(rules, lenient=True)], "ignore_order": True}
    return {**common, "custom_operators": [Rules(rules)],
            "ignore_order_func": rules.unordered_level,
            "zip_ordered_iterables": True}  # ordered lists compare index by index


def counts(report: str, level: Any, rules: KindRules, lenient: bool = False) -> bool:
    """Whether a DeepDiff finding is drift: a key only AWS has is a server default unless the
    path is exact (and the value not empty); a key declared null may be absent."""
    if report == "dictionary_item_removed":
        return (not lenient and level.t1 not in EMPTY
                and rules.flags(generic(level.path(output_format="list")[:-1])).exact)
    if report == "dictionary_item_added":
        return level.t2 is not None
    return True


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


def _spelled(value: Any) -> Any:
    """One spelling per number (5, 5.0, "5"), so equal unordered items hash alike."""
    number = _as_number(value) if isinstance(value, int | float | str) else None
    if number is None or number.is_nan():
        return value
    return _NUMBER + str(number.normalize())


def _merged(items: list[Any]) -> dict[str, Any] | None:
    """One declared shape for an unordered list's dict items: their keys merged."""
    out: dict[str, Any] | None = None
    for item in items:
        if isinstance(item, dict):
            out = out or {}
            for key, value in item.items():
                merged = _merged([out[key], value]) if key in out else None
                out[key] = value if merged is None else merged
    return out


def _values_at(value: Any, pattern: Path) -> Iterator[Any]:
    if not pattern:
        yield value
    elif isinstance(value, dict):
        keys = value if pattern[0] == "*" else [pattern[0]] if pattern[0] in value else []
        for key in keys:
            yield from _values_at(value[key], pattern[1:])
    elif isinstance(value, list) and pattern[0] == "*":
        for item in value:
            yield from _values_at(item, pattern[1:])
