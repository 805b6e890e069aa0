"""Template parameters: declarations, overrides from ``--parameter``, typed values."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.errors import Issue
from reconciler.template.fragments import Declaration
from reconciler.template.parameter_types import (
    AWS_SPECIFIC,
    SSM_NAME,
    element_type,
    form_problem,
    refusal,
    ssm_value_type,
)

TYPES = ("String", "Number", "CommaDelimitedList", "List<Number>")
KEYS = frozenset({
    "Type", "Default", "AllowedValues", "AllowedPattern", "ConstraintDescription", "Description",
    "MinLength", "MaxLength", "MinValue", "MaxValue", "NoEcho",
})
# Issues about --parameter values have no template file to point at.
COMMAND_LINE = "--parameter"
# A Parameter Store parameter's name -> its value (aws.ssm_parameter_values); raises
# LookupError when there is none, ValueError for a value these types cannot take.
SsmValues = Callable[[str], str]


class _Invalid(Exception):
    """A declaration or value problem, reported at the parameter's line."""


@dataclass(frozen=True)
class ResolvedParameters:
    values: dict[str, Any]
    no_echo: frozenset[str]
    parameter_store: frozenset[str] = frozenset()  # values read from Parameter Store


def resolve_parameters(declared: Mapping[str, Declaration], overrides: Mapping[str, str],
                       ssm: SsmValues | None = None,
                       ) -> tuple[ResolvedParameters, list[Issue]]:
    """Typed value of every parameter: override, else Default. A Parameter Store type's
    value is read by ``ssm``; without it (a command that reads nothing from AWS) it is the
    parameter's name."""
    issues = [
        Issue(COMMAND_LINE, 0, f"parameter '{name}' is given a value but no template declares it")
        for name in sorted(overrides) if name not in declared
    ]
    values: dict[str, Any] = {}
    no_echo: set[str] = set()
    for name, decl in declared.items():
        try:
            body = _check_declaration(decl.body)
            if _truthy(body.get("NoEcho", False)):
                no_echo.add(name)
            if name in overrides:
                raw, origin = overrides[name], "(from --parameter)"
            elif "Default" in body:
                raw, origin = _scalar_text(body["Default"], "Default"), "(the Default)"
            else:
                raise _Invalid(f"has no Default and no value was given "
                               f"(--parameter {name}=VALUE)")
            values[name] = _typed(body, raw, origin, ssm)
        except _Invalid as problem:
            issues.append(Issue(decl.file, decl.line, f"parameter '{name}' {problem}"))
    stored = frozenset(name for name, decl in declared.items() if isinstance(decl.body, dict)
                       and ssm_value_type(str(decl.body.get("Type"))) is not None)
    return ResolvedParameters(values, frozenset(no_echo), stored), issues


def _check_declaration(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, dict):
        raise _Invalid("must be a mapping with at least a Type")
    unknown = sorted(set(body) - KEYS)
    if unknown:
        raise _Invalid(f"has unsupported key(s) {', '.join(unknown)}")
    kind = body.get("Type")
    if isinstance(kind, str) and refusal(kind):
        raise _Invalid(str(refusal(kind)))
    if kind not in TYPES and kind not in AWS_SPECIFIC and kind != SSM_NAME \
            and ssm_value_type(str(kind)) is None:
        raise _Invalid(f"has Type {kind!r}; supported types are {', '.join(TYPES)} and "
                       "the AWS-specific types (AWS::EC2::VPC::Id, List<AWS::EC2::Subnet::Id>, "
                       "...)")
    for key in ("MinLength", "MaxLength"):
        if key in body and not _is_int(body[key]):
            raise _Invalid(f"{key} must be an integer")
    for key in ("MinValue", "MaxValue"):
        if key in body and _number(body[key]) is None:
            raise _Invalid(f"{key} must be a number")
    if "AllowedValues" in body and not isinstance(body["AllowedValues"], list):
        raise _Invalid("AllowedValues must be a list")
    if "AllowedPattern" in body:
        try:
            re.compile(str(body["AllowedPattern"]))
        except re.error as error:
            raise _Invalid(f"AllowedPattern is not a valid regular expression: {error}") from None
    return body


