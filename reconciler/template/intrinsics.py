"""Evaluate CloudFormation intrinsic functions into plain values, once per run.

The loader has already checked every function's shape and every reference,
so errors raised here are about values only known at run time (an index out
of range of a list an attribute returned, a pseudo parameter not supplied).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.template import cidr, dynamic_refs
from reconciler.template.model import ResourceLookup, Template, Unknown

PSEUDO_PARAMETERS = ("AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix",
                     "AWS::StackName", "AWS::StackId")
NO_VALUE = "AWS::NoValue"
FUNCTIONS = ("Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::If",
             "Fn::FindInMap", "Fn::GetAZs", "Fn::Cidr", "Fn::ImportValue")
# Not a pseudo parameter (Ref cannot name it): the key under which the pseudo mapping holds
# this run's availability zones, for Fn::GetAZs. Looked up only when a template uses it.
AVAILABILITY_ZONES = "AWS::AvailabilityZones"
# Likewise, for Fn::ImportValue: export name -> value, of the other trees sharing the state
# store (reconciler.state.exports; values may be objects with owner/value attributes).
EXPORTS = "AWS::Exports"
# And the readers of Rules' Fn::ValueOf, ``(type, id, attribute) -> value``, and of
# AWS::SSM::Parameter::Value<...> parameters, ``name -> value`` (in aws/).
PARAMETER_ATTRIBUTES, SSM_PARAMETERS = "AWS::ParameterAttributes", "AWS::SSMParameterValues"
# What the engine records instead of a secret (engine.model.MASK): an export holding it has
# no value to import.
SENSITIVE_MASK = "(sensitive value)"
CONDITION_FUNCTIONS = ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition")

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class IntrinsicError(ValueError):
    """An intrinsic function cannot be evaluated with the values at hand."""


class _NoValue:
    """Marks a value removed by ``Ref: AWS::NoValue``; never escapes ``resolve``."""


_REMOVED = _NoValue()


def function_name(value: Any) -> str | None:
    """The intrinsic function ``value`` is (``Ref``, ``Fn::Sub``...), or None for plain data."""
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value
        if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")):
            return key
    return None


def sub_parts(text: str) -> list[tuple[bool, str]]:
    """Split Fn::Sub text into ``(is_variable, text)`` parts; ``${!X}`` is the literal ``${X}``."""
    parts: list[tuple[bool, str]] = []
    position = 0
    for match in _SUB_VARIABLE.finditer(text):
        if match.start() > position:
            parts.append((False, text[position:match.start()]))
        inner = match.group(1)
        if inner.startswith("!"):
            parts.append((False, "${" + inner[1:] + "}"))
        else:
            parts.append((True, inner.strip()))
        position = match.end()
    if position < len(text):
        parts.append((False, text[position:]))
    return parts


def split_variable(name: str) -> tuple[str, str | None]:
    """``Res.Attr`` -> ``("Res", "Attr")``; ``Res`` or ``AWS::Region`` -> ``(name, None)``."""
    if "." in name and not name.startswith("AWS::"):
        logical_id, attribute = name.split(".", 1)
        return logical_id, attribute
    return name, None


def get_att_target(arg: Any) -> tuple[str, str] | None:
    """``[Res, Attr]`` or ``"Res.Attr"`` -> ``(Res, Attr)``; None when malformed."""
    if isinstance(arg, str) and "." in arg:
        logical_id, attribute = arg.split(".", 1)
        return logical_id, attribute
    if (isinstance(arg, list) and len(arg) == 2
            and all(isinstance(part, str) and part for part in arg)):
        return arg[0], arg[1]
    return None


def sub_arguments(arg: Any) -> tuple[str, Mapping[str, Any]] | None:
    """``"text"`` or ``[text, {vars}]`` -> ``(text, vars)``; None when malformed."""
    if isinstance(arg, str):
        return arg, {}
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) \
            and isinstance(arg[1], dict):
        return arg[0], arg[1]
    return None


class _Missing:
    """No DefaultValue given to Fn::FindInMap."""


MISSING = _Missing()


def find_in_map_arguments(arg: Any) -> tuple[list[Any], Any] | None:
    """``[Map, Top, Second]`` or ``[Map, Top, Second, {DefaultValue: V}]`` ->
    ``([Map, Top, Second], V or MISSING)``; None when malformed."""
    if not isinstance(arg, list) or len(arg) not in (3, 4):
        return None
    if len(arg) == 3:
        return list(arg), MISSING
    option = arg[3]
    if not (isinstance(option, dict) and list(option) == ["DefaultValue"]):
        return None
    return list(arg[:3]), option["DefaultValue"]


def functions_used(value: Any) -> set[str]:
    """Every intrinsic function named anywhere in ``value``, and each service a dynamic
    reference reads, as ``{{resolve:SERVICE}}``."""
    found: set[str] = set()
    pending = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, str) and dynamic_refs.MARKER in node:
            found |= {f"{{{{resolve:{service}}}}}" for service in dynamic_refs.services_in(node)}
        elif isinstance(node, dict):
            if (name := function_name(node)) is not None:
                found.add(name)
            pending += node.values()
        elif isinstance(node, list):
            pending += node
    return found


def references(value: Any) -> set[tuple[str, str | None]]:
    """Every ``(name, attribute)`` that Ref, Fn::GetAtt and Fn::Sub mention, in all branches.

    Names may be parameters as well as logical IDs (filter with ``template.resources``);
    pseudo parameters are left out. The attribute is None for a Ref.
    """
    found: set[tuple[str, str | None]] = set()
    _collect(value, found)
    return found


def _collect(value: Any, found: set[tuple[str, str | None]]) -> None:
    name = function_name(value)
    if name is None:
        children = value.values() if isinstance(value, dict) else value \
            if isinstance(value, list) else ()
        for child in children:
            _collect(child, found)
        return
    arg = value[name]
    if name == "Ref":
        if isinstance(arg, str) and not arg.startswith("AWS::"):
            found.add((arg, None))
    elif name == "Fn::GetAtt":
        target = get_att_target(arg)
        if target is not None:
            found.add(target)
    elif name == "Fn::Sub" and (sub := sub_arguments(arg)) is not None:
        text, variables = sub
        for is_variable, part in sub_parts(text):
            if is_variable and part not in variables and not part.startswith("AWS::"):
                found.add(split_variable(part))
        _collect(list(variables.values()), found)
    else:
        _collect(arg, found)


def resolve(value: Any, template: Template, lookup: ResourceLookup,
            pseudo: Mapping[str, Any]) -> Any:
    """``value`` with every intrinsic evaluated, as plain dicts, lists and scalars.

    A value that depends on something not known yet is an ``Unknown``: the
    smallest enclosing string-producing function becomes that ``Unknown``,
    while dicts and lists keep it at its position.
    """
    result = Resolver(template.parameters, template.conditions, lookup, pseudo,
                      template.mappings).value(value)
    return None if result is _REMOVED else result


def pseudo_parameters(region: str, account_id: str) -> dict[str, str]:
    """The pseudo parameter values for one account and region."""
    if region.startswith("cn-"):
        partition, suffix = "aws-cn", "amazonaws.com.cn"
    elif region.startswith("us-gov-"):
        partition, suffix = "aws-us-gov", "amazonaws.com"
    else:
        partition, suffix = "aws", "amazonaws.com"
    return {"AWS::Region": region, "AWS::AccountId": account_id,
            "AWS::Partition": partition, "AWS::URLSuffix": suffix}


def as_text(value: Any, where: str) -> str:
    """How CloudFormation turns a scalar into a string inside Sub and Join."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise IntrinsicError(f"{where} needs a string, got {type(value).__name__}: {value!r}")


