"""The ``Rules`` section: parameter assertions, checked at load as CloudFormation checks
them before a stack operation.

    Rules:
      ProdNeedsBigDb:
        RuleCondition: !Equals [!Ref Env, prod]
        Assertions:
          - Assert: !Contains [[db.r6g.large, db.r6g.xlarge], !Ref DbClass]
            AssertDescription: production uses a large instance class

Rule functions: ``Fn::Equals``, ``Fn::Not``, ``Fn::And``, ``Fn::Or``, ``Fn::Contains``,
``Fn::EachMemberEquals``, ``Fn::EachMemberIn``, over literals and ``Ref`` to
parameters (long or short form), and ``Fn::RefAll`` (the values of every parameter of an
AWS-specific type). ``Fn::ValueOf`` and ``Fn::ValueOfAll`` read attributes of the AWS
resources such parameters name (a subnet's VPC), which rules, checked before anything is
read from AWS, cannot: refused by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.errors import Issue
from reconciler.template.fragments import Declaration
from reconciler.template.located import child_line, line_of
from reconciler.template.parameter_types import element_type

BOOLEAN = ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Fn::Contains",
           "Fn::EachMemberEquals", "Fn::EachMemberIn")
UNSUPPORTED = ("Fn::ValueOf", "Fn::ValueOfAll")


class _RuleError(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


class _Skip(Exception):
    """A parameter this rule reads has no value (its own error is reported already)."""


def check_rules(declared: Mapping[str, Declaration], parameters: Mapping[str, Any],
                types: Mapping[str, Any] | None = None) -> list[Issue]:
    """``types``: each parameter's declared Type, for Fn::RefAll."""
    issues = []
    for name, decl in declared.items():
        try:
            issues += [Issue(decl.file, line, f"rule '{name}': {message}")
                       for line, message in _check(decl, parameters, types or {})]
        except _RuleError as error:
            issues.append(Issue(decl.file, error.line, f"rule '{name}': {error.message}"))
        except _Skip:
            continue
    return issues


def _check(decl: Declaration, parameters: Mapping[str, Any], types: Mapping[str, Any],
           ) -> list[tuple[int, str]]:
    body = decl.body
    if not isinstance(body, dict) or not isinstance(body.get("Assertions"), list):
        raise _RuleError(decl.line, "a rule takes Assertions (a list) and an optional "
                                    "RuleCondition")
    unknown = [k for k in body if k not in ("RuleCondition", "Assertions")]
    if unknown:
        raise _RuleError(child_line(body, unknown[0], decl.line),
                         f"unknown key '{unknown[0]}'")
    evaluate = _Evaluator(parameters, types)
    if "RuleCondition" in body:
        line = child_line(body, "RuleCondition", decl.line)
        if not evaluate.truth(body["RuleCondition"], line):
            return []
    failed = []
    assertions = body["Assertions"]
    for index, assertion in enumerate(assertions):
        line = child_line(assertions, index, decl.line)
        if not isinstance(assertion, dict) or "Assert" not in assertion or any(
                k not in ("Assert", "AssertDescription") for k in assertion):
            raise _RuleError(line, "an assertion takes Assert and an optional "
                                   "AssertDescription")
        if not evaluate.truth(assertion["Assert"], child_line(assertion, "Assert", line)):
            failed.append((line, str(assertion.get("AssertDescription")
                                     or "assertion failed")))
    return failed


class _Evaluator:
    def __init__(self, parameters: Mapping[str, Any], types: Mapping[str, Any]):
        self.parameters = parameters
        self.types = types

    def truth(self, expression: Any, line: int) -> bool:
        line = line_of(expression, line)
        if not isinstance(expression, dict) or len(expression) != 1:
            raise _RuleError(line, "an assertion or rule condition must be a rule function "
                                   f"({', '.join(BOOLEAN)})")
        ((function, arg),) = expression.items()
        if function in UNSUPPORTED:
            raise _RuleError(line, f"{function} reads attributes of AWS resources, which rules "
                                   "cannot read here")
        if function not in BOOLEAN:
            raise _RuleError(line, f"{function} is not a rule function (rule functions: "
                                   f"{', '.join(BOOLEAN)})")
        if function == "Fn::Not":
            return not self.truth(self._operands(function, arg, 1, line)[0], line)
        if function in ("Fn::And", "Fn::Or"):
            if not isinstance(arg, list) or not 2 <= len(arg) <= 10:
                raise _RuleError(line, f"{function} takes 2 to 10 conditions")
            results = [self.truth(operand, line) for operand in arg]
            return all(results) if function == "Fn::And" else any(results)
        left, right = (self.value(v, line) for v in self._operands(function, arg, 2, line))
        if function == "Fn::Equals":
            return left == right
        if function == "Fn::Contains":
            return right in self._list(left, function, line)
        if function == "Fn::EachMemberEquals":
            return all(item == right for item in self._list(left, function, line))
        return set(self._list(left, function, line)) <= set(self._list(right, function, line))

    def value(self, value: Any, line: int) -> Any:
        """A literal or a parameter's value, compared as text (as CloudFormation does)."""
        if isinstance(value, dict) and list(value) == ["Ref"]:
            name = value["Ref"]
            if name not in self.parameters:
                raise _RuleError(line_of(value, line), f"Ref to unknown parameter '{name}' "
                                                       "(rules can only use parameters)")
            found = self.parameters[name]
            if found is None:
                raise _Skip
            return self.value(found, line)
        if isinstance(value, dict):
            ((function, arg),) = value.items() if len(value) == 1 else (("?", None),)
            if function in BOOLEAN:
                return self.truth(value, line)
            if function == "Fn::RefAll":
                return self._ref_all(arg, line_of(value, line))
            if function in UNSUPPORTED:
                self.truth(value, line)  # raises, with the reason
            raise _RuleError(line_of(value, line), f"{function} cannot be used in Rules")
        if isinstance(value, list):
            return [self.value(item, line) for item in value]
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)

    def _ref_all(self, type_name: Any, line: int) -> list[Any]:
        """Every value of the parameters of one AWS-specific type, in declaration order."""
        if not isinstance(type_name, str) or element_type(type_name) is None:
            raise _RuleError(line, "Fn::RefAll takes an AWS-specific parameter type "
                                   f"(AWS::EC2::VPC::Id, ...), not {type_name!r}")
        values = []
        for name, declared_type in self.types.items():
            if declared_type == type_name:
                values.append(self.value({"Ref": name}, line))
        return values

    @staticmethod
    def _operands(function: str, arg: Any, count: int, line: int) -> list[Any]:
        if not isinstance(arg, list) or len(arg) != count:
            raise _RuleError(line, f"{function} takes {count} argument"
                                   f"{'s' if count > 1 else ''}")
        return arg

    @staticmethod
    def _list(value: Any, function: str, line: int) -> list[Any]:
        if not isinstance(value, list):
            raise _RuleError(line, f"{function} needs a list where it got {value!r}")
        return value
