"""AWS::EC2::NatGateway: one per availability zone (ADR-004), in a public subnet.

A no-drift observe costs one DescribeNatGateways (tags included). CreateNatGateway takes
the create intent's idempotency token; a lost reply is also found by the ownership tags.

AWS takes minutes to make a gateway: while its State is ``pending`` the observation is
pending ("State pending") and the engine holds its dependents (the private subnets'
routes). A ``deleting`` or ``deleted`` gateway no longer exists. A ``failed`` one is not
an existing gateway either, but it is not silently replaced: observing it raises
``NatGatewayFailed`` with AWS's FailureCode and FailureMessage, so the resource shows as
an error with AWS's reason on every pass (dependents skipped) instead of a new failed
gateway being made on each. AWS drops failed gateways after about an hour; once it has
(or once someone deletes the failed one), the next pass creates a new gateway.
"""

from __future__ import annotations

from typing import Any

from reconciler.aws.normalize import LOGICAL_ID_TAG, OWNER_TAG
from reconciler.errors import ReconcilerError
from reconciler.kinds import mapper
from reconciler.kinds.base import Observation, Props
from reconciler.kinds.declared import Call, DeclaredKind, owned_by
from reconciler.kinds.ec2_vpc import EC2_TAGS
from reconciler.kinds.listing import Listing

_LIVE = ("pending", "available")
# What AWS answers for a gateway that AWS's own dependency rules say must come first.
_HINTS = {"Gateway.NotAttached": " (declare DependsOn: the VPCGatewayAttachment of the "
                                 "VPC's internet gateway)"}


class NatGatewayFailed(ReconcilerError):
    """AWS could not make the gateway (State failed): its FailureCode and FailureMessage."""


class NatGateway(DeclaredKind):
    type_name = "AWS::EC2::NatGateway"
    listing = Listing("ec2", "DescribeNatGateways", "NatGateways[?!contains("
                      "['deleted', 'deleting', 'failed'], State)].NatGatewayId")
    managed_properties = frozenset({"SubnetId", "AllocationId", "ConnectivityType", "Tags"})

    service, identifier = "ec2", "NatGatewayId"
    # The gateway's addresses carry the allocation ID (properties_from takes the primary's).
    read_call = Call("DescribeNatGateways", id_member="NatGatewayIds", result="NatGateways[0]",
                     renames={"/AllocationId": "NatGatewayAddresses"})
    create_call = Call("CreateNatGateway")
    created_id = "NatGateway.NatGatewayId"
    tag_spec = "natgateway"
    delete_call = Call("DeleteNatGateway")
    gone_codes = ("NatGatewayNotFound", "InvalidNatGatewayID.NotFound")
    tag_calls = EC2_TAGS
    attribute_paths = {"EniId": "NatGatewayAddresses[0].NetworkInterfaceId"}

    def exists(self, resource: dict[str, Any]) -> bool:
        return resource.get("State") in _LIVE

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        """One DescribeNatGateways: pending while State is pending; a failed gateway raises
        NatGatewayFailed (see the module docstring)."""
        resource = self.read_or_none(physical_id)
        if resource is None:
            return None
        state = resource.get("State")
        if state == "failed":
            code = resource.get("FailureCode") or "unknown"
            raise NatGatewayFailed(
                f"NAT gateway {physical_id} failed: {code}: "
                f"{resource.get('FailureMessage') or 'no message'}{_HINTS.get(code, '')}; "
                "a new one is created once AWS drops the failed one (about an hour) or it "
                "is deleted")
        if not self.exists(resource):
            return None
        return Observation(physical_id, self.properties_from(resource, desired),
                           self.read_tags(physical_id, resource),
                           self.attributes_from(resource, physical_id),
                           pending=f"State {state}" if state == "pending" else None)

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        props = super().properties_from(resource, desired)
        addresses = resource.get("NatGatewayAddresses") or []
        primary = next((a for a in addresses if a.get("IsPrimary")),
                       addresses[0] if addresses else {})
        allocation = primary.get("AllocationId")
        props.pop("AllocationId", None)
        if allocation is not None or "AllocationId" in desired:
            props["AllocationId"] = allocation
        return props

    def find(self, owner: str, logical_id: str) -> str | None:
        """A live gateway carrying our ownership tags. DescribeNatGateways names its filters
        ``Filter``; the tags are checked again here (moto ignores tag filters on it)."""
        filters = [{"Name": f"tag:{OWNER_TAG}", "Values": [owner]},
                   {"Name": f"tag:{LOGICAL_ID_TAG}", "Values": [logical_id]},
                   {"Name": "state", "Values": list(_LIVE)}]
        response = self.invoke(Call("DescribeNatGateways", {"Filter": filters}), None,
                               reading=True)
        for gateway in response.get("NatGateways", []):
            if gateway.get("State") in _LIVE and owned_by(
                    mapper.tags_from_api(gateway.get("Tags")), owner, logical_id):
                return str(gateway["NatGatewayId"])
        return None