class Resolver:
    """Evaluates intrinsics against parameter values, condition values and a lookup.

    ``pseudo`` maps pseudo parameter names to values and ``AVAILABILITY_ZONES`` to this
    run's zones; a value is asked for only when a template uses it (it may cost an AWS call).
    """

    def __init__(self, parameters: Mapping[str, Any], conditions: Mapping[str, bool],
                 lookup: ResourceLookup, pseudo: Mapping[str, Any],
                 mappings: Mapping[str, Any] | None = None):
        self.parameters = parameters
        self.conditions = conditions
        self.lookup = lookup
        self.pseudo = pseudo
        self.mappings = mappings or {}

    def value(self, value: Any) -> Any:
        name = function_name(value)
        if name is not None:
            return self.function(name, value[name])
        if isinstance(value, dict):
            resolved = ((key, self.value(child)) for key, child in value.items())
            return {key: child for key, child in resolved if child is not _REMOVED}
        if isinstance(value, list):
            items = (self.value(child) for child in value)
            return [item for item in items if item is not _REMOVED]
        return value

    def function(self, name: str, arg: Any) -> Any:
        if name == "Ref":
            return self.ref(arg)
        if name == "Fn::GetAtt":
            target = get_att_target(arg)
            if target is None:
                raise IntrinsicError(f"Fn::GetAtt takes [LogicalId, Attribute], got {arg!r}")
            return self.lookup.get_att(*target)
        if name == "Fn::If":
            if not (isinstance(arg, list) and len(arg) == 3 and arg[0] in self.conditions):
                raise IntrinsicError(f"Fn::If takes [known condition, then, else], got {arg!r}")
            condition, when_true, when_false = arg
            return self.value(when_true if self.conditions[condition] else when_false)
        handler = {"Fn::Sub": self.sub, "Fn::Join": self.join, "Fn::Select": self.select,
                   "Fn::Split": self.split, "Fn::FindInMap": self.find_in_map,
                   "Fn::GetAZs": self.get_azs, "Fn::Cidr": self.cidr,
                   "Fn::ImportValue": self.import_value}.get(name)
        if handler is None:
            raise IntrinsicError(f"{name} is not supported")
        return handler(arg)

    def ref(self, name: str) -> Any:
        if name == NO_VALUE:
            return _REMOVED
        if name in self.parameters:
            value = self.parameters[name]
            return list(value) if isinstance(value, list) else value
        if name.startswith("AWS::"):
            if name not in self.pseudo:
                raise IntrinsicError(f"pseudo parameter {name} has no value here")
            return self.pseudo[name]
        return self.lookup.ref(name)

    def sub(self, arg: Any) -> Any:
        parsed = sub_arguments(arg)
        if parsed is None:
            raise IntrinsicError(f"Fn::Sub takes a string or [string, {{variables}}], got {arg!r}")
        text, variables = parsed
        pieces = []
        for is_variable, part in sub_parts(text):
            if not is_variable:
                pieces.append(part)
                continue
            if part in variables:
                value = self.value(variables[part])
            else:
                logical_id, attribute = split_variable(part)
                value = self.ref(logical_id) if attribute is None \
                    else self.lookup.get_att(logical_id, attribute)
            if isinstance(value, Unknown):
                return value
            pieces.append(as_text(value, f"Fn::Sub variable ${{{part}}}"))
        return "".join(pieces)

    def join(self, arg: Any) -> Any:
        delimiter, items = self.value(arg[0]), self.value(arg[1])
        for value in (delimiter, items, *(items if isinstance(items, list) else ())):
            if isinstance(value, Unknown):
                return value
        if not isinstance(items, list):
            raise IntrinsicError(f"Fn::Join needs a list, got {items!r}")
        return as_text(delimiter, "Fn::Join delimiter").join(
            as_text(item, "Fn::Join item") for item in items)

    def select(self, arg: Any) -> Any:
        index, items = self.value(arg[0]), self.value(arg[1])
        for value in (index, items):
            if isinstance(value, Unknown):
                return value
        try:
            position = int(index)
        except (TypeError, ValueError):
            raise IntrinsicError(f"Fn::Select index must be a number, got {index!r}") from None
        if not isinstance(items, list) or not 0 <= position < len(items):
            raise IntrinsicError(f"Fn::Select index {position} is out of range of {items!r}")
        return items[position]

    def split(self, arg: Any) -> Any:
        delimiter, source = self.value(arg[0]), self.value(arg[1])
        for value in (delimiter, source):
            if isinstance(value, Unknown):
                return value
        return as_text(source, "Fn::Split").split(as_text(delimiter, "Fn::Split delimiter"))

    def find_in_map(self, arg: Any) -> Any:
        parsed = find_in_map_arguments(arg)
        if parsed is None:
            raise IntrinsicError(f"Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey], "
                                 f"got {arg!r}")
        keys, default = parsed
        values = [self.value(key) for key in keys]
        for value in values:
            if isinstance(value, Unknown):
                return value
        name, top, second = (as_text(value, "Fn::FindInMap key") for value in values)
        table = self.mappings.get(name)
        if table is None:
            raise IntrinsicError(f"Fn::FindInMap: unknown mapping '{name}'")
        if second not in table.get(top, {}):
            if default is not MISSING:
                return self.value(default)
            raise IntrinsicError(f"Fn::FindInMap: mapping '{name}' has no value for "
                                 f"[{top}, {second}]")
        found = table[top][second]
        return list(found) if isinstance(found, list) else found

    def get_azs(self, arg: Any) -> Any:
        region = "" if arg is None else self.value(arg)
        if isinstance(region, Unknown):
            return region
        region = as_text(region, "Fn::GetAZs region")
        current = self.pseudo.get("AWS::Region")
        if region and region != current:
            raise IntrinsicError(f"Fn::GetAZs: only the zones of this run's region "
                                 f"({current}) are known, not of {region}")
        zones = self.pseudo.get(AVAILABILITY_ZONES)
        if zones is None:
            raise IntrinsicError("Fn::GetAZs: the availability zones have no value here")
        return list(zones)

    def import_value(self, arg: Any) -> Any:
        name = self.value(arg)
        if isinstance(name, Unknown):
            return name
        name = as_text(name, "Fn::ImportValue")
        exports = self.pseudo.get(EXPORTS)
        if exports is None:
            raise IntrinsicError(f"Fn::ImportValue {name}: the exports of other trees are not "
                                 "known here (no state store)")
        if name not in exports:
            raise IntrinsicError(f"Fn::ImportValue: no other tree of this state store exports "
                                 f"'{name}'")
        exported = exports[name]
        value = getattr(exported, "value", exported)
        where = f"export '{name}' (output {getattr(exported, 'output', '?')} of tree " \
                f"{getattr(exported, 'owner', '?')})"
        if value is None:
            raise IntrinsicError(f"Fn::ImportValue: {where} has no value yet: that tree has "
                                 "not applied it")
        if value == SENSITIVE_MASK:
            raise IntrinsicError(f"Fn::ImportValue: {where} is a secret, which no store keeps")
        return value

    def cidr(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) == 3):
            raise IntrinsicError(f"Fn::Cidr takes [ipBlock, count, cidrBits], got {arg!r}")
        values = [self.value(item) for item in arg]
        for value in values:
            if isinstance(value, Unknown):
                return value
        try:
            return cidr.subnets(*values)
        except ValueError as error:
            raise IntrinsicError(f"Fn::Cidr: {error}") from None
