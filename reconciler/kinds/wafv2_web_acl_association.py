"""AWS::WAFv2::WebACLAssociation: a web ACL in front of a regional resource (the ALB).

The physical ID is ``<ResourceArn>|<WebACLArn>``, known from the declared properties, so a
lost AssociateWebACL reply is found by observing it. A no-drift observe costs one
GetWebACLForResource (ListResourcesForWebACL would answer per web ACL; the local emulator
lacks it). Both properties are create-only: any change is a replace. Untaggable.
"""

from __future__ import annotations

import re

from reconciler.errors import ReconcilerError
from reconciler.kinds.base import Observation, Props
from reconciler.kinds.declared import Call, DeclaredKind

_SEPARATOR = "|"
_REGIONAL_ACL = re.compile(r"^arn:[\w-]+:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/[\w-]+/[\w-]+$")
# Regional resources WAF protects: application load balancers, API Gateway stages, AppSync
# APIs, Cognito user pools, App Runner services, Verified Access instances, Amplify apps.
_PROTECTABLE = re.compile(
    r"^arn:[\w-]+:(elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer/app/"
    r"|apigateway:[a-z0-9-]+::/restapis/.+/stages/|appsync:|cognito-idp:|apprunner:"
    r"|ec2:[a-z0-9-]+:\d{12}:verified-access-instance/|amplify:)")


def association_problems(props: Props) -> list[tuple[str, str]]:
    """ARNs AWS refuses to associate (the local emulator associates anything): a web ACL
    that is not regional, a resource WAF cannot protect (a network load balancer)."""
    problems = []
    acl, resource = props.get("WebACLArn"), props.get("ResourceArn")
    if isinstance(acl, str) and not _REGIONAL_ACL.match(acl):
        problems.append(("/WebACLArn", "must be the ARN of a REGIONAL web ACL"))
    if isinstance(resource, str) and not _PROTECTABLE.match(resource):
        problems.append(("/ResourceArn", "must be the ARN of an application load balancer or "
                                         "another resource regional WAF protects"))
    return problems


class WebAclAssociation(DeclaredKind):
    type_name = "AWS::WAFv2::WebACLAssociation"
    unlisted = ("an association exists only between a web ACL and a resource, and listing an "
                "ACL's resources (ListResourcesForWebACL) is not implemented yet; declare it "
                "next to the imported web ACL")
    managed_properties = frozenset({"ResourceArn", "WebACLArn"})

    # GetWebACLForResource reads by the resource and answers the web ACL (its ARN).
    service, identifier, name = "wafv2", "ResourceArn", "ResourceArn"
    read_call = Call("GetWebACLForResource", result="WebACL", renames={"/WebACLArn": "ARN"})
    create_call = Call("AssociateWebACL")
    delete_call = Call("DisassociateWebACL")
    gone_codes = ("WAFNonexistentItemException",)
    # A load balancer or web ACL just made may not be known to WAF yet.
    transient_codes = {"WAFUnavailableEntityException": ()}

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        return association_problems(props)

    def physical_id(self, props: Props) -> str | None:
        resource, acl = props.get("ResourceArn"), props.get("WebACLArn")
        if isinstance(resource, str) and isinstance(acl, str):
            return f"{resource}{_SEPARATOR}{acl}"
        return None

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        resource, _, acl = physical_id.partition(_SEPARATOR)
        found = self.read_or_none(resource)
        if not found or found.get("ARN") != acl:
            return None  # not associated, or with another web ACL
        return Observation(physical_id, {"ResourceArn": resource, "WebACLArn": acl},
                           attributes={"Ref": physical_id})

    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        problems = association_problems(desired)  # the resolved ARNs, checked before AWS
        if problems:
            raise ReconcilerError("; ".join(f"{p.lstrip('/')} {m}" for p, m in problems))
        return super().create(desired, tags, token)

    def delete(self, physical_id: str, desired: Props) -> None:
        if self.observe(physical_id, {}) is None:
            return  # associated with another web ACL since: not ours to undo
        with self.gone_is_done():
            self.invoke(self.delete_call, physical_id.partition(_SEPARATOR)[0])
