"""For bench/cfn_corpus.py: templates read and written with their short forms kept, and
the parameter values a user would give a template's parameters that have no Default."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml


class Tagged:
    """A short form (``!Ref X``) as written, so a cut template is written back the same."""

    def __init__(self, tag: str, value: Any) -> None:
        self.tag, self.value = tag, value

    def as_long(self) -> dict[str, Any]:
        name = self.tag.lstrip("!")
        key = name if name in ("Ref", "Condition") else f"Fn::{name}"
        value = self.value
        if name == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {key: value}


class _Loader(yaml.SafeLoader):
    pass


def _tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Tagged:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return Tagged("!" + suffix, value)


_Loader.add_multi_constructor("!", _tagged)
# Dates stay text (AWSTemplateFormatVersion), as CloudFormation reads them.
_Loader.add_constructor("tag:yaml.org,2002:timestamp",
                        lambda loader, node: loader.construct_scalar(node))


class _Dumper(yaml.SafeDumper):
    pass


def _represent(dumper: yaml.SafeDumper, data: Tagged) -> yaml.Node:
    if isinstance(data.value, list):
        return dumper.represent_sequence(data.tag, data.value)
    if isinstance(data.value, dict):
        return dumper.represent_mapping(data.tag, data.value)
    return dumper.represent_scalar(data.tag, str(data.value))


_Dumper.add_representer(Tagged, _represent)


def load_template(path: Path) -> Any:
    text = path.read_text()
    if text.lstrip().startswith("{"):
        return json.loads(text)
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def dump_template(template: Any, as_json: bool) -> str:
    if as_json:
        return json.dumps(template, indent=2, default=lambda t: t.as_long()) + "\n"
    return yaml.dump(template, Dumper=_Dumper, sort_keys=False, width=100)


# --- parameter values -----------------------------------------------------------------

# Tried in order for a String parameter: the first that fits AllowedPattern and lengths.
_STRINGS = (
    "corpus", "", "corpus-value", "Corpus1", "corpus1", "a", "10.0.0.0/16", "10.0.1.0/24",
    "0.0.0.0/0", "admin", "Corpus-Passw0rd-1", "corpus@example.com", "example.com",
    "t3.micro", "123456789012", "arn:aws:iam::123456789012:role/corpus", "1", "true",
    "corpus.example.com", "sg-12345678", "abc123",
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "1234abcd-12ab-34cd-56ef-1234567890ab", "d-1234567890", "pcx-0123456789abcdef0",
    "rtb-0123456789abcdef0",
)


def parameter_values(parameters: Any, account: dict[str, Any],
                     template: Any = None) -> dict[str, str]:
    """A value for every parameter without a Default."""
    values: dict[str, str] = {}
    if not isinstance(parameters, dict):
        return values
    map_keys = _map_keys(template) if isinstance(template, dict) else {}
    for name, decl in parameters.items():
        if not isinstance(decl, dict) or "Default" in decl:
            continue
        if name in map_keys:  # a key of the map it selects from, as its user would give
            values[name] = map_keys[name]
            continue
        named = _by_name(name, account) if decl.get("Type", "String") in (
            "String", "CommaDelimitedList") and "AllowedValues" not in decl else None
        values[name] = named if named is not None else _value(decl, account)
    return _distinct_subnets(values, account)


def _distinct_subnets(values: dict[str, str], account: dict[str, Any]) -> dict[str, str]:
    """Parameters each taking one subnet (Subnet1, Subnet2) get different ones, as a user
    gives them (a load balancer refuses two subnets of one zone)."""
    subnets = account["subnets"]
    # A list parameter named for one subnet (Subnet1: List<AWS::EC2::Subnet::Id>) too.
    singles = [name for name, value in values.items() if value == subnets[0] or (
        value == ",".join(subnets) and not name.lower().endswith(("s", "list")))]
    for index, name in enumerate(singles):
        values[name] = subnets[index % len(subnets)]
    return values


def _map_keys(template: dict[str, Any]) -> dict[str, str]:
    """Parameter -> the first top-level key of a map it is the FindInMap key of."""
    mappings = template.get("Mappings") or {}
    found: dict[str, str] = {}

    def walk(value: Any) -> None:
        if isinstance(value, Tagged):
            value = value.as_long()
        if isinstance(value, dict):
            args = value.get("Fn::FindInMap")
            if isinstance(args, list) and len(args) > 1 and isinstance(args[0], str):
                key = args[1].as_long() if isinstance(args[1], Tagged) else args[1]
                table = mappings.get(args[0])
                if isinstance(key, dict) and isinstance(key.get("Ref"), str) and table:
                    found.setdefault(key["Ref"], str(next(iter(table))))
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(template.get("Resources"))
    return found


def _value(decl: dict[str, Any], account: dict[str, Any]) -> str:
    allowed = decl.get("AllowedValues")
    if isinstance(allowed, list) and allowed:
        first = allowed[0]
        return ("true" if first else "false") if isinstance(first, bool) else str(first)
    kind = str(decl.get("Type", "String"))
    specific = _aws_specific(kind, account)
    if specific is not None:
        return specific
    if kind == "Number":
        return str(decl.get("MinValue", 1))
    if kind == "List<Number>":
        return "1,2"
    pattern = decl.get("AllowedPattern")
    low, high = int(decl.get("MinLength", 0)), int(decl.get("MaxLength", 10_000))
    for candidate in _STRINGS:
        if low <= len(candidate) <= high and (
                pattern is None or re.fullmatch(str(pattern), candidate)):
            return f"{candidate},{candidate}" if kind == "CommaDelimitedList" else candidate
    return "x" * max(low, 1)


def _aws_specific(kind: str, account: dict[str, Any]) -> str | None:
    single = {
        "AWS::EC2::VPC::Id": account["vpc"], "AWS::EC2::Subnet::Id": account["subnets"][0],
        "AWS::EC2::SecurityGroup::Id": account["security_group"],
        "AWS::EC2::KeyPair::KeyName": account["key_pair"],
        "AWS::EC2::AvailabilityZone::Name": account["zones"][0],
        "AWS::EC2::Image::Id": account["image"],
        "AWS::Route53::HostedZone::Id": account["hosted_zone"],
    }
    if kind in single:
        return str(single[kind])
    lists = {"AWS::EC2::Subnet::Id": account["subnets"],
             "AWS::EC2::AvailabilityZone::Name": account["zones"]}
    if kind.startswith("List<") and kind[5:-1] in single:
        return ",".join(lists.get(kind[5:-1], [single[kind[5:-1]]]))
    return None


def _by_name(name: str, account: dict[str, Any]) -> str | None:
    """A String parameter that by its name holds an ID of the account's network."""
    lowered = name.lower()
    if "routetable" in lowered:
        return ",".join(account["route_tables"]) if lowered.endswith("s") else \
            account["route_tables"][0]
    if "subnet" in lowered and "cidr" not in lowered:
        return ",".join(account["subnets"]) if lowered.endswith("s") else account["subnets"][0]
    if lowered.endswith(("vpc", "vpcid")):
        return str(account["vpc"])
    return None
