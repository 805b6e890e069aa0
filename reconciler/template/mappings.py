"""The Mappings section: two-level lookup tables that Fn::FindInMap reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.errors import Issue
from reconciler.template.fragments import Declaration
from reconciler.template.intrinsics import function_name
from reconciler.template.located import child_line

# name -> top-level key -> second-level key -> value (plain values, no line-carrying containers)
Table = dict[str, dict[str, Any]]

_SHAPE = "a mapping of top-level keys, each a mapping of second-level keys to values"


def check_mappings(declared: Mapping[str, Declaration],
                   ) -> tuple[dict[str, Table | None], list[Issue]]:
    """Every declared map as plain data; None for a map with problems (its name stays known,
    so Fn::FindInMap on it is not reported a second time as unknown)."""
    tables: dict[str, Table | None] = {}
    issues: list[Issue] = []
    for name, decl in declared.items():
        table, problems = _table(decl)
        tables[name] = None if problems else table
        issues += problems
    return tables, issues


def _table(decl: Declaration) -> tuple[Table, list[Issue]]:
    where = f"mapping '{decl.name}'"
    body = decl.body
    if not isinstance(body, dict) or function_name(body) is not None or not body:
        return {}, [Issue(decl.file, decl.line, f"{where} must be {_SHAPE}")]
    table: Table = {}
    issues = []
    for top, entries in body.items():
        line = child_line(body, top, decl.line)
        if not isinstance(entries, dict) or function_name(entries) is not None or not entries:
            issues.append(Issue(decl.file, line, f"{where} key '{top}' must be a mapping of "
                                                 "second-level keys to values"))
            continue
        table[top] = {}
        for second, value in entries.items():
            if not _is_value(value):
                issues.append(Issue(decl.file, child_line(entries, second, line),
                                    f"{where} value {top}.{second} must be a string, a number "
                                    "or a list of them (mappings take no intrinsic functions)"))
                continue
            table[top][second] = list(value) if isinstance(value, list) else value
    return table, issues


def _is_value(value: Any) -> bool:
    if isinstance(value, list):
        return all(_is_scalar(item) for item in value)
    return _is_scalar(value)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float)  # bool is an int: `true` reads as "true"
