"""AWS::EC2::VPCGatewayAttachment: an internet gateway attached to a VPC.

Irregular: there is no attachment resource in the API, only the gateway's list of
attachments. The physical ID is ``<igw-id>|<vpc-id>``, known from the declared properties
before the create (so a lost AttachInternetGateway reply is found by observing it); both
are create-only (a change is a replace). A no-drift observe costs one
DescribeInternetGateways. Virtual private gateways (VpnGatewayId) are not managed: the
loader refuses the property.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from reconciler.kinds.base import Observation, Props
from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.ec2_vpc import default_vpc_ids
from reconciler.kinds.listing import pages

_SEPARATOR = "|"


class VpcGatewayAttachment(DeclaredKind):
    type_name = "AWS::EC2::VPCGatewayAttachment"
    managed_properties = frozenset({"VpcId", "InternetGatewayId"})
    # The schema leaves a gateway change to the update; AWS has no call to move one.
    replace_on = frozenset({"InternetGatewayId"})

    service, identifier = "ec2", "InternetGatewayId"
    read_call = Call("DescribeInternetGateways", id_member="InternetGatewayIds",
                     result="InternetGateways[0]", renames={"/VpcId": "Attachments"})
    create_call = Call("AttachInternetGateway")
    delete_call = Call("DetachInternetGateway")
    # Detached already, or the gateway is gone: nothing left to detach.
    gone_codes = ("InvalidInternetGatewayID.NotFound", "Gateway.NotAttached")
    # AWS refuses to detach while a NAT gateway (being deleted) still maps public addresses.
    transient_codes = {"DependencyViolation": ("mapped public address",)}

    def physical_id(self, props: Props) -> str | None:
        gateway, vpc = props.get("InternetGatewayId"), props.get("VpcId")
        if isinstance(gateway, str) and isinstance(vpc, str):
            return f"{gateway}{_SEPARATOR}{vpc}"
        return None

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        if "InternetGatewayId" not in props:
            return [("", "InternetGatewayId is required (VpnGatewayId is not supported)")]
        return []

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        gateway, _, vpc = physical_id.partition(_SEPARATOR)
        resource = self.read_or_none(gateway)
        attached = [a for a in (resource or {}).get("Attachments", [])
                    if a.get("VpcId") == vpc and a.get("State") in ("available", "attached")]
        if not attached:
            return None
        return Observation(physical_id, {"InternetGatewayId": gateway, "VpcId": vpc},
                           attributes={"Ref": physical_id, "AttachmentType": "InternetGateway"})

    def delete(self, physical_id: str, desired: Props) -> None:
        gateway, _, vpc = physical_id.partition(_SEPARATOR)
        try:
            self.invoke(self.delete_call, gateway, {"VpcId": vpc})
        except ClientError as exc:
            if not self._gone(exc):
                raise

    def list_physical_ids(self) -> list[str]:
        """Each gateway's attachment, but the default VPC's."""
        defaults = default_vpc_ids(self.client)
        return [f"{g['InternetGatewayId']}{_SEPARATOR}{a['VpcId']}"
                for page in pages(self.client, "DescribeInternetGateways", {})
                for g in page["InternetGateways"] for a in g.get("Attachments", ())
                if a.get("VpcId") and a["VpcId"] not in defaults]
