"""What the rule functions Fn::ValueOf / Fn::ValueOfAll read: an attribute of the VPC,
subnet or security group a parameter names (template.parameter_types.RULE_ATTRIBUTES).

One Describe call per resource, remembered for the command (a rule that reads a subnet's
VpcId and its zone makes one call); a VPC's default network ACL and security group cost
one more call each, when asked. A resource that does not exist is a LookupError naming
it, as CloudFormation refuses a stack whose parameter names nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.eventual import error_code
from reconciler.errors import ReconcilerError

_DESCRIBE = {
    "AWS::EC2::VPC::Id": ("describe_vpcs", "VpcIds", "Vpcs"),
    "AWS::EC2::Subnet::Id": ("describe_subnets", "SubnetIds", "Subnets"),
    "AWS::EC2::SecurityGroup::Id": ("describe_security_groups", "GroupIds", "SecurityGroups"),
}


class ParameterAttributes:
    """``read(type, id, attribute)`` for one command; ``connect`` hands out the clients."""

    def __init__(self, connect: Callable[[], Any]):
        self._connect = connect
        self._seen: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def read(self, type_name: str, resource_id: str, attribute: str) -> Any:
        try:
            return self._read(type_name, resource_id, attribute)
        except (LookupError, ReconcilerError):
            raise
        except Exception as exc:  # no credentials, no network: say what needed AWS
            detail = " ".join(str(exc).split()) or type(exc).__name__
            raise ReconcilerError(f"Fn::ValueOf reads {resource_id} from AWS, which cannot "
                                  f"be reached: {detail} (give AWS credentials, or --local)"
                                  ) from exc

    def _read(self, type_name: str, resource_id: str, attribute: str) -> Any:
        resource = self._resource(type_name, resource_id)
        if attribute.startswith("Tags."):
            tags = {t["Key"]: t["Value"] for t in resource.get("Tags") or ()}
            return tags.get(attribute.removeprefix("Tags."))
        if attribute == "DefaultNetworkAcl":
            return self._default("describe_network_acls", "NetworkAcls", "NetworkAclId",
                                 resource_id, {"Name": "default", "Values": ["true"]})
        if attribute == "DefaultSecurityGroup":
            return self._default("describe_security_groups", "SecurityGroups", "GroupId",
                                 resource_id, {"Name": "group-name", "Values": ["default"]})
        return resource.get(attribute)

    def _resource(self, type_name: str, resource_id: str) -> dict[str, Any]:
        key = (type_name, resource_id)
        with self._lock:
            if key in self._seen:
                return self._seen[key]
        method, member, result = _DESCRIBE[type_name]
        try:
            found = getattr(self._connect().client("ec2"), method)(**{member: [resource_id]})
        except ClientError as exc:
            if error_code(exc).endswith(".NotFound") or error_code(exc).endswith(".Malformed"):
                raise LookupError(f"{resource_id} ({type_name}) does not exist in this "
                                  "account and region") from exc
            raise
        items = found.get(result) or []
        if not items:
            raise LookupError(f"{resource_id} ({type_name}) does not exist in this account "
                              "and region")
        with self._lock:
            self._seen[key] = items[0]
        return dict(items[0])

    def _default(self, method: str, result: str, member: str, vpc_id: str,
                 kind: dict[str, Any]) -> Any:
        found = getattr(self._connect().client("ec2"), method)(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, kind])
        items = found.get(result) or []
        return items[0][member] if items else None
