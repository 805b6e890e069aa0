"""Evaluate the Conditions section once, at load time."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from reconciler.errors import Issue, ReconcilerError
from reconciler.template.fragments import Declaration
from reconciler.template.graph import describe_cycle, find_cycles
from reconciler.template.intrinsic_check import IntrinsicCheck, Scope
from reconciler.template.intrinsics import IntrinsicError, Resolver
from reconciler.template.model import ResourceLookup


class _NoResources(ResourceLookup):
    # The check refuses resource references in conditions, so this is never reached.
    def ref(self, logical_id: str) -> Any:
        raise IntrinsicError(f"conditions cannot reference resource '{logical_id}'")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        return self.ref(logical_id)


def evaluate_conditions(declared: Mapping[str, Declaration], parameters: Mapping[str, Any],
                        pseudo: Mapping[str, Any], resources: Collection[str] = (),
                        incomplete: bool = False,
                        mappings: Mapping[str, Any] | None = None,
                        ) -> tuple[dict[str, bool], list[Issue]]:
    """Every condition's value. Conditions with problems (and those using them) get no value.

    ``resources`` are the declared logical IDs, only to tell "not allowed" from "unknown";
    ``mappings`` the checked Mappings (None for a map with problems), for Fn::FindInMap.
    """
    mappings = mappings or {}
    scope = Scope(parameters=parameters, resources=dict.fromkeys(resources, ""),
                  conditions=dict.fromkeys(declared), mappings=mappings,
                  incomplete=incomplete)
    issues: list[Issue] = []
    uses: dict[str, set[str]] = {}
    broken: set[str] = set()
    for name, decl in declared.items():
        check = IntrinsicCheck(scope, in_condition=True)
        check.walk_condition(decl.body, decl.line)
        uses[name] = check.condition_refs
        issues += [Issue(decl.file, line, f"condition '{name}': {message}")
                   for line, message in check.problems]
        if check.problems:
            broken.add(name)
    for cycle in find_cycles(uses):
        first = declared[cycle[0]]
        issues.append(Issue(first.file, first.line, f"condition cycle: {describe_cycle(cycle)}"))
        broken.update(cycle)

    tables = {name: table for name, table in mappings.items() if table is not None}
    resolver = Resolver(parameters, {}, _NoResources(), pseudo, tables)
    evaluator = _Evaluator(declared, uses, broken, resolver)
    values: dict[str, bool] = {}
    for name in declared:
        try:
            value = evaluator.condition(name)
        except (IntrinsicError, ReconcilerError) as error:
            decl = declared[name]
            issues.append(Issue(decl.file, decl.line, f"condition '{name}': {error}"))
            evaluator.failed.add(name)
            continue
        if value is not None:
            values[name] = value
    return values, issues


class _Evaluator:
    def __init__(self, declared: Mapping[str, Declaration], uses: Mapping[str, set[str]],
                 broken: set[str], resolver: Resolver):
        self.declared = declared
        self.uses = uses
        self.broken = broken
        self.resolver = resolver
        self.values: dict[str, bool] = {}
        self.failed: set[str] = set()

    def condition(self, name: str) -> bool | None:
        """The value, or None when this condition or one it uses is broken."""
        if name in self.values:
            return self.values[name]
        if name in self.broken or name in self.failed:
            return None
        if any(self.condition(used) is None for used in self.uses[name]):
            self.failed.add(name)
            return None
        value = self.truth(self.declared[name].body)
        self.values[name] = value
        return value

    def truth(self, expression: Mapping[str, Any]) -> bool:
        ((function, arg),) = expression.items()
        if function == "Condition":
            return bool(self.condition(arg))
        if function == "Fn::Equals":
            left, right = (_comparable(self.resolver.value(operand)) for operand in arg)
            return left == right
        if function == "Fn::Not":
            return not self.truth(arg[0])
        results = [self.truth(operand) for operand in arg]
        return all(results) if function == "Fn::And" else any(results)


def _comparable(value: Any) -> Any:
    # CloudFormation compares the string forms: `5` equals "5", `true` equals "true".
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return tuple(_comparable(item) for item in value)
    return value
