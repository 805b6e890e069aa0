"""``Fn::ImportValue`` where it is written: its name may use parameters, never resources (as
in CloudFormation: an import is known before anything of this tree exists), and a name
known at load must be exported by another tree of the state store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.template.intrinsics import as_text, function_name, sub_parts

if TYPE_CHECKING:
    from reconciler.template.intrinsic_check import IntrinsicCheck, Scope


def import_value_problems(inner: IntrinsicCheck, arg: Any, line: int, live: bool,
                          ) -> list[tuple[int, str]]:
    """``inner``: a fresh check of the same scope, to see what the name depends on."""
    inner.walk(arg, line, live)
    problems = list(inner.problems)
    if inner.dependencies:
        return problems + [(line, "Fn::ImportValue cannot depend on resources "
                                  f"({', '.join(sorted(inner.dependencies))})")]
    if isinstance(arg, dict | list) and function_name(arg) is None:
        return problems + [(line, "Fn::ImportValue takes an export name")]
    exports = inner.scope.exports
    name = static_text(inner.scope, arg) if live else None
    if name is not None and exports is not None and name not in exports:
        known = ", ".join(sorted(exports)) or "none"
        problems.append((line, f"Fn::ImportValue: no other tree of this state store exports "
                               f"'{name}' (exports: {known})"))
    return problems


def static_text(scope: Scope, arg: Any) -> str | None:
    """A name known before anything runs: literal, or made of parameters only."""
    if isinstance(arg, str | int | float) and not isinstance(arg, bool):
        return as_text(arg, "Fn::ImportValue")
    if function_name(arg) == "Ref" and isinstance(arg["Ref"], str):
        value = scope.parameters.get(arg["Ref"])
        return value if isinstance(value, str) else None
    if function_name(arg) == "Fn::Sub" and isinstance(arg["Fn::Sub"], str):
        parts = sub_parts(arg["Fn::Sub"])
        values = [text if not variable else scope.parameters.get(text)
                  for variable, text in parts]
        return "".join(values) if all(isinstance(v, str) for v in values) else None
    return None


def imported_names(scope: Scope, value: Any) -> set[str]:
    """The export names ``value`` imports where they are known at load (conditions folded,
    so both branches of an Fn::If left are counted: an import that may be in use is)."""
    found: set[str] = set()
    pending = [value]
    while pending:
        node = pending.pop()
        if function_name(node) == "Fn::ImportValue":
            name = static_text(scope, node["Fn::ImportValue"])
            if name is not None:
                found.add(name)
        elif isinstance(node, dict):
            pending += node.values()
        elif isinstance(node, list):
            pending += node
    return found
