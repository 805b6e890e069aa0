"""CloudFormation's AWS-specific parameter types (``AWS::EC2::VPC::Id``, ``List<...>``) and
the Parameter Store ones (``AWS::SSM::Parameter::Value<...>``).

Without a stack they mean what their value is: a string, or for ``List<...>`` a list of
strings. CloudFormation also checks that the named resource exists in the account before
a stack operation; the reconciler checks only the ID's form (``vpc-...``), and AWS refuses
an ID that names nothing when a resource using it is created. An
``AWS::SSM::Parameter::Value<T>`` parameter's value is the name of a Parameter Store
parameter, whose value (of type ``T``) is read each time the tree is loaded, as
CloudFormation reads it at each stack operation: a new AMI published under
``/aws/service/...`` is picked up by the next plan. ``AWS::SSM::Parameter::Name`` is the
name itself.
"""

from __future__ import annotations

import re

# Type -> what its ID looks like (None: any text).
SINGLE: dict[str, tuple[str, re.Pattern[str] | None]] = {
    "AWS::EC2::AvailabilityZone::Name": ("an availability zone", re.compile(r"[a-z0-9-]+")),
    "AWS::EC2::Image::Id": ("an AMI ID", re.compile(r"ami-[0-9a-f]+")),
    "AWS::EC2::Instance::Id": ("an instance ID", re.compile(r"i-[0-9a-f]+")),
    "AWS::EC2::KeyPair::KeyName": ("a key pair name", None),
    "AWS::EC2::SecurityGroup::GroupName": ("a security group name", None),
    "AWS::EC2::SecurityGroup::Id": ("a security group ID", re.compile(r"sg-[0-9a-f]+")),
    "AWS::EC2::Subnet::Id": ("a subnet ID", re.compile(r"subnet-[0-9a-f]+")),
    "AWS::EC2::Volume::Id": ("a volume ID", re.compile(r"vol-[0-9a-f]+")),
    "AWS::EC2::VPC::Id": ("a VPC ID", re.compile(r"vpc-[0-9a-f]+")),
    "AWS::Route53::HostedZone::Id": ("a hosted zone ID", re.compile(r"Z[0-9A-Z]+")),
}
LISTS = {f"List<{name}>": name for name in SINGLE if name != "AWS::EC2::KeyPair::KeyName"}
AWS_SPECIFIC = (*SINGLE, *LISTS)
# What the rule functions Fn::ValueOf / Fn::ValueOfAll read of the resource a value names
# (CloudFormation's "supported attributes"; ``Tags.<key>`` is the value of one tag).
RULE_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "AWS::EC2::VPC::Id": ("DefaultNetworkAcl", "DefaultSecurityGroup", "Tags.<key>"),
    "AWS::EC2::Subnet::Id": ("AvailabilityZone", "VpcId", "Tags.<key>"),
    "AWS::EC2::SecurityGroup::Id": ("Tags.<key>",),
}


def rule_attribute_problem(type_name: str, attribute: str) -> str | None:
    """Why Fn::ValueOf cannot read ``attribute`` of a value of ``type_name``, or None."""
    element = element_type(type_name)
    supported = RULE_ATTRIBUTES.get(element or "")
    if supported is None:
        return (f"rules read attributes of parameters of type "
                f"{', '.join(RULE_ATTRIBUTES)} (or a List of them), not {type_name}")
    if attribute in supported or (attribute.startswith("Tags.") and len(attribute) > 5):
        return None
    return f"{element} has no attribute {attribute!r} (attributes: {', '.join(supported)})"


def element_type(type_name: str) -> str | None:
    """The AWS-specific type of one value of ``type_name`` (itself, or a list's item)."""
    if type_name in SINGLE:
        return type_name
    return LISTS.get(type_name)


def form_problem(type_name: str, value: str) -> str | None:
    """Why ``value`` is not of the form of an AWS-specific type's value, or None."""
    what, pattern = SINGLE[type_name]
    if not value:
        return f"is empty, and {type_name} needs {what}"
    if pattern is not None and not pattern.fullmatch(value):
        return f"is not {what} ({type_name})"
    return None


SSM_NAME = "AWS::SSM::Parameter::Name"
_SSM_VALUE = re.compile(r"AWS::SSM::Parameter::Value<(.+)>")


def ssm_value_type(type_name: str) -> str | None:
    """``T`` of ``AWS::SSM::Parameter::Value<T>`` (``List<String>`` as CommaDelimitedList),
    when it is a type a parameter may have; else None."""
    match = _SSM_VALUE.fullmatch(type_name)
    if match is None:
        return None
    inner = "CommaDelimitedList" if match.group(1) == "List<String>" else match.group(1)
    return inner if inner in ("String", "CommaDelimitedList", *AWS_SPECIFIC) else None


def refusal(type_name: str) -> str | None:
    """Why a parameter type that CloudFormation knows is refused here, or None."""
    if type_name.startswith("AWS::SSM::Parameter::") and type_name != SSM_NAME \
            and ssm_value_type(type_name) is None:
        return (f"has Type {type_name!r}: a Parameter Store type takes String, "
                "List<String>, CommaDelimitedList or an AWS-specific type "
                "(AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>)")
    return None
