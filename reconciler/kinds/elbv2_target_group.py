"""AWS::ElasticLoadBalancingV2::TargetGroup: where a listener sends requests (a Lambda
function for Ryuzen; instances or IP addresses too).

A no-drift observe costs one DescribeTargetGroups and one DescribeTags, plus
DescribeTargetGroupAttributes when TargetGroupAttributes is declared (declared keys only)
and DescribeTargetHealth when Targets is declared. Targets are then exact and compared
as a set: a target registered or deregistered out of band is drift. Physical ID the
ARN; ``Name`` finds it before (see elbv2_common). A Lambda target needs a
``lambda:InvokeFunction`` permission for ``elasticloadbalancing.amazonaws.com`` (an
``AWS::Lambda::Permission``, with DependsOn from the target group) or AWS refuses it.
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds.base import Observation, Props, is_intrinsic
from reconciler.kinds.declared import Call
from reconciler.kinds.elbv2_common import ELBV2_TAGS, NamedByArn, attributes_as_declared
from reconciler.kinds.listing import Listing

_HEALTH = Call("ModifyTargetGroup")  # one call for every health check setting
_TARGET_KEYS = ("Id", "Port", "AvailabilityZone")
# Targets being deregistered are no longer the group's ("unused" ones still are).
_LEAVING = frozenset({"draining"})
# Port, Protocol and VpcId: for instance, ip and alb targets, never for Lambda.
_NETWORK = ("Port", "Protocol", "VpcId")


class TargetGroup(NamedByArn):
    type_name = "AWS::ElasticLoadBalancingV2::TargetGroup"
    listing = Listing("elbv2", "DescribeTargetGroups", "TargetGroups[].TargetGroupArn")
    managed_properties = frozenset({
        "Name", "TargetType", "Port", "Protocol", "ProtocolVersion", "VpcId", "IpAddressType",
        "HealthCheckEnabled", "HealthCheckIntervalSeconds", "HealthCheckPath",
        "HealthCheckPort", "HealthCheckProtocol", "HealthCheckTimeoutSeconds",
        "HealthyThresholdCount", "UnhealthyThresholdCount", "Matcher",
        "TargetGroupAttributes", "Targets", "Tags",
    })
    exact_paths = frozenset({"/Targets"})

    service, identifier = "elbv2", "TargetGroupArn"
    read_call = Call("DescribeTargetGroups", id_member="TargetGroupArns",
                     result="TargetGroups[0]", renames={"/Name": "TargetGroupName"})
    by_name = Call("DescribeTargetGroups", result="TargetGroups[0].TargetGroupArn")
    create_call = Call("CreateTargetGroup")
    created_id = "TargetGroups[0].TargetGroupArn"
    delete_call = Call("DeleteTargetGroup")
    gone_codes = ("TargetGroupNotFound",)
    # A listener just deleted may hold the group for a moment.
    transient_codes = {"ResourceInUse": ()}
    readers = {"TargetGroupAttributes": "read_attributes", "Targets": "read_targets"}
    writers = {
        **{p: _HEALTH for p in (
            "HealthCheckEnabled", "HealthCheckIntervalSeconds", "HealthCheckPath",
            "HealthCheckPort", "HealthCheckProtocol", "HealthCheckTimeoutSeconds",
            "HealthyThresholdCount", "UnhealthyThresholdCount", "Matcher")},
        "TargetGroupAttributes": Call(
            "ModifyTargetGroupAttributes", renames={"/TargetGroupAttributes": "Attributes"}),
        "Targets": "write_targets",
    }
    tag_calls = ELBV2_TAGS
    attribute_paths = {"TargetGroupFullName": "TargetGroupArn"}
    ref_attribute = "TargetGroupArn"

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        """AWS's rules for target types, which the local emulator does not check."""
        target_type = props.get("TargetType", "instance")
        if is_intrinsic(target_type):
            return []
        problems = []
        if target_type == "lambda":
            problems += [(f"/{p}", "is not allowed for a lambda target group")
                         for p in _NETWORK if p in props]
            targets = props.get("Targets")
            if isinstance(targets, list) and len(targets) > 1:
                problems.append(("/Targets", "a lambda target group takes one target"))
            if isinstance(targets, list):
                problems += [(f"/Targets/{i}/Port", "is not allowed for a Lambda target")
                             for i, t in enumerate(targets) if isinstance(t, dict)
                             and "Port" in t]
        else:
            problems += [(f"/{p}", f"is required for a {target_type} target group")
                         for p in _NETWORK if p not in props]
        return problems

    def attributes_from(self, resource: dict[str, Any], physical_id: str) -> dict[str, Any]:
        out = super().attributes_from(resource, physical_id)
        # CloudFormation's TargetGroupFullName is the ARN's tail: targetgroup/<name>/<id>.
        arn = str(resource.get("TargetGroupArn", physical_id))
        out["TargetGroupFullName"] = "targetgroup/" + arn.partition(":targetgroup/")[2]
        return out

    def read_attributes(self, physical_id: str, want: Any) -> list[dict[str, Any]] | None:
        response = self.invoke(Call("DescribeTargetGroupAttributes"), physical_id,
                               reading=True)
        return attributes_as_declared(response.get("Attributes"), want)

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        observed = super().observe(physical_id, desired)
        if observed is not None and isinstance(observed.properties.get("Targets"), list):
            observed.properties["Targets"] = _ports_as_declared(
                observed.properties["Targets"], desired.get("Targets"),
                observed.properties.get("Port"))
        return observed

    def read_targets(self, physical_id: str, want: Any) -> list[dict[str, Any]]:
        """The registered targets, each with the keys some declared target names."""
        declared = {k for t in want or () if isinstance(t, dict) for k in t}
        return [{k: v for k, v in t.items() if k in declared}
                for t in self._registered(physical_id)]

    def write_targets(self, physical_id: str, values: Props, observed: Observation | None,
                      ) -> None:
        """Register what is declared and missing, deregister what is there undeclared."""
        want = [{k: t[k] for k in _TARGET_KEYS if k in t} for t in values.get("Targets") or ()]
        have = self._registered(physical_id)

        def declared_like(target: dict[str, Any]) -> bool:
            return any(all(target.get(k) == w[k] for k in w) for w in want)

        port = observed.properties.get("Port") if observed else None
        have_like = _ports_as_declared(have, want, port)
        leaving = [t for t, like in zip(have, have_like, strict=True) if not declared_like(like)]
        arriving = [w for w in want
                    if not any(all(t.get(k) == w[k] for k in w) for t in have_like)]
        if leaving:
            self.invoke(Call("DeregisterTargets"), physical_id, {"Targets": leaving})
        if arriving:
            self.invoke(Call("RegisterTargets"), physical_id, {"Targets": arriving})

    def _registered(self, physical_id: str) -> list[dict[str, Any]]:
        response = self.invoke(Call("DescribeTargetHealth"), physical_id, reading=True)
        return [{k: d["Target"][k] for k in _TARGET_KEYS if k in d["Target"]}
                for d in response.get("TargetHealthDescriptions", ())
                if (d.get("TargetHealth") or {}).get("State") not in _LEAVING]


def _ports_as_declared(targets: list[dict[str, Any]], declared: Any,
                       port: Any) -> list[dict[str, Any]]:
    """A target declared without Port takes the group's: read it back without one."""
    portless = {t.get("Id") for t in declared or () if isinstance(t, dict) and "Port" not in t}
    return [{k: v for k, v in t.items() if not (k == "Port" and v == port
                                                 and t.get("Id") in portless)}
            for t in targets]
