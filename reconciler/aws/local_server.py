"""The moto server that ``LocalAws`` runs, with the fixes the reference stack needs.

moto 5.2 gets two things about RDS Proxy target groups wrong that the reconciler relies
on: it refuses tag calls on them ("Invalid resource name"), which AWS tags like any RDS
resource (CloudFormation's schema declares them taggable, and without tags the reconciler
cannot prove it owns one); and asked about the target groups of a proxy that does not
exist, it fails with HTTP 500 instead of AWS's DBProxyNotFoundFault. EC2's
CreateSecurityGroup accepts a VPC that does not exist, where AWS answers
InvalidVpcID.NotFound (the chaos suite found a group made in a VPC the emulator had just
forgotten, which AWS refuses and the next run would have made right). And
DescribeSecurityGroupRules leaves out the Description of a rule whose peer is a security
group or a prefix list (AWS answers it for every rule), so such a rule's description would
read as drift on every plan. Its check that a log target's bucket policy lets S3 logging write reads
``Principal.Service``, ``Action`` and ``Resource`` as single strings only, so a policy
written with lists (as most are) is refused where AWS accepts it. ELBv2 drops a subnet
mapping's addresses (a network load balancer's Elastic IP, private IPv4 or IPv6 address)
and answers none in its AvailabilityZones, where AWS answers them as LoadBalancerAddresses;
and its CreateLoadBalancer takes two subnets of one zone, which AWS refuses (as moto's own
SetSubnets does). S3's GetBucketReplication answers each rule with a fixed Filter and
DeleteMarkerReplication and without the rest of what was put (SourceSelectionCriteria,
ExistingObjectReplication); AWS answers the rules as put. And its ACL answers name a
grant's first permission only (a canned ``log-delivery-write`` reads as READ_ACP alone),
where S3 answers one grant per grantee and permission.
These are fixed here, nothing else: everything else is moto as released.

Run as ``python -m reconciler.aws.local_server -H 127.0.0.1 -p PORT`` (moto_server's
arguments).
"""

from __future__ import annotations

import re
from typing import Any


def _tag_proxy_target_groups() -> None:
    from moto.rds import models

    backend = models.RDSBackend
    if getattr(backend, "_reconciler_target_group_tags", False):
        return
    original_init, original_find = backend.__init__, backend._find_resource

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.arn_regex = re.compile(self.arn_regex.pattern.replace(
            "|db-proxy|", "|db-proxy|target-group|"))

    def _find_resource(self: Any, resource_type: str, resource_name: str) -> Any:
        if resource_type == "target-group":
            for proxy in self.db_proxies.values():
                for group in proxy.proxy_target_groups.values():
                    if group.target_group_arn.endswith(f":{resource_name}"):
                        return group
        return original_find(self, resource_type, resource_name)

    backend.__init__ = __init__  # type: ignore[method-assign]
    backend._find_resource = _find_resource  # type: ignore[method-assign]
    for name in ("describe_db_proxy_target_groups", "describe_db_proxy_targets",
                 "register_db_proxy_targets", "deregister_db_proxy_targets",
                 "modify_db_proxy_target_group"):
        setattr(backend, name, _known_proxy(getattr(backend, name)))
    backend._reconciler_target_group_tags = True


def _known_proxy(method: Any) -> Any:
    """The target-group call, after AWS's answer for a proxy that does not exist."""
    from moto.rds.exceptions import DBProxyNotFoundFault

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        name = args[0] if args else kwargs.get("proxy_name", kwargs.get("db_proxy_name"))
        if name not in self.db_proxies:
            raise DBProxyNotFoundFault(str(name))
        return method(self, *args, **kwargs)

    return call


def _security_groups_need_their_vpc() -> None:
    from moto.ec2.exceptions import InvalidVPCIdError
    from moto.ec2.models.security_groups import SecurityGroupBackend

    original = SecurityGroupBackend.create_security_group
    if getattr(original, "_reconciler_checks_vpc", False):
        return

    def create_security_group(self: Any, name: str, description: str,
                              vpc_id: str | None = None, *args: Any, **kwargs: Any) -> Any:
        # (A new VPC's default group comes through here once the VPC is registered.)
        if vpc_id and vpc_id not in self.vpcs:
            raise InvalidVPCIdError(vpc_id)
        return original(self, name, description, vpc_id, *args, **kwargs)

    create_security_group._reconciler_checks_vpc = True  # type: ignore[attr-defined]
    SecurityGroupBackend.create_security_group = create_security_group  # type: ignore[method-assign]