def _typed(body: Mapping[str, Any], raw: str, origin: str, ssm: SsmValues | None = None,
           ) -> Any:
    kind = body["Type"]
    constraint = body.get("ConstraintDescription")

    def fail(message: str) -> _Invalid:
        return _Invalid(f"value {raw!r} {origin} {constraint or message}")

    inner = ssm_value_type(kind)
    if inner is not None:
        _check_string(body, raw, fail)  # constraints are on the name
        return _from_parameter_store(inner, raw, origin, ssm)
    if kind in ("String", SSM_NAME):
        _check_string(body, raw, fail)
        return raw
    if kind == "Number":
        number = _number(raw)
        if number is None:
            raise fail("is not a number")
        _check_number(body, number, fail)
        return number
    specific = element_type(kind)
    if specific == kind:
        _check_string(body, raw, fail)
        _check_form(specific, raw, fail)
        return raw
    items = [item.strip() for item in raw.split(",")] if raw.strip() else []
    if specific is not None:
        for item in items:
            _check_allowed(body, item, fail)
            _check_form(specific, item, fail)
        return items
    if kind == "CommaDelimitedList":
        for item in items:
            _check_allowed(body, item, fail)
        return items
    numbers = []
    for item in items:
        number = _number(item)
        if number is None:
            raise fail(f"has {item!r}, which is not a number")
        _check_number(body, number, fail)
        numbers.append(number)
    return numbers


def _from_parameter_store(inner: str, name: str, origin: str, ssm: SsmValues | None) -> Any:
    if ssm is None:
        return name if inner == "String" or element_type(inner) == inner else [name]
    try:
        value = ssm(name)
    except LookupError:
        raise _Invalid(f"names Parameter Store parameter {name!r} {origin}, which does not "
                       "exist in this account and region") from None
    except ValueError as problem:
        raise _Invalid(f"names Parameter Store parameter {name!r} {origin}: {problem}"
                       ) from None
    try:
        return _typed({"Type": inner}, value, f"(the value of {name})")
    except _Invalid as problem:
        raise _Invalid(f"reads {problem}") from None


def _check_string(body: Mapping[str, Any], value: str, fail: Any) -> None:
    _check_allowed(body, value, fail)
    if "AllowedPattern" in body and not re.fullmatch(str(body["AllowedPattern"]), value):
        raise fail(f"does not match AllowedPattern {body['AllowedPattern']!r}")
    if "MinLength" in body and len(value) < int(body["MinLength"]):
        raise fail(f"is shorter than MinLength {body['MinLength']}")
    if "MaxLength" in body and len(value) > int(body["MaxLength"]):
        raise fail(f"is longer than MaxLength {body['MaxLength']}")


def _check_form(kind: str, value: str, fail: Any) -> None:
    problem = form_problem(kind, value)
    if problem is not None:
        raise fail(problem)


def _check_number(body: Mapping[str, Any], value: float, fail: Any) -> None:
    allowed = body.get("AllowedValues")
    if allowed is not None and value not in [_number(a) for a in allowed]:
        raise fail(f"is not one of the AllowedValues {list(allowed)}")
    if "MinValue" in body and value < (_number(body["MinValue"]) or 0):
        raise fail(f"is below MinValue {body['MinValue']}")
    if "MaxValue" in body and value > (_number(body["MaxValue"]) or 0):
        raise fail(f"is above MaxValue {body['MaxValue']}")


def _check_allowed(body: Mapping[str, Any], value: str, fail: Any) -> None:
    allowed = body.get("AllowedValues")
    if allowed is not None and value not in [_scalar_text(a, "AllowedValues") for a in allowed]:
        raise fail(f"is not one of the AllowedValues "
                   f"{[_scalar_text(a, 'AllowedValues') for a in allowed]}")


def _scalar_text(value: Any, what: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise _Invalid(f"{what} must be a single value (lists are written 'a,b,c')")


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _is_int(value: Any) -> bool:
    return isinstance(_number(value), int)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
