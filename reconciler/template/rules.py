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
parameters (long or short form), ``Fn::RefAll`` (the values of every parameter of an
AWS-specific type), and ``Fn::ValueOf`` / ``Fn::ValueOfAll``: an attribute of the AWS
resource such a parameter names (a subnet's VpcId, a VPC's tag). Those two read AWS (one
Describe call per resource, ``attributes``): a tree whose rules use them is checked
against the account at validate as at plan, as CloudFormation checks before a stack
operation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.errors import Issue
from reconciler.template.fragments import Declaration
from reconciler.template.located import child_line, line_of
from reconciler.template.parameter_types import element_type, rule_attribute_problem

BOOLEAN = ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Fn::Contains",
           "Fn::EachMemberEquals", "Fn::EachMemberIn")
# (parameter type, resource ID, attribute) -> the attribute's value (None: no such tag).
Attributes = Callable[[str, str, str], Any]


class _RuleError(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


class _Skip(Exception):
    """A parameter this rule reads has no value (its own error is reported already)."""


def check_rules(declared: Mapping[str, Declaration], parameters: Mapping[str, Any],
                types: Mapping[str, Any] | None = None,
                attributes: Attributes | None = None) -> list[Issue]:
    """``types``: each parameter's declared Type, for Fn::RefAll and Fn::ValueOf;
    ``attributes``: what reads AWS for Fn::ValueOf (None: not available here)."""
    issues = []
    for name, decl in declared.items():
        try:
            issues += [Issue(decl.file, line, f"rule '{name}': {message}")
                       for line, message in _check(decl, parameters, types or {},
                                                   attributes)]
        except _RuleError as error:
            issues.append(Issue(decl.file, error.line, f"rule '{name}': {error.message}"))
        except _Skip:
            continue
    return issues


def _check(decl: Declaration, parameters: Mapping[str, Any], types: Mapping[str, Any],
           attributes: Attributes | None) -> list[tuple[int, str]]:
    body = decl.body
    if not isinstance(body, dict) or not isinstance(body.get("Assertions"), list):
        raise _RuleError(decl.line, "a rule takes Assertions (a list) and an optional "
                                    "RuleCondition")
    unknown = [k for k in body if k not in ("RuleCondition", "Assertions")]
    if unknown:
        raise _RuleError(child_line(body, unknown[0], decl.line),
                         f"unknown key '{unknown[0]}'")
    evaluate = _Evaluator(parameters, types, attributes)
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
    def __init__(self, parameters: Mapping[str, Any], types: Mapping[str, Any],
                 attributes: Attributes | None):
        self.parameters = parameters
        self.types = types
        self.attributes = attributes

    def truth(self, expression: Any, line: int) -> bool:
        line = line_of(expression, line)
        if not isinstance(expression, dict) or len(expression) != 1:
            raise _RuleError(line, "an assertion or rule condition must be a rule function "
                                   f"({', '.join(BOOLEAN)})")
        ((function, arg),) = expression.items()
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
            if function == "Fn::ValueOf":
                return self._value_of(arg, line_of(value, line))
            if function == "Fn::ValueOfAll":
                return self._value_of_all(arg, line_of(value, line))
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

    def _value_of(self, arg: Any, line: int) -> Any:
        """The attribute of the resource a parameter names; for a List type, of each."""
        name, attribute = self._operands("Fn::ValueOf", arg, 2, line)
        if not isinstance(name, str) or name not in self.parameters:
            raise _RuleError(line, f"Fn::ValueOf names parameter {name!r}, which is not "
                                   "declared")
        type_name = str(self.types.get(name))
        value = self.value({"Ref": name}, line)
        read = self._reader(type_name, attribute, line)
        if isinstance(value, list):
            return [read(item) for item in value]
        return read(value)

    def _value_of_all(self, arg: Any, line: int) -> list[Any]:
        """The attribute of every resource named by the parameters of one type."""
        type_name, attribute = self._operands("Fn::ValueOfAll", arg, 2, line)
        read = self._reader(str(type_name), attribute, line)
        found = []
        for name, declared_type in self.types.items():
            if declared_type == type_name:
                value = self.value({"Ref": name}, line)
                found += [read(item) for item in (value if isinstance(value, list)
                                                  else [value])]
        return found

    def _reader(self, type_name: str, attribute: Any, line: int) -> Callable[[Any], Any]:
        problem = rule_attribute_problem(type_name, str(attribute))
        if problem is not None or not isinstance(attribute, str):
            raise _RuleError(line, problem or f"an attribute name, not {attribute!r}")
        if self.attributes is None:  # a command that reads nothing from AWS
            raise _Skip
        element = element_type(type_name) or type_name
        reader = self.attributes

        def read(resource_id: Any) -> Any:
            try:
                return reader(element, str(resource_id), attribute)
            except LookupError as exc:  # the resource does not exist
                raise _RuleError(line, str(exc)) from exc
        return read

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
