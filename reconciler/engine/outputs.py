"""Resolve a template's Outputs from what a run observed or created.

After apply every value is known unless its resource failed; in a plan, values of
resources still to be created are unknown (``None``, with what they wait for). NoEcho
values are masked as everywhere else.
"""

from __future__ import annotations

from typing import Any

from reconciler.engine.context import contains_unknown
from reconciler.engine.model import mask_strings
from reconciler.engine.plan import Planner
from reconciler.engine.planned import describe_error
from reconciler.template.model import Unknown


def resolve_outputs(planner: Planner) -> dict[str, dict[str, Any]]:
    resolved: dict[str, dict[str, Any]] = {}
    for name, decl in planner.template.outputs.items():
        entry: dict[str, Any] = {"value": None}
        if decl.description is not None:
            entry["description"] = decl.description
        for key, raw in (("value", decl.value), ("export", decl.export_name)):
            if raw is None:
                continue
            try:
                value = planner.resolve(raw, planner.template, planner.lookup, planner.pseudo)
            except Exception as error:  # a value that cannot be had names why, alone
                entry[key], entry["error"] = None, describe_error(error)
                continue
            if contains_unknown(value):
                entry[key], entry["unknown"] = None, _unknown_source(value)
            else:
                entry[key] = mask_strings(value, planner.secrets)
        resolved[name] = entry
    return resolved


def merged_with(previous: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]],
                ) -> dict[str, dict[str, Any]]:
    """Outputs after a run that saw only part of the tree: a value this run could not
    know keeps the one recorded before; outputs no longer declared go."""
    merged = {}
    for name, entry in current.items():
        before = previous.get(name) or {}
        if entry.get("value") is None and "error" not in entry and \
                before.get("value") is not None:
            entry = {**entry, "value": before["value"]}
            entry.pop("unknown", None)
        merged[name] = entry
    return merged


def _unknown_source(value: Any) -> str:
    if isinstance(value, Unknown):
        return f"known after apply: {value.source}"
    children = value.values() if isinstance(value, dict) else value
    for child in children if isinstance(value, dict | list) else ():
        if contains_unknown(child):
            return _unknown_source(child)
    return "known after apply"
