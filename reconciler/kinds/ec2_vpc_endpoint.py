"""AWS::EC2::VPCEndpoint: gateway endpoints (S3, DynamoDB) on route tables and interface
endpoints (Secrets Manager, KMS) in subnets with security groups.

A no-drift observe costs one DescribeVpcEndpoints (tags included). An endpoint whose State
is pending is Pending; a deleted one (EC2 keeps listing it for a while) is gone.
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.kinds.base import Observation, Props
from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.ec2_vpc import EC2_TAGS
from reconciler.kinds.listing import Listing

_LISTS = {"RouteTableIds": "RouteTableIds", "SubnetIds": "SubnetIds",
          "SecurityGroupIds": "SecurityGroupIds"}
_MODIFY_LISTS = "modify_lists"
_GONE_STATES = frozenset({"deleting", "deleted", "rejected", "failed", "expired"})


class VpcEndpoint(DeclaredKind):
    type_name = "AWS::EC2::VPCEndpoint"
    listing = Listing("ec2", "DescribeVpcEndpoints", "VpcEndpoints[?!contains("
                      "['deleted', 'Deleted', 'deleting', 'Deleting'], State)].VpcEndpointId")
    managed_properties = frozenset({
        "VpcId", "ServiceName", "VpcEndpointType", "RouteTableIds", "SubnetIds",
        "SecurityGroupIds", "PrivateDnsEnabled", "PolicyDocument", "Tags",
    })
    policy_paths = frozenset({"/PolicyDocument"})

    service, identifier = "ec2", "VpcEndpointId"
    read_call = Call("DescribeVpcEndpoints", id_member="VpcEndpointIds",
                     result="VpcEndpoints[0]")
    create_call = Call("CreateVpcEndpoint")
    created_id = "VpcEndpoint.VpcEndpointId"
    token_member = "ClientToken"  # taken, though the model does not mark it
    tag_spec = "vpc-endpoint"
    find_call = Call("DescribeVpcEndpoints", result="VpcEndpoints[].VpcEndpointId")
    delete_call = Call("DeleteVpcEndpoints", id_member="VpcEndpointIds")
    gone_codes = ("InvalidVpcEndpointId.NotFound",)
    property_paths = {"SecurityGroupIds": "Groups[].GroupId"}
    writers = {
        **dict.fromkeys(_LISTS, _MODIFY_LISTS),
        "PrivateDnsEnabled": Call("ModifyVpcEndpoint"),
        "PolicyDocument": Call("ModifyVpcEndpoint"),
    }
    tag_calls = EC2_TAGS
    attribute_paths = {"Id": "VpcEndpointId"}

    def exists(self, resource: dict[str, Any]) -> bool:
        return str(resource.get("State", "")).lower() not in _GONE_STATES

    def pending_reason(self, resource: dict[str, Any]) -> str | None:
        state = str(resource.get("State", ""))
        return f"State {state}" if state.lower() in ("pending", "pendingacceptance") else None

    def delete(self, physical_id: str, desired: Props) -> None:
        with self.gone_is_done():
            answer = self.client.delete_vpc_endpoints(VpcEndpointIds=[physical_id])
        # DeleteVpcEndpoints answers 200 and lists what it could not delete.
        failed = [u for u in answer.get("Unsuccessful", [])
                  if u.get("Error", {}).get("Code") not in self.gone_codes]
        if failed:
            error = failed[0].get("Error", {})
            raise ReconcilerError(f"DeleteVpcEndpoints {physical_id}: {error.get('Code')}: "
                                  f"{error.get('Message')}")

    def modify_lists(self, endpoint: str, values: Props, observed: Observation | None) -> None:
        """Route tables, subnets and security groups change by what to add and to remove."""
        have = observed.properties if observed is not None else {}
        args: dict[str, Any] = {}
        for prop, member in _LISTS.items():
            if prop not in values:
                continue
            want, now = set(values.get(prop) or []), set(have.get(prop) or [])
            if want - now:
                args[f"Add{member}"] = sorted(want - now)
            if now - want:
                args[f"Remove{member}"] = sorted(now - want)
        if args:
            self.client.modify_vpc_endpoint(VpcEndpointId=endpoint, **args)
