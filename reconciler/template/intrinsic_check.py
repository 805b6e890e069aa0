"""Check intrinsic functions where they are written, before anything runs.

Reports malformed arguments, unsupported functions and pseudo parameters,
and references to unknown names, each at its line; and collects which
resources a value depends on (skipping Fn::If branches that are not taken).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.template import cidr, dynamic_refs
from reconciler.template.import_check import import_value_problems
from reconciler.template.intrinsics import (
    CONDITION_FUNCTIONS,
    FUNCTIONS,
    MISSING,
    NO_VALUE,
    PSEUDO_PARAMETERS,
    as_text,
    find_in_map_arguments,
    function_name,
    get_att_target,
    split_variable,
    sub_arguments,
    sub_parts,
)
from reconciler.template.located import child_line, line_of

Problem = tuple[int, str]

# Meaningful only inside a CloudFormation stack, which this reconciler never creates.
STACK_PSEUDO_PARAMETERS = ("AWS::NotificationARNs",)


@dataclass(frozen=True)
class Scope:
    """The names a template declares, for checking references."""

    parameters: Mapping[str, Any]  # name -> resolved value (for type checks in Sub)
    resources: Mapping[str, str]  # every declared logical ID -> its Type
    excluded: Mapping[str, str] = field(default_factory=dict)  # logical ID -> false Condition
    conditions: Mapping[str, bool | None] = field(default_factory=dict)  # None: not evaluated
    # Map name -> top-level key -> second-level key -> value; None: a map with problems.
    mappings: Mapping[str, Mapping[str, Mapping[str, Any]] | None] = field(default_factory=dict)
    attributes: Callable[[str], Collection[str] | None] = lambda _type: None
    # True when some file could not be read: its names are missing, so unknown names are
    # not reported (they would be noise hiding the real error).
    incomplete: bool = False
    exports: Mapping[str, Any] | None = None  # other trees' exports by name; None: no store


@dataclass
class IntrinsicCheck:
    scope: Scope
    in_condition: bool = False
    problems: list[Problem] = field(default_factory=list)
    dependencies: set[str] = field(default_factory=set)  # resources, from live branches only
    condition_refs: set[str] = field(default_factory=set)  # conditions named by Condition/Fn::If

    # --- values (Properties, and the operands of Fn::Equals) ---------------------------

    def walk(self, value: Any, line: int, live: bool = True) -> None:
        name = function_name(value)
        if name is not None:
            self._function(name, value[name], line_of(value, line), live)
        elif isinstance(value, dict):
            for key, child in value.items():
                self.walk(child, child_line(value, key, line), live)
        elif isinstance(value, list):
            for index, child in enumerate(value):
                self.walk(child, child_line(value, index, line), live)
        elif isinstance(value, str) and dynamic_refs.MARKER in value:
            self.problems += [(line, p) for p in dynamic_refs.problems_in(value)]

    def _function(self, name: str, arg: Any, line: int, live: bool) -> None:
        if name == "Ref":
            if isinstance(arg, str):
                self._ref(arg, line, live, "Ref")
            else:
                self.problems.append((line, "Ref takes the name of a resource or parameter"))
        elif name == "Fn::GetAtt":
            target = get_att_target(arg)
            if target is None:
                self.problems.append((line, "Fn::GetAtt takes [LogicalId, Attribute] or "
                                            "'LogicalId.Attribute' (attribute names are literal)"))
            else:
                self._get_att(*target, line, live)
        elif name == "Fn::Sub":
            self._sub(arg, line, live)
        elif name in ("Fn::Join", "Fn::Select", "Fn::Split"):
            self._list_function(name, arg, line, live)
        elif name == "Fn::FindInMap":
            self._find_in_map(arg, line, live)
        elif name == "Fn::GetAZs":
            self._get_azs(arg, line, live)
        elif name == "Fn::Cidr":
            self._cidr(arg, line, live)
        elif name == "Fn::ImportValue" and not self.in_condition:
            self.problems += import_value_problems(IntrinsicCheck(self.scope), arg, line, live)
        elif name == "Fn::If" and not self.in_condition:
            self._if(arg, line, live)
        elif name == "Fn::If":
            self.problems.append((line, "Fn::If cannot be used inside Conditions"))
        elif name in CONDITION_FUNCTIONS:
            where = "as an operand of Fn::Equals" if self.in_condition else "outside Conditions"
            self.problems.append((line, f"{name} cannot be used {where}"))
        else:
            supported = ", ".join(FUNCTIONS)
            self.problems.append((line, f"intrinsic function {name} is not supported "
                                        f"(supported: {supported})"))

    def _ref(self, name: str, line: int, live: bool, via: str) -> None:
        if name in self.scope.parameters:
            return
        if name.startswith("AWS::"):
            self._pseudo(name, line, via)
        elif name in self.scope.resources:
            self._resource(name, line, live, via)
        elif not self.scope.incomplete:
            self.problems.append((line, f"{via} to unknown resource or parameter '{name}'"))

    def _pseudo(self, name: str, line: int, via: str) -> None:
        if name == NO_VALUE and via != "Ref":
            self.problems.append((line, f"{NO_VALUE} can only be used with Ref"))
        elif name in STACK_PSEUDO_PARAMETERS:
            self.problems.append((line, f"pseudo parameter {name} is not supported: "
                                        "there is no CloudFormation stack"))
        elif name not in PSEUDO_PARAMETERS and name != NO_VALUE:
            self.problems.append((line, f"unknown pseudo parameter {name} (supported: "
                                        f"{', '.join(PSEUDO_PARAMETERS)}, {NO_VALUE})"))

    def _resource(self, name: str, line: int, live: bool, via: str) -> None:
        if self.in_condition:
            self.problems.append((line, f"{via} to resource '{name}': conditions can only use "
                                        "parameters and pseudo parameters"))
            return
        if not live:
            return
        if name in self.scope.excluded:
            self.problems.append((line, f"{via} to '{name}', which is left out because its "
                                        f"Condition {self.scope.excluded[name]} is false"))
            return
        self.dependencies.add(name)

    def _get_att(self, logical_id: str, attribute: str, line: int, live: bool,
                 via: str = "Fn::GetAtt") -> None:
        if logical_id in self.scope.parameters:
            self.problems.append((line, f"{via} {logical_id}.{attribute}: '{logical_id}' is a "
                                        "parameter, not a resource"))
            return
        type_name = self.scope.resources.get(logical_id)
        if type_name is None:
            if not self.scope.incomplete:
                self.problems.append((line, f"{via} to unknown resource '{logical_id}'"))
            return
        documented = self.scope.attributes(type_name)
        if documented is not None and attribute not in documented:
            listed = ", ".join(sorted(documented)) or "none"
            self.problems.append((line, f"{via} {logical_id}.{attribute}: {type_name} has "
                                        f"no attribute '{attribute}' (it has: {listed})"))
            return
        self._resource(logical_id, line, live, via)

    def _sub(self, arg: Any, line: int, live: bool) -> None:
        parsed = sub_arguments(arg)
        if parsed is None:
            self.problems.append((line, "Fn::Sub takes a string or [string, {variables}]"))
            return
        text, variables = parsed
        for key, value in variables.items():
            self.walk(value, child_line(variables, key, line), live)
        if dynamic_refs.MARKER in text:  # checked with each ${} standing for a plain word
            shape = "".join(part if not is_var else "x" for is_var, part in sub_parts(text))
            self.problems += [(line, p) for p in dynamic_refs.problems_in(shape)]
        for is_variable, part in sub_parts(text):
            if not is_variable or part in variables:
                continue
            if not part:
                self.problems.append((line, "Fn::Sub has an empty ${}"))
                continue
            logical_id, attribute = split_variable(part)
            if attribute is not None:
                self._get_att(logical_id, attribute, line, live, "Fn::Sub")
                continue
            self._ref(logical_id, line, live, "Fn::Sub")
            if isinstance(self.scope.parameters.get(logical_id), list):
                self.problems.append((line, f"Fn::Sub cannot insert list parameter "
                                            f"'{logical_id}' (use Fn::Join)"))

    def _list_function(self, name: str, arg: Any, line: int, live: bool) -> None:
        shapes = {"Fn::Join": "[delimiter, [values]]", "Fn::Select": "[index, [values]]",
                  "Fn::Split": "[delimiter, string]"}
        if not isinstance(arg, list) or len(arg) != 2:
            self.problems.append((line, f"{name} takes {shapes[name]}"))
            return
        first, second = arg
        if name == "Fn::Select":
            length = self._static_length(second, live)
            if not (_is_index(first) or function_name(first)):
                self.problems.append((line, "Fn::Select index must be a non-negative integer"))
            elif _is_index(first) and length is not None and int(first) >= length:
                self.problems.append((line, f"Fn::Select index {first} is out of range "
                                            f"(the list has {length} items)"))
        elif not isinstance(first, str):
            self.problems.append((line, f"{name} delimiter must be a string"))
        if name == "Fn::Split":
            wrong = not isinstance(second, str) and function_name(second) is None
        else:
            wrong = not isinstance(second, list) and function_name(second) is None
        if wrong:
            self.problems.append((line, f"{name} takes {shapes[name]}"))
        for index, child in enumerate(arg):
            self.walk(child, child_line(arg, index, line), live)

    def _static_length(self, value: Any, live: bool) -> int | None:
        """The length of the list ``value`` evaluates to, when known before anything runs."""
        name = function_name(value)
        if name is None:
            return len(value) if isinstance(value, list) else None
        arg = value[name]
        if name == "Fn::Cidr" and isinstance(arg, list) and len(arg) == 3 \
                and function_name(arg[1]) is None:
            try:
                return cidr.subnet_count(arg[1])
            except ValueError:
                return None  # reported by the Fn::Cidr check
        if name == "Fn::FindInMap" and (parsed := find_in_map_arguments(arg)) is not None:
            keys, default = parsed
            table = self.scope.mappings.get(keys[0]) if isinstance(keys[0], str) else None
            top, second = (self._static_key(key, live) for key in keys[1:])
            if table is None or default is not MISSING or top is None or second is None:
                return None
            found = table.get(top[0], {}).get(second[0])
            return len(found) if isinstance(found, list) else None
        return None

    def _find_in_map(self, arg: Any, line: int, live: bool) -> None:
        parsed = find_in_map_arguments(arg)
        if parsed is None:
            if isinstance(arg, list) and len(arg) == 4:
                self.problems.append((child_line(arg, 3, line), "Fn::FindInMap takes a 4th "
                                      "argument only as {DefaultValue: value}"))
            else:
                self.problems.append((line, "Fn::FindInMap takes [MapName, TopLevelKey, "
                                            "SecondLevelKey]"))
            return
        keys, default = parsed
        for index, key in enumerate(keys):
            key_line = child_line(arg, index, line)
            if function_name(key) is not None:
                self.walk(key, key_line, live)
            elif not _is_key(key):
                self.problems.append((key_line, "Fn::FindInMap keys must be strings or "
                                                "intrinsic functions"))
                return
        if default is not MISSING:
            self.walk(default, child_line(arg, 3, line), live)
        map_name = keys[0]
        if function_name(map_name) is not None:
            return
        map_name = as_text(map_name, "Fn::FindInMap")
        if map_name not in self.scope.mappings:
            if not self.scope.incomplete:
                self.problems.append((child_line(arg, 0, line),
                                      f"Fn::FindInMap uses unknown mapping '{map_name}'"))
            return
        table = self.scope.mappings[map_name]
        if table is None or default is not MISSING:
            return  # a broken map is reported where it is declared; a default covers misses
        top, second = (self._static_key(key, live) for key in keys[1:])
        where = f"Fn::FindInMap: mapping '{map_name}'"
        if top is not None and top[0] not in table:
            self.problems.append((child_line(arg, 1, line), f"{where} has no top-level key "
                                  f"'{top[0]}'{top[1]} (it has: {', '.join(table)})"))
        elif second is not None and top is not None and second[0] not in table[top[0]]:
            self.problems.append((child_line(arg, 2, line), f"{where} key '{top[0]}' has no "
                                  f"second-level key '{second[0]}'{second[1]} "
                                  f"(it has: {', '.join(table[top[0]])})"))
        elif second is not None and not any(second[0] in entry for entry in table.values()):
            self.problems.append((child_line(arg, 2, line), f"{where} has no second-level key "
                                  f"'{second[0]}'{second[1]} under any top-level key"))

    def _static_key(self, key: Any, live: bool) -> tuple[str, str] | None:
        """``(key text, how it was found)`` when known before anything runs: a literal, or in
        a branch that is taken, a parameter's value."""
        if _is_key(key):
            return as_text(key, "Fn::FindInMap"), ""
        if live and function_name(key) == "Ref" and isinstance(key["Ref"], str):
            value = self.scope.parameters.get(key["Ref"])
            if isinstance(value, str | int | float):
                return as_text(value, "Fn::FindInMap"), f" (the value of parameter {key['Ref']})"
        return None

    def _get_azs(self, arg: Any, line: int, live: bool) -> None:
        if isinstance(arg, str) or arg is None:
            return  # '' or null (AWS's JSON samples): this region; another refused later
        if function_name(arg) == "Ref":
            self.walk(arg, line, live)
            return
        self.problems.append((line, "Fn::GetAZs takes a region name, '' (this region) or "
                                    "!Ref AWS::Region"))

    def _cidr(self, arg: Any, line: int, live: bool) -> None:
        if not (isinstance(arg, list) and len(arg) == 3):
            self.problems.append((line, "Fn::Cidr takes [ipBlock, count, cidrBits]"))
            return
        for index, item in enumerate(arg):
            self.walk(item, child_line(arg, index, line), live)
        block: cidr.Network | None = None
        literal = [function_name(item) is None for item in arg]
        checks = ((0, cidr.ip_block), (1, cidr.subnet_count),
                  (2, lambda value: cidr.cidr_bits(value, block)))
        valid = True
        for index, check in checks:
            if not literal[index]:
                continue
            try:
                checked = check(arg[index])
            except ValueError as error:
                self.problems.append((child_line(arg, index, line), f"Fn::Cidr: {error}"))
                valid = False
                continue
            if index == 0:
                block = checked
        if valid and all(literal):
            try:
                cidr.subnets(*arg)
            except ValueError as error:
                self.problems.append((line, f"Fn::Cidr: {error}"))

    def _if(self, arg: Any, line: int, live: bool) -> None:
        if not (isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str)):
            self.problems.append((line, "Fn::If takes [ConditionName, value if true, "
                                        "value if false]"))
            return
        name = arg[0]
        value: bool | None = None
        if name not in self.scope.conditions:
            self.problems.append((line, f"Fn::If uses unknown condition '{name}'"))
        else:
            value = self.scope.conditions[name]
            self.condition_refs.add(name)
        for index, taken in ((1, value is not False), (2, value is not True)):
            self.walk(arg[index], child_line(arg, index, line), live and taken)

    # --- conditions ------------------------------------------------------------------

    def walk_condition(self, value: Any, line: int) -> None:
        """Check one condition expression (the body of a Conditions entry, or an operand)."""
        line = line_of(value, line)
        name = _condition_function(value)
        if name is None:
            self.problems.append((line, "a condition must be Fn::Equals, Fn::Not, Fn::And, "
                                        "Fn::Or or {Condition: Name}"))
            return
        arg = value[name]
        if name == "Condition":
            if not isinstance(arg, str):
                self.problems.append((line, "Condition takes a condition name"))
            elif arg not in self.scope.conditions:
                self.problems.append((line, f"unknown condition '{arg}'"))
            else:
                self.condition_refs.add(arg)
            return
        counts = {"Fn::Equals": (2, 2), "Fn::Not": (1, 1), "Fn::And": (2, 10), "Fn::Or": (2, 10)}
        low, high = counts[name]
        if not isinstance(arg, list) or not low <= len(arg) <= high:
            size = str(low) if low == high else f"{low} to {high}"
            self.problems.append((line, f"{name} takes a list of {size} items"))
            return
        for index, operand in enumerate(arg):
            operand_line = child_line(arg, index, line)
            if name == "Fn::Equals":
                self.walk(operand, operand_line)
            else:
                self.walk_condition(operand, operand_line)


def _condition_function(value: Any) -> str | None:
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value
        if key in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition"):
            return str(key)
    return None


def _is_key(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _is_index(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    return isinstance(value, str) and value.isdigit()
