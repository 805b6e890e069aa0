"""AWS::Route53::HostedZone: a public hosted zone, its comment and tags.

The physical ID (and ``Ref``) is the zone ID without AWS's ``/hostedzone/`` prefix. A
no-drift observe costs GetHostedZone and ListTagsForResource. The zone's own SOA and NS
records are Route 53's, never part of the zone's properties.

Zone names are not unique, so a create is made safe by its CallerReference, which is the
create intent's token: before CreateHostedZone, and after any error of it (a lost reply),
ListHostedZonesByName looks for a zone of that name with that reference. Route 53 takes
no tags at create; they follow with ChangeTagsForResource, and ``find`` (after a crash)
looks for them.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reconciler.aws.normalize import LOGICAL_ID_TAG, OWNER_TAG, dns_name
from reconciler.kinds import mapper
from reconciler.kinds.base import Observation, Props, TransientError
from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.listing import Listing
from reconciler.kinds.model_shapes import token_for

_PREFIX = "/hostedzone/"
_TAG_BATCH = 10  # ListTagsForResources takes at most ten zones


def zone_id(value: str) -> str:
    """``/hostedzone/Z123`` or ``Z123`` -> ``Z123``."""
    return value[len(_PREFIX):] if value.startswith(_PREFIX) else value


class HostedZone(DeclaredKind):
    type_name = "AWS::Route53::HostedZone"
    listing = Listing("route53", "ListHostedZones", "HostedZones[].Id",
                      drop_prefix="/hostedzone/")
    managed_properties = frozenset({"Name", "HostedZoneConfig", "HostedZoneTags"})
    # Beyond CloudFormation's handlers: the create's lookup by CallerReference, find's tags.
    extra_permissions = frozenset({"route53:ListHostedZonesByName",
                                   "route53:ListTagsForResources"})

    service, identifier = "route53", "Id"
    read_call = Call("GetHostedZone", result="HostedZone",
                     renames={"/HostedZoneConfig": "Config"})
    create_call = Call("CreateHostedZone")
    delete_call = Call("DeleteHostedZone")
    writers = {"HostedZoneConfig": "update_comment"}
    gone_codes = ("NoSuchHostedZone",)

    # --- read -------------------------------------------------------------------------------

    def read(self, physical_id: str) -> dict[str, Any] | None:
        answer = self.client.get_hosted_zone(Id=physical_id)
        zone = dict(answer["HostedZone"])
        zone["NameServers"] = (answer.get("DelegationSet") or {}).get("NameServers", [])
        return zone

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        props = super().properties_from(resource, desired)
        name, wanted = resource.get("Name"), desired.get("Name")
        if isinstance(name, str) and isinstance(wanted, str) and dns_name(name) == dns_name(
                wanted):
            props["Name"] = wanted  # "Example.com" is "example.com."
        return props

    def attributes_from(self, resource: dict[str, Any], physical_id: str) -> dict[str, Any]:
        return {"Id": physical_id, "NameServers": resource.get("NameServers", []),
                "Ref": physical_id}

    def read_tags(self, physical_id: str, resource: dict[str, Any]) -> dict[str, str]:
        answer = self.client.list_tags_for_resource(ResourceType="hostedzone",
                                                    ResourceId=physical_id)
        return mapper.tags_from_api(answer["ResourceTagSet"].get("Tags"))

    # --- write ------------------------------------------------------------------------------

    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        model = self.operation("CreateHostedZone").input_shape
        reference = token_for(token, model.members["CallerReference"])
        name = dns_name(str(desired["Name"]))
        args: dict[str, Any] = {"Name": name, "CallerReference": reference}
        if desired.get("HostedZoneConfig"):
            args["HostedZoneConfig"] = mapper.to_api(desired["HostedZoneConfig"],
                                                     model.members["HostedZoneConfig"])
        made = self._by_reference(name, reference)  # a create before a crash
        if made is None:
            # Route 53 marks no idempotency token: botocore must not resend it on its own.
            client = self.aws.client(self.service, retries=False)
            try:
                made = zone_id(client.create_hosted_zone(**args)["HostedZone"]["Id"])
            except (ClientError, BotoCoreError):
                made = self._by_reference(name, reference)  # the reply lost, the zone made
                if made is None:
                    raise
        if tags:
            self.set_tags(made, tags, [])
        observed = self.observe(made, desired)
        if observed is None:
            raise TransientError(f"hosted zone {made} was created but cannot be read yet")
        return observed

    def _by_reference(self, name: str, reference: str) -> str | None:
        """The zone of this name our create intent made (ListHostedZonesByName, one call)."""
        answer = self.client.list_hosted_zones_by_name(DNSName=name)
        for zone in answer.get("HostedZones", []):
            if dns_name(zone["Name"]) == name and zone.get("CallerReference") == reference:
                return zone_id(zone["Id"])
        return None

    def update_comment(self, physical_id: str, values: Props,
                       observed: Observation | None) -> None:
        config = values.get("HostedZoneConfig") or {}
        self.client.update_hosted_zone_comment(Id=physical_id,
                                               Comment=config.get("Comment") or "")

    def set_tags(self, physical_id: str, add: dict[str, str], remove: list[str]) -> None:
        args: dict[str, Any] = {}
        if add:
            args["AddTags"] = [{"Key": k, "Value": v} for k, v in sorted(add.items())]
        if remove:
            args["RemoveTagKeys"] = list(remove)
        if args:
            self.client.change_tags_for_resource(ResourceType="hostedzone",
                                                 ResourceId=physical_id, **args)

    def find(self, owner: str, logical_id: str) -> str | None:
        """A zone carrying our ownership tags: every zone's tags, ten zones per call (only
        after a crash between a create and its bookkeeping)."""
        pages = self.client.get_paginator("list_hosted_zones").paginate()
        ids = [zone_id(z["Id"]) for page in pages for z in page.get("HostedZones", [])]
        for start in range(0, len(ids), _TAG_BATCH):
            answer = self.client.list_tags_for_resources(
                ResourceType="hostedzone", ResourceIds=ids[start:start + _TAG_BATCH])
            for tag_set in answer.get("ResourceTagSets", []):
                tags = mapper.tags_from_api(tag_set.get("Tags"))
                if tags.get(OWNER_TAG) == owner and tags.get(LOGICAL_ID_TAG) == logical_id:
                    return str(tag_set["ResourceId"])
        return None
