"""AWS::ElasticLoadBalancingV2::LoadBalancer: an application load balancer (ADR-007), or a
network load balancer with its subnet mappings (Elastic IPs, private addresses; see
elbv2_subnet_mappings).

A no-drift observe costs one DescribeLoadBalancers and one DescribeTags, plus
DescribeLoadBalancerAttributes when LoadBalancerAttributes is declared (only the declared
keys are read: the rest are AWS's defaults). Physical ID the ARN; ``Name`` finds it before
(see elbv2_common).

AWS takes minutes to provision a load balancer: while its State is ``provisioning`` the
observation is pending and the engine holds its dependents (listeners, the WAF
association). A ``failed`` one is an error with AWS's reason, not a missing one (which
would make another on every pass).
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.kinds import elbv2_subnet_mappings as mappings
from reconciler.kinds.base import Observation, Props
from reconciler.kinds.declared import Call
from reconciler.kinds.elbv2_common import ELBV2_TAGS, NamedByArn, attributes_as_declared
from reconciler.kinds.listing import Listing


class LoadBalancerFailed(ReconcilerError):
    """AWS could not provision the load balancer (State failed)."""


class LoadBalancer(NamedByArn):
    type_name = "AWS::ElasticLoadBalancingV2::LoadBalancer"
    listing = Listing("elbv2", "DescribeLoadBalancers", "LoadBalancers[].LoadBalancerArn")
    managed_properties = frozenset({
        "Name", "Type", "Scheme", "Subnets", "SubnetMappings", "SecurityGroups",
        "IpAddressType", "LoadBalancerAttributes", "Tags",
    })
    # CloudFormation documents SecurityGroups as a return value too.
    extra_attributes = frozenset({"SecurityGroups"})

    service, identifier = "elbv2", "LoadBalancerArn"
    read_call = Call("DescribeLoadBalancers", id_member="LoadBalancerArns",
                     result="LoadBalancers[0]", renames={"/Name": "LoadBalancerName"})
    by_name = Call("DescribeLoadBalancers", result="LoadBalancers[0].LoadBalancerArn")
    property_paths = {"Subnets": "AvailabilityZones[].SubnetId",
                      "SubnetMappings": "AvailabilityZones"}  # cut in properties_from
    create_call = Call("CreateLoadBalancer")
    created_id = "LoadBalancers[0].LoadBalancerArn"
    delete_call = Call("DeleteLoadBalancer")
    gone_codes = ("LoadBalancerNotFound",)
    readers = {"LoadBalancerAttributes": "read_attributes"}
    writers = {
        "Subnets": Call("SetSubnets"),
        "SubnetMappings": Call("SetSubnets"),
        "SecurityGroups": Call("SetSecurityGroups"),
        "IpAddressType": Call("SetIpAddressType"),
        "LoadBalancerAttributes": Call(
            "ModifyLoadBalancerAttributes", renames={"/LoadBalancerAttributes": "Attributes"}),
    }
    tag_calls = ELBV2_TAGS
    attribute_paths = {"CanonicalHostedZoneID": "CanonicalHostedZoneId",
                       "LoadBalancerFullName": "LoadBalancerArn"}
    ref_attribute = "LoadBalancerArn"

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        """What AWS refuses and the local emulator accepts: an application load balancer in
        fewer than two subnets (AWS wants two zones; the schema refuses a subnet twice)."""
        found = mappings.problems(props)
        if "Subnets" not in props and "SubnetMappings" not in props:
            found.append(("", "declare Subnets or SubnetMappings"))
        if props.get("Type", "application") != "application":
            return found
        for prop in ("Subnets", "SubnetMappings"):
            subnets = props.get(prop)
            if isinstance(subnets, list) and len(subnets) < 2:
                found.append((f"/{prop}", "an application load balancer needs subnets in at "
                                          "least two availability zones"))
        return found

    def replacing(self, desired: Props, observed: Props, changed: frozenset[str],
                  ) -> frozenset[str]:
        """A network load balancer's subnet that stays with other addresses: replaced."""
        if "SubnetMappings" not in changed or desired.get("Type") in (None, "application"):
            return frozenset()
        kept = mappings.readdressed(desired.get("SubnetMappings"),
                                    observed.get("SubnetMappings"))
        return frozenset({"SubnetMappings"}) if kept else frozenset()

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        props = super().properties_from(resource, desired)
        props.pop("SubnetMappings", None)
        if "SubnetMappings" in desired:
            props["SubnetMappings"] = mappings.as_declared(resource.get("AvailabilityZones"),
                                                           desired["SubnetMappings"])
        return props

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        observed = super().observe(physical_id, desired)
        if observed is not None and (observed.pending or "").startswith("State failed"):
            raise LoadBalancerFailed(f"load balancer {observed.physical_id}: {observed.pending}"
                                     "; delete it to let the next pass make another")
        return observed

    def pending_reason(self, resource: dict[str, Any]) -> str | None:
        state = resource.get("State") or {}
        if state.get("Code") == "provisioning":
            return "State provisioning"
        if state.get("Code") == "failed":
            return f"State failed: {state.get('Reason') or 'no reason given'}"
        return None

    def attributes_from(self, resource: dict[str, Any], physical_id: str) -> dict[str, Any]:
        out = super().attributes_from(resource, physical_id)
        # CloudFormation's LoadBalancerFullName is the ARN's tail: app/<name>/<id>.
        arn = str(resource.get("LoadBalancerArn", physical_id))
        out["LoadBalancerFullName"] = arn.partition(":loadbalancer/")[2]
        return out

    def read_attributes(self, physical_id: str, want: Any) -> list[dict[str, Any]] | None:
        response = self.invoke(Call("DescribeLoadBalancerAttributes"), physical_id,
                               reading=True)
        return attributes_as_declared(response.get("Attributes"), want)
