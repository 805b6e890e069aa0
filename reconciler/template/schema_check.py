"""Check one resource's Properties against its kind: supported properties, then the schema.

The CloudFormation registry schema is validated with jsonschema, extended the
way CloudFormation reads templates: an intrinsic function is accepted
wherever a value goes (it is only known at run time), numeric strings count
as numbers and "true"/"false" as booleans.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

from jsonschema import Draft7Validator, Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match

from reconciler.errors import Issue
from reconciler.kinds.base import Kind
from reconciler.template.coerce import CoercionError, coerce_properties
from reconciler.template.dynamic_refs import MARKER
from reconciler.template.intrinsics import function_name
from reconciler.template.located import format_path, line_at, pointer_parts

_INTEGER_TEXT = re.compile(r"[-+]?\d+")
_MAX_MESSAGE = 300
# Stands in for a property already rejected (unsupported, read-only), so that "required"
# does not report it a second time; being an intrinsic, the validator accepts it anywhere.
_REJECTED = {"Ref": "AWS::NoValue"}

Validator = Any


def check_properties(logical_id: str, type_name: str, properties: dict[str, Any],
                     kind: type[Kind], file: str, line: int) -> list[Issue]:
    """Issues for one resource's Properties; ``line`` is where Properties (or the resource) is."""
    label = f"{logical_id} ({type_name})"
    schema = kind.schema()
    known = schema.get("properties", {})
    read_only = _read_only(schema)
    issues: list[Issue] = []
    instance: dict[str, Any] = {}
    for name, value in properties.items():
        at = line_at(properties, [name], line)
        if name not in known:
            issues.append(Issue(file, at, f"{label}: unknown property {name} for {type_name}"
                                          f"{_suggestion(name, known)}"))
        elif (name,) in read_only:
            issues.append(Issue(file, at, f"{label}: property {name} of {type_name} is read-only "
                                          "(an attribute AWS sets; read it with Fn::GetAtt)"))
            instance[name] = _REJECTED
        elif name not in kind.managed_properties:
            why = (f"not managed: {kind.refused[name]}" if name in kind.refused
                   else "not supported by the reconciler yet")
            issues.append(Issue(file, at, f"{label}: property {name} of {type_name} is {why}"))
            instance[name] = _REJECTED
        else:
            instance[name] = value
    for pointer in read_only:
        if len(pointer) > 1 and _present(instance, pointer):
            issues.append(Issue(file, line_at(properties, list(pointer), line),
                                f"{label} {format_path(pointer)}: read-only (set by AWS)"))
    for error in _validator(kind).iter_errors(instance):
        issues.append(_schema_issue(best_match([error]) or error, label, properties, file, line))
    if issues:
        return issues  # the kind's own checks assume a schema-valid shape
    try:  # the kind checks values as it will receive them: in the schema's types
        typed = coerce_properties(properties, kind.type_schema())
    except CoercionError as error:
        return [Issue(file, line_at(properties, list(error.path), line),
                      f"{label} {format_path(list(error.path))}: {error.message}")]
    for pointer, message in kind.validate(typed):
        path = pointer_parts(pointer, properties)
        where = f" {format_path(path)}" if path else ""
        issues.append(Issue(file, line_at(properties, path, line), f"{label}{where}: {message}"))
    return issues


def _schema_issue(error: ValidationError, label: str, properties: dict[str, Any], file: str,
                  line: int) -> Issue:
    path = list(error.absolute_path)
    message = error.message
    if len(message) > _MAX_MESSAGE:
        message = message[:_MAX_MESSAGE] + "..."
    where = f" {format_path(path)}" if path else ""
    return Issue(file, line_at(properties, path, line), f"{label}{where}: {message}")


