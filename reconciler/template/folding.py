"""Fold the Fn::If choices a loaded template has already made.

Conditions take their values at load (parameters and pseudo parameters are known then),
so every ``Fn::If`` over a known condition — a resource's whole ``Properties``, a
property, an item of a list — can be replaced by the branch it picks, and
``!Ref AWS::NoValue`` dropped from its mapping or list, before schema and kind checks
look at the properties: they then see what the run will send, not the intrinsic.
Source lines are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.template.intrinsics import NO_VALUE, function_name
from reconciler.template.located import LineDict, LineList

_DROPPED = object()


def fold_conditions(value: Any, conditions: Mapping[str, bool]) -> Any:
    """``value`` with known Fn::If choices made; None when it all folds to AWS::NoValue."""
    folded = _fold(value, conditions)
    return None if folded is _DROPPED else folded


def _fold(value: Any, conditions: Mapping[str, bool]) -> Any:
    name = function_name(value)
    if name == "Fn::If":
        arg = value[name]
        if isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str) \
                and isinstance(conditions.get(arg[0]), bool):
            return _fold(arg[1] if conditions[arg[0]] else arg[2], conditions)
        return value  # malformed or unknown: the intrinsic check reports it
    if name == "Ref" and value[name] == NO_VALUE:
        return _DROPPED
    if isinstance(value, dict):
        kept = [(k, f) for k, v in value.items() if (f := _fold(v, conditions)) is not _DROPPED]
        if isinstance(value, LineDict):
            return LineDict(kept, value.line, {k: value.line_of(k) for k, _ in kept})
        return dict(kept)
    if isinstance(value, list):
        kept_items = [(i, f) for i, v in enumerate(value)
                      if (f := _fold(v, conditions)) is not _DROPPED]
        if isinstance(value, LineList):
            return LineList((f for _, f in kept_items), value.line,
                            [value.line_of(i) for i, _ in kept_items])
        return [f for _, f in kept_items]
    return value
