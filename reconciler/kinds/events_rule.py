"""AWS::Events::Rule: an EventBridge rule, its targets and tags. The physical ID is the rule
name (``bus/name`` on a bus other than the default one). A no-drift observe costs
DescribeRule, ListTargetsByRule (when Targets are declared) and ListTagsForResource.

PutRule replaces the whole rule, so a change to any rule field sends every field the
template declares; targets are put and the undeclared ones removed.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.kinds import mapper
from reconciler.kinds.base import Props
from reconciler.kinds.declared import Call, DeclaredKind, TagCalls

_RULE_FIELDS = ("Description", "EventPattern", "ScheduleExpression", "State", "RoleArn")
DEFAULT_BUS = "default"


def split(physical_id: str) -> tuple[str, str]:
    """(bus, rule name): rule names hold no "/", partner bus names may."""
    bus, _, name = physical_id.rpartition("/")
    return bus or DEFAULT_BUS, name


class Rule(DeclaredKind):
    type_name = "AWS::Events::Rule"
    managed_properties = frozenset({*_RULE_FIELDS, "Name", "EventBusName", "Targets", "Tags"})
    identifier_paths = frozenset({"/RoleArn", "/Targets/*/Arn", "/Targets/*/RoleArn"})
    replace_on = frozenset({"EventBusName"})  # a rule lives on one bus

    service, identifier, name = "events", "Name", "Name"
    read_call = Call("DescribeRule")
    create_call = Call("PutRule")
    delete_call = Call("DeleteRule")
    readers = {"Targets": "read_targets"}
    writers = {**dict.fromkeys(_RULE_FIELDS, "put_rule"), "Targets": "put_targets"}
    tag_calls = TagCalls("TagResource", "UntagResource", "ListTagsForResource",
                         resource="Arn", param="ResourceARN")
    gone_codes = ("ResourceNotFoundException",)

    def physical_id(self, props: Props) -> str | None:
        name, bus = props.get("Name"), props.get("EventBusName")
        if not isinstance(name, str):
            return None
        return name if bus in (None, DEFAULT_BUS) or not isinstance(bus, str) else f"{bus}/{name}"

    def read(self, physical_id: str) -> dict[str, Any] | None:
        bus, name = split(physical_id)
        return dict(self.client.describe_rule(Name=name, EventBusName=bus))

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        props = super().properties_from(resource, desired)
        pattern = props.get("EventPattern")
        if isinstance(pattern, str) and not isinstance(desired.get("EventPattern"), str):
            props["EventPattern"] = json.loads(pattern)  # declared as YAML: compare as data
        props["Name"], props["EventBusName"] = resource.get("Name"), resource.get(
            "EventBusName", DEFAULT_BUS)
        return props

    def read_targets(self, physical_id: str, want: Any) -> Any:
        bus, name = split(physical_id)
        targets = self.client.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]
        shape = self.operation("ListTargetsByRule").output_shape.members["Targets"]
        return mapper.from_api(targets, shape, want, {}, "/Targets")

    def put_rule(self, physical_id: str, values: Props, observed: Any) -> None:
        bus, name = split(physical_id)
        current = dict(observed.properties) if observed is not None else {}
        fields = {k: v for k, v in {**current, **values}.items()
                  if k in _RULE_FIELDS and v is not None}
        self.invoke(Call("PutRule", {"Name": name, "EventBusName": bus}), None, fields)

    def put_targets(self, physical_id: str, values: Props, observed: Any) -> None:
        bus, name = split(physical_id)
        want = values.get("Targets") or []
        have = self.client.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]
        stale = [t["Id"] for t in have if t["Id"] not in {w.get("Id") for w in want}]
        if stale:
            self.client.remove_targets(Rule=name, EventBusName=bus, Ids=stale)
        if want:
            self.invoke(Call("PutTargets", {"Rule": name, "EventBusName": bus}), None,
                        {"Targets": want})

    def delete(self, physical_id: str, desired: Props) -> None:
        bus, name = split(physical_id)
        with self.gone_is_done():
            ids = [t["Id"] for t in self.client.list_targets_by_rule(
                Rule=name, EventBusName=bus)["Targets"]]
            if ids:
                self.client.remove_targets(Rule=name, EventBusName=bus, Ids=ids)
            self.client.delete_rule(Name=name, EventBusName=bus)
