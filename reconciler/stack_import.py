"""``reconciler import --stack NAME``: move a live CloudFormation stack to the reconciler.

1. Read the stack: its original template, parameter values and resources (logical ID,
   type, physical ID).
2. Write a tree of the resources whose types the reconciler manages, each marked
   ``Adopt: true``. A ``Ref`` to a resource left out becomes its physical ID; a
   ``Fn::GetAtt`` of one becomes a parameter to fill in, listed in the report.
   Parameters default to the stack's values (NoEcho ones cannot be read back: listed).
3. Record each managed resource in the state store's inventory under the stack's
   physical ID, once observing it by that ID finds it: the next plan compares, it never
   creates. A resource it cannot find that way is listed, not recorded.
4. With ``--release``: a stack update puts ``DeletionPolicy: Retain`` on every resource
   (also those left out: nothing is lost), the stack is deleted, and the recorded
   resources get the ownership tags. Nothing is recreated: same physical IDs, same ARNs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.clients import AwsClients
from reconciler.aws.normalize import LOGICAL_ID_TAG, OWNER_TAG
from reconciler.engine.planned import default_deletion_policy
from reconciler.errors import ReconcilerError
from reconciler.kinds.base import Kind
from reconciler.output.render import plain, to_yaml
from reconciler.state.base import InventoryRow, Store
from reconciler.template import yaml_source
from reconciler.template.intrinsics import function_name, sub_arguments, sub_parts

_CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


@dataclass
class ImportReport:
    stack: str
    out: Path
    recorded: list[str] = field(default_factory=list)  # managed and found by physical ID
    # Managed, not recorded: not found by that ID, or the read failed (why).
    not_found: list[tuple[str, str]] = field(default_factory=list)
    left_out: list[tuple[str, str, str]] = field(default_factory=list)  # id, type, physical
    to_fill: list[str] = field(default_factory=list)  # parameters with no value
    released: bool = False

    def text(self) -> str:
        lines = [f"stack {self.stack}: tree written to {self.out}",
                 f"  {len(self.recorded)} resources recorded as owned (plan compares them, "
                 "never recreates them)"]
        lines += [f"  not recorded: {lid}: {why}" for lid, why in self.not_found]
        lines += [f"  left out (type not managed, kept in AWS): {lid} {type_name} "
                  f"{physical}" for lid, type_name, physical in self.left_out]
        lines += [f"  parameter without a value, give it with --parameter: {name}"
                  for name in self.to_fill]
        if self.released:
            lines.append(f"  released: every resource retained, stack {self.stack} deleted, "
                         "ownership tags set")
        else:
            lines += ["To release the resources from the stack without deleting them:",
                      f"  1. update stack {self.stack} with DeletionPolicy: Retain on every "
                      "resource (same template and parameters otherwise)",
                      f"  2. delete stack {self.stack}",
                      "  3. reconciler apply the tree (it sets the ownership tags)",
                      "or run this command again with --release."]
        return "\n".join(lines) + "\n"


def read_stack(clients: AwsClients, name: str) -> tuple[dict[str, Any], dict[str, Any],
                                                       dict[str, tuple[str, str]]]:
    """(template, stack description, logical ID -> (type, physical ID))."""
    cf = clients.client("cloudformation")
    try:
        body = cf.get_template(StackName=name, TemplateStage="Original")["TemplateBody"]
    except ClientError as error:
        detail = error.response.get("Error", {})
        raise ReconcilerError(f"stack {name}: {detail.get('Code')}: "
                              f"{detail.get('Message')}") from None
    if isinstance(body, str):
        template, problems = yaml_source.parse(body, is_json=body.lstrip().startswith("{"))
        if problems:
            line, message = problems[0]
            raise ReconcilerError(f"stack {name}: its template cannot be read (line {line}: "
                                  f"{message})")
    else:
        template = body
    template = plain(template)
    if not isinstance(template, dict) or "Transform" in template:
        raise ReconcilerError(f"stack {name}: a template with a Transform (SAM, macros) "
                              "cannot be imported; import the processed stack's resources "
                              "by type instead")
    stack = cf.describe_stacks(StackName=name)["Stacks"][0]
    resources: dict[str, tuple[str, str]] = {}
    for page in cf.get_paginator("list_stack_resources").paginate(StackName=name):
        for summary in page["StackResourceSummaries"]:
            resources[summary["LogicalResourceId"]] = (
                summary["ResourceType"], summary.get("PhysicalResourceId", ""))
    return template, stack, resources


def write_tree(template: dict[str, Any], stack: dict[str, Any],
               resources: Mapping[str, tuple[str, str]], managed: Callable[[str], bool],
               report: ImportReport) -> dict[str, Any]:
    left_out = {lid: physical for lid, (type_name, physical) in resources.items()
                if not managed(type_name)}
    report.left_out = [(lid, resources[lid][0], left_out[lid]) for lid in sorted(left_out)]
    rewriter = _Rewriter(left_out)
    tree: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09"}
    if isinstance(template.get("Description"), str):
        tree["Description"] = template["Description"]
    values = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])}
    parameters = {}
    for name, body in (template.get("Parameters") or {}).items():
        body = dict(body)
        value = values.get(name)
        if body.get("NoEcho") and value is not None and set(value) == {"*"}:
            body.pop("Default", None)  # AWS masks it: the user gives it
            report.to_fill.append(name)
        elif value is not None:
            body["Default"] = value
        parameters[name] = body
    for section in ("Mappings", "Conditions", "Rules"):
        if template.get(section):
            tree[section] = template[section]
    out_resources = {}
    for lid, body in (template.get("Resources") or {}).items():
        if lid in left_out or not managed(str(body.get("Type"))):
            continue
        body = rewriter.value(dict(body))
        depends = body.get("DependsOn")
        if depends is not None:
            kept = [d for d in ([depends] if isinstance(depends, str) else depends)
                    if d not in left_out]
            if kept:
                body["DependsOn"] = kept
            else:
                body.pop("DependsOn")
        metadata = dict(body.get("Metadata") or {})
        metadata["Reconciler"] = {**(metadata.get("Reconciler") or {}), "Adopt": True}
        body["Metadata"] = metadata
        out_resources[lid] = body
    for name, (lid, attribute) in rewriter.attributes.items():
        parameters[name] = {"Type": "String", "Description": (
            f"was !GetAtt {lid}.{attribute}: {lid} ({resources[lid][0]}) is not managed by "
            "the reconciler")}
        report.to_fill.append(name)
    if parameters:
        tree["Parameters"] = parameters
    tree["Resources"] = out_resources
    if template.get("Outputs"):
        tree["Outputs"] = rewriter.value(template["Outputs"])
    return tree


class _Rewriter:
    """Replaces references to resources left out of the tree."""

    def __init__(self, left_out: Mapping[str, str]):
        self.left_out = left_out
        self.attributes: dict[str, tuple[str, str]] = {}  # new parameter -> (lid, attribute)

    def value(self, value: Any) -> Any:
        name = function_name(value)
        if name == "Ref" and value["Ref"] in self.left_out:
            return self.left_out[value["Ref"]]
        if name == "Fn::GetAtt":
            arg = value[name]
            lid, attribute = arg.split(".", 1) if isinstance(arg, str) else (arg[0], arg[1])
            if lid in self.left_out:
                return {"Ref": self._parameter(lid, str(attribute))}
        if name == "Fn::Sub":
            return {"Fn::Sub": self._sub(value[name])}
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value

    def _sub(self, arg: Any) -> Any:
        parsed = sub_arguments(arg)
        if parsed is None:
            return arg
        text, variables = parsed
        out = []
        for is_variable, part in sub_parts(text):
            if not is_variable or part in variables:
                out.append("${" + part + "}" if is_variable else part.replace("${", "${!"))
                continue
            lid, _, attribute = part.partition(".")
            if lid in self.left_out and not attribute:
                out.append(self.left_out[lid])
            elif lid in self.left_out:
                out.append("${" + self._parameter(lid, attribute) + "}")
            else:
                out.append("${" + part + "}")
        rewritten = "".join(out)
        if variables:
            return [rewritten, {k: self.value(v) for k, v in variables.items()}]
        return rewritten

    def _parameter(self, lid: str, attribute: str) -> str:
        name = re.sub(r"[^A-Za-z0-9]", "", f"{lid}{attribute}")
        self.attributes[name] = (lid, attribute)
        return name


def record_owned(tree: dict[str, Any], resources: Mapping[str, tuple[str, str]],
                 kinds: Callable[[str], Kind], store: Store, owner: str,
                 report: ImportReport) -> None:
    """Inventory rows for the managed resources their physical ID finds."""
    for lid, body in tree["Resources"].items():
        type_name, physical = resources[lid]
        kind = kinds(type_name)
        try:
            found = kind.observe(physical, {}) if physical else None
        except Exception as error:  # one resource alone: the rest is still recorded
            report.not_found.append((lid, f"reading it by {physical!r} failed: "
                                          f"{' '.join(str(error).split())[:300]}"))
            continue
        if found is None:
            report.not_found.append((lid, f"not found by its CloudFormation physical ID "
                                          f"{physical!r}"))
            continue
        store.put_inventory(InventoryRow(
            logical_id=lid, type=type_name, physical_id=found.physical_id, owner=owner,
            revision=None, state="present",
            deletion_policy=body.get("DeletionPolicy") or default_deletion_policy(type(kind)),
            mode=None, properties={}, depends_on=[]))
        report.recorded.append(lid)


def release(clients: AwsClients, name: str, template: dict[str, Any],
            stack: dict[str, Any], kinds: Callable[[str], Kind], owner: str,
            recorded: Mapping[str, tuple[str, str]]) -> None:
    """Retain every resource through a stack update, delete the stack, tag what is owned.
    An interactive one-off: it waits for CloudFormation, unlike a reconcile."""
    cf = clients.client("cloudformation")
    retained = json.loads(json.dumps(template))
    for body in retained.get("Resources", {}).values():
        body["DeletionPolicy"] = "Retain"
        body["UpdateReplacePolicy"] = "Retain"
    parameters = [{"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
                  for p in stack.get("Parameters", [])]
    try:
        cf.update_stack(StackName=name, TemplateBody=json.dumps(retained),
                        Parameters=parameters, Capabilities=_CAPABILITIES)
        cf.get_waiter("stack_update_complete").wait(StackName=name)
    except Exception as error:
        if "No updates are to be performed" not in str(error):
            raise ReconcilerError(f"stack {name}: the update retaining its resources "
                                  f"failed: {error}; nothing was deleted") from error
    cf.delete_stack(StackName=name)
    cf.get_waiter("stack_delete_complete").wait(StackName=name)
    for lid, (type_name, physical) in recorded.items():
        kind = kinds(type_name)
        if kind.taggable:
            kind.set_tags(physical, {OWNER_TAG: owner, LOGICAL_ID_TAG: lid}, [])


def write(tree: dict[str, Any], out: Path, stack_name: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{stack_name}.yaml"
    header = (f"# Imported from CloudFormation stack {stack_name} by `reconciler import`.\n"
              "# Parameters default to the stack's values.\n")
    path.write_text(header + to_yaml(tree))
    return path