def _describe_group_rule_descriptions() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule

    made = SecurityGroupRule.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        made(self, *args, **kwargs)
        # moto keeps only a prefix-list peer's ID (argument 8), not its description.
        peer = kwargs.get("prefix_list_id", args[7] if len(args) > 7 else None)
        self._prefix_list_description = (peer or {}).get("Description")

    def description(self: Any) -> str | None:
        # moto keeps a group peer's description with the peer, not in ip_range.
        return self.ip_range.get("Description") or self.source_group.get("Description") \
            or getattr(self, "_prefix_list_description", None)

    SecurityGroupRule.__init__ = init  # type: ignore[method-assign]
    SecurityGroupRule.description = property(description)  # type: ignore[method-assign,assignment]

    from moto.ec2.models.security_groups import SecurityGroup

    grouped = SecurityGroup._flattened_rules

    def flattened(self: Any, rules: list[Any]) -> Any:
        # DescribeSecurityGroups' permissions: a prefix-list peer with its description.
        views = grouped(self, rules)
        described = {(r.from_port, r.to_port, r.ip_protocol, r.prefix_list_id):
                     getattr(r, "_prefix_list_description", None)
                     for r in rules if r.prefix_list_id}
        for view in views:
            for peer in view.prefix_list_ids:
                text = described.get((view.from_port, view.to_port, view.ip_protocol,
                                      peer.get("PrefixListId")))
                if text:
                    peer["Description"] = text
        return views

    SecurityGroup._flattened_rules = flattened  # type: ignore[method-assign]


def _log_target_policies_with_lists() -> None:
    import json

    from moto.s3.models import FakeBucket

    def listed(value: Any) -> list[Any]:
        return value if isinstance(value, list) else [value]

    def allows_logging(target_bucket: Any, target_prefix: str | None) -> bool:
        if not target_bucket.policy:
            return False
        arn = f"arn:{target_bucket.partition}:s3:::{target_bucket.name}"
        wanted = {f"{arn}/{target_prefix or ''}*", f"{arn}/*", arn}
        for stmt in listed(json.loads(target_bucket.policy.decode()).get("Statement", [])):
            principal = stmt.get("Principal")
            services = listed(principal.get("Service")) if isinstance(principal, dict) else []
            if ("logging.s3.amazonaws.com" in services and stmt.get("Effect") == "Allow"
                    and {"s3:PutObject", "s3:*"} & set(listed(stmt.get("Action", [])))
                    and wanted & set(listed(stmt.get("Resource", [])))):
                return True
        return False

    FakeBucket._log_permissions_enabled_policy = staticmethod(allows_logging)  # type: ignore


_ADDRESS_KEYS = ("AllocationId", "PrivateIPv4Address", "IPv6Address")


def _load_balancer_addresses() -> None:
    from moto.elbv2 import models

    backend, balancer_class = models.ELBv2Backend, models.FakeLoadBalancer
    if getattr(backend, "_reconciler_addresses", False):
        return
    create, set_subnets = backend.create_load_balancer, backend.set_subnets

    def addresses(mappings: Any) -> dict[str, list[dict[str, str]]]:
        return {str(m["SubnetId"]): [{k: str(m[k]) for k in _ADDRESS_KEYS if m.get(k)}]
                for m in mappings or () if any(m.get(k) for k in _ADDRESS_KEYS)}

    def zone(balancer: Any, subnet: Any) -> Any:
        answer = models.AvailabilityZone(subnet)
        answer.load_balancer_addresses = getattr(balancer, "_addresses", {}).get(subnet.id, [])
        return answer

    def create_load_balancer(self: Any, *args: Any, **kwargs: Any) -> Any:
        from moto.elbv2.exceptions import ELBClientError

        subnets = [*(kwargs.get("subnet_ids") or ()),
                   *(m["SubnetId"] for m in kwargs.get("subnet_mappings") or ())]
        zones = [getattr(self.ec2_backend.get_subnet(s), "availability_zone", s)
                 for s in subnets]
        if len(set(zones)) < len(zones):
            raise ELBClientError("InvalidConfigurationRequest",
                                 "More than 1 subnet cannot be specified for 1 availability zone")
        balancer = create(self, *args, **kwargs)
        balancer._addresses = addresses(kwargs.get("subnet_mappings"))
        return balancer

    def set_subnets_kept(self: Any, arn: str, subnets: list[str],
                         subnet_mappings: list[dict[str, Any]]) -> Any:
        set_subnets(self, arn, subnets, subnet_mappings)
        balancer = self.load_balancers[arn]
        balancer._addresses = addresses(subnet_mappings)
        return [zone(balancer, subnet) for subnet in balancer.subnets]

    backend.create_load_balancer = create_load_balancer  # type: ignore[method-assign]
    backend.set_subnets = set_subnets_kept  # type: ignore[method-assign]
    balancer_class.availability_zones = property(  # type: ignore[method-assign,assignment]
        lambda self: [zone(self, subnet) for subnet in self.subnets])
    backend._reconciler_addresses = True


