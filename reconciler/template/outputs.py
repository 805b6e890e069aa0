"""The ``Outputs`` section: checked at load, resolved after apply by the engine.

Each output takes ``Value`` (required), ``Description``, ``Condition`` and ``Export``
(``{Name: ...}``), as in CloudFormation. An output whose Condition is false is left out,
like a resource; its Value may then name resources that are left out too.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.errors import Issue
from reconciler.template.fragments import Declaration
from reconciler.template.import_check import static_text
from reconciler.template.intrinsic_check import IntrinsicCheck, Scope
from reconciler.template.located import child_line
from reconciler.template.model import OutputDecl

_KEYS = ("Value", "Description", "Condition", "Export")


def check_outputs(declared: Mapping[str, Declaration], scope: Scope,
                  ) -> tuple[dict[str, OutputDecl], list[Issue]]:
    outputs: dict[str, OutputDecl] = {}
    issues: list[Issue] = []
    for name, decl in declared.items():
        output, problems = _check(decl, scope)
        issues += [Issue(decl.file, line, f"output '{name}': {message}")
                   for line, message in problems]
        if output is not None:
            outputs[name] = output
    return outputs, issues


def _check(decl: Declaration, scope: Scope) -> tuple[OutputDecl | None, list[tuple[int, str]]]:
    body = decl.body
    if not isinstance(body, dict):
        return None, [(decl.line, "an output must be a mapping with a Value")]
    problems = [(child_line(body, key, decl.line), f"unknown key '{key}' (an output takes "
                 f"{', '.join(_KEYS)})") for key in body if key not in _KEYS]
    if "Value" not in body:
        problems.append((decl.line, "Value is required"))
    description = body.get("Description")
    if description is not None and not isinstance(description, str):
        problems.append((child_line(body, "Description", decl.line),
                         "Description must be a string"))
    live = True
    condition = body.get("Condition")
    if condition is not None:
        line = child_line(body, "Condition", decl.line)
        if not isinstance(condition, str):
            problems.append((line, "Condition must be a condition name"))
        elif condition not in scope.conditions:
            if not scope.incomplete:
                problems.append((line, f"unknown condition '{condition}'"))
        else:
            live = scope.conditions[condition] is not False
    export = body.get("Export")
    export_name = None
    if export is not None:
        line = child_line(body, "Export", decl.line)
        if not isinstance(export, dict) or set(export) != {"Name"}:
            problems.append((line, "Export takes exactly {Name: ...}"))
        else:
            export_name = export["Name"]
    check = IntrinsicCheck(scope)
    if "Value" in body:
        check.walk(body["Value"], child_line(body, "Value", decl.line), live)
    if export_name is not None:
        check.walk(export_name, child_line(body, "Export", decl.line), live)
    problems += check.problems
    known = static_text(scope, export_name) if live and export_name is not None else None
    if known is not None and scope.exports is not None and known in scope.exports:
        holder = getattr(scope.exports[known], "owner", None)
        by = f" (tree {holder})" if holder else ""
        problems.append((child_line(body, "Export", decl.line), f"export name '{known}' "
                         f"is already exported by another tree of this state store{by}"))
    if problems or not live:
        return None, problems
    return OutputDecl(decl.name, body["Value"], description, export_name, decl.file,
                      decl.line), []
