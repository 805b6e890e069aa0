"""``reconciler permissions``: the IAM policy the worker needs for the kinds in a tree.

CloudFormation's registry schemas list what each handler (create, read, update,
delete, list) calls and what tagging takes; the worker does the same work, so the
union of those, plus what a kind calls beyond them (checked by the contract suite,
which records every call of its round trips) and the identity check every command
makes, is its policy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.kinds.registry import catalog
from reconciler.kinds.schema import schema_for

POLICY_VERSION = "2012-10-17"
# check_aws and AWS::AccountId; who caused a drift (changed_by; without it, drift is reported
# all the same); the inventory's rebuild from ownership tags after damage.
ALWAYS = ("sts:GetCallerIdentity", "cloudtrail:LookupEvents", "tag:GetResources")
# Intrinsic functions whose value is read from AWS (runtime.PseudoParameters).
# Dynamic references read their values at apply (decrypting with the key that protects them).
# Rule functions reading what a parameter names (aws.parameter_attributes).
_RULE_READS = ("ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
               "ec2:DescribeNetworkAcls")
FUNCTION_ACTIONS = {
    "Fn::GetAZs": ("ec2:DescribeAvailabilityZones",),
    "Fn::ValueOf": _RULE_READS,
    "Fn::ValueOfAll": _RULE_READS,
    "{{resolve:secretsmanager}}": ("secretsmanager:GetSecretValue", "kms:Decrypt"),
    "{{resolve:ssm}}": ("ssm:GetParameter",),
    "{{resolve:ssm-secure}}": ("ssm:GetParameter", "kms:Decrypt"),
    # A parameter of type AWS::SSM::Parameter::Value<...> (aws.ssm_parameter_values).
    "AWS::SSM::Parameter::Value": ("ssm:GetParameter",),
}


def parameter_reads(parameters: Any) -> set[str]:
    """The FUNCTION_ACTIONS keys the template's parameter types read AWS for."""
    types = [p.get("Type") for p in (parameters or {}).values() if isinstance(p, dict)]
    return {"AWS::SSM::Parameter::Value" for t in types
            if isinstance(t, str) and t.startswith("AWS::SSM::Parameter::Value<")}


def actions_for(types: Iterable[str], functions: Iterable[str] = ()) -> list[str]:
    """Sorted and de-duplicated; service prefixes lowercased (IAM matches actions without
    regard to case, and the schemas are not consistent: ``CloudTrail:AddTags``).
    ``functions`` are the intrinsic functions the tree uses."""
    actions = list(ALWAYS)
    for function in set(functions):
        actions += FUNCTION_ACTIONS.get(function, ())
    kinds = catalog()
    for type_name in sorted(set(types)):
        if type_name in kinds:
            actions += kinds[type_name].permissions()
            continue
        try:  # vendored for a kind still to come: the schema's own list
            actions += schema_for(type_name).permissions()
        except FileNotFoundError:
            raise ReconcilerError(f"no vendored schema for {type_name}") from None
    found: dict[str, str] = {}
    for action in actions:
        service, _, name = action.partition(":")
        spelled = f"{service.lower()}:{name}"
        found.setdefault(spelled.lower(), spelled)
    return [found[key] for key in sorted(found)]


def policy(types: Iterable[str], functions: Iterable[str] = ()) -> dict[str, Any]:
    """An IAM policy document allowing every action the worker may call for ``types``."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [{"Effect": "Allow", "Action": actions_for(types, functions),
                       "Resource": "*"}],
    }