def _blanks(value: Any) -> Any:
    """Parsed XML as put: an empty element (``<Prefix></Prefix>``) is the empty string."""
    if isinstance(value, dict):
        return {k: _blanks(v) for k, v in value.items()}
    return "" if value is None else value


def _replication_rules_as_put() -> None:
    from moto.core.responses import ActionResult
    from moto.s3.exceptions import ReplicationConfigurationNotFoundError
    from moto.s3.responses import S3Response

    kept = ("Filter", "DeleteMarkerReplication", "SourceSelectionCriteria",
            "ExistingObjectReplication")

    def get_bucket_replication(self: Any) -> Any:
        # moto answers a fixed Filter and DeleteMarkerReplication and drops the rest of
        # each rule (SourceSelectionCriteria...); AWS answers the rules as they were put.
        self.data["Action"] = "GetBucketReplication"
        replication = self.backend.get_bucket_replication(self.bucket_name)
        if not replication:
            raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
        rules = [{"ID": rule["ID"], "Priority": rule["Priority"], "Status": rule["Status"],
                  "DeleteMarkerReplication": {"Status": "Disabled"},
                  "Filter": {"Prefix": ""}, "Destination": rule["Destination"],
                  **{key: _blanks(rule[key]) for key in kept if rule.get(key) is not None}}
                 for rule in replication["Rule"]]
        return self.serialized(ActionResult({"ReplicationConfiguration": {
            "Role": replication["Role"], "Rules": rules}}))

    S3Response.get_bucket_replication = get_bucket_replication  # type: ignore[method-assign]


def _acl_grant_per_permission() -> None:
    from moto.s3.responses import S3Response

    answer = S3Response._acl_to_dict

    def acl_to_dict(acl: Any) -> dict[str, Any]:
        # moto answers a grant's first permission only (log-delivery-write as READ_ACP
        # alone); S3 answers one grant per grantee and permission.
        return {**answer(acl), "Grants": [
            {"Grantee": {"Type": grantee.type, "URI": grantee.uri or None,
                         "ID": grantee.id or None,
                         "DisplayName": grantee.display_name or None},
             "Permission": permission}
            for grant in acl.grants for grantee in grant.grantees
            for permission in grant.permissions]}

    S3Response._acl_to_dict = staticmethod(acl_to_dict)  # type: ignore[method-assign,assignment]


def _cloudfront_origins_and_associations() -> None:
    from moto.cloudfront import models

    origin_init = models.Origin.__init__
    behaviour_init = models.DefaultCacheBehaviour.__init__

    def origin(self: Any, config: dict[str, Any]) -> None:
        origin_init(self, config)
        # moto keeps an S3 origin's access identity but answers no S3OriginConfig.
        if "S3OriginConfig" in config:
            self.s3_origin_config = {"OriginAccessIdentity": self.s3_access_identity}

    def behaviour(self: Any, config: dict[str, Any]) -> None:
        behaviour_init(self, config)
        # moto answers no Lambda@Edge associations, whatever was put.
        associations = config.get("LambdaFunctionAssociations")
        if isinstance(associations, dict) and associations.get("Quantity"):
            self.lambda_function_associations = associations

    models.Origin.__init__ = origin  # type: ignore[method-assign]
    models.DefaultCacheBehaviour.__init__ = behaviour  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    from moto.server import main as moto_main

    _tag_proxy_target_groups()
    _security_groups_need_their_vpc()
    _describe_group_rule_descriptions()
    _log_target_policies_with_lists()
    _load_balancer_addresses()
    _replication_rules_as_put()
    _acl_grant_per_permission()
    _cloudfront_origins_and_associations()
    moto_main(argv)


if __name__ == "__main__":
    main()