def _suggestion(name: str, known: dict[str, Any]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _read_only(schema: dict[str, Any]) -> set[tuple[str, ...]]:
    return {tuple(p.removeprefix("/properties/").split("/"))
            for p in schema.get("readOnlyProperties", []) if p.startswith("/properties/")}


def _present(instance: Any, path: tuple[str, ...]) -> bool:
    node = instance
    for step in path:
        if not isinstance(node, dict) or step not in node or function_name(node) is not None:
            return False
        node = node[step]
    return True


# --- the CloudFormation-flavoured validator ---------------------------------------------


def _is_integer(_checker: Any, instance: Any) -> bool:
    if isinstance(instance, bool):
        return False
    if isinstance(instance, float):
        return instance.is_integer()
    return isinstance(instance, int) or (
        isinstance(instance, str) and _INTEGER_TEXT.fullmatch(instance.strip()) is not None)


def _is_number(_checker: Any, instance: Any) -> bool:
    if isinstance(instance, bool):
        return False
    return isinstance(instance, int | float) or _as_number(instance) is not None


def _is_boolean(_checker: Any, instance: Any) -> bool:
    return isinstance(instance, bool) or (
        isinstance(instance, str) and instance.lower() in ("true", "false"))


def _is_string(_checker: Any, instance: Any) -> bool:
    # CloudFormation turns a number or a boolean written where a string goes into its text
    # (``Value: true`` of a load balancer attribute is "true").
    return isinstance(instance, str | int | float)


def _as_number(instance: Any) -> float | None:
    if not isinstance(instance, str):
        return None
    try:
        number = float(instance)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


Keyword = Callable[..., Iterator[ValidationError] | None]


def _keyword(check: Keyword, coerce: Callable[[Any], Any] | None = None) -> Keyword:
    def run(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        if function_name(instance) is not None or (
                isinstance(instance, str) and MARKER in instance):
            return None  # an intrinsic or dynamic reference: its value is known at run time
        if coerce is not None:
            instance = coerce(instance)
        return check(validator, value, instance, schema)

    return run


def _to_number(instance: Any) -> Any:
    number = _as_number(instance)
    if number is None:
        return instance
    return int(number) if number.is_integer() and "." not in instance else number


def _to_text(instance: Any) -> Any:
    if isinstance(instance, bool):
        return "true" if instance else "false"
    if isinstance(instance, int | float):
        return str(instance)
    return instance


_UNICODE_CLASS = re.compile(r"\\([pP])\{(\w+)\}")


@functools.cache
def _python_pattern(pattern: str) -> re.Pattern[str] | None:
    """Registry patterns are ECMA-262: Python's ``re`` lacks ``\\p{L}``-style classes.

    They become ``\\w``/``\\s`` (a superset, so a valid value is never refused);
    a pattern that still does not compile is not checked at all.
    """
    def translate(match: re.Match[str]) -> str:
        letter = "s" if match.group(2).startswith("Z") else "w"
        return "\\" + (letter.upper() if match.group(1) == "P" else letter)

    try:
        return re.compile(_UNICODE_CLASS.sub(translate, pattern))
    except re.error:
        return None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any,
             ) -> Iterator[ValidationError]:
    if not isinstance(instance, str):
        return
    compiled = _python_pattern(pattern)
    if compiled is not None and not compiled.search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_NUMERIC = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_TEXTUAL = ("minLength", "maxLength", "pattern", "format")


def _cloudformation_validator_class() -> type[Any]:
    keywords = dict(Draft202012Validator.VALIDATORS)
    # Registry schemas are draft-07 in spirit ("items" applies to every item, "dependencies")
    # with a few later keywords (prefixItems, dependentRequired); take each from its draft.
    keywords["items"] = Draft7Validator.VALIDATORS["items"]
    keywords["dependencies"] = Draft7Validator.VALIDATORS["dependencies"]
    keywords["pattern"] = _pattern
    wrapped = {
        name: _keyword(check, _to_number if name in _NUMERIC
                       else _to_text if name in _TEXTUAL else None)
        for name, check in keywords.items()
    }
    checker = Draft202012Validator.TYPE_CHECKER.redefine_many({
        "integer": _is_integer, "number": _is_number, "boolean": _is_boolean,
        "string": _is_string,
    })
    return validators.extend(Draft202012Validator, validators=wrapped, type_checker=checker)


_CloudFormationValidator = _cloudformation_validator_class()


@functools.cache
def _validator(kind: type[Kind]) -> Validator:
    """One compiled validator per kind: building it resolves the schema document once."""
    schema = {k: v for k, v in kind.schema().items() if k not in ("$schema", "$id", "$comment")}
    return _CloudFormationValidator(schema)
