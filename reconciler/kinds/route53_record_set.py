"""AWS::Route53::RecordSet: one A, AAAA, CNAME or TXT record set, plain or an alias.

Not a resource of its own in AWS: a record set is found in its zone's
ListResourceRecordSets answer, one call starting at its name and type. Its physical ID is
``<zone>|<name>|<type>``: the zone ID (``HostedZoneId`` without ``/hostedzone/``) or, where
only ``HostedZoneName`` is declared, the zone's name (resolved with one
ListHostedZonesByName per observe); the record's name as Route 53 spells it (lowercase,
with the trailing dot). CloudFormation's own physical ID, the bare name, says nothing of
the zone or type. Known before the create, so a lost reply is found by it.

Every change is one ChangeResourceRecordSets: UPSERT to create or update (moto, unlike
Route 53, adds a duplicate on a CREATE after an UPSERT), DELETE with the values Route 53
holds. The zone's SOA and NS records are Route 53's: never read as a record of ours,
never drift.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.normalize import dns_name
from reconciler.errors import ReconcilerError
from reconciler.kinds.base import Observation, Props, TransientError, is_intrinsic
from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.listing import pages
from reconciler.kinds.route53_hosted_zone import zone_id

_UPSERT = "upsert"
_TYPES = ("A", "AAAA", "CNAME", "TXT")
_VALUES = ("TTL", "ResourceRecords", "AliasTarget")
# Route 53's fixed hosted zone for every CloudFront alias target.
CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"


class _NoZone(ReconcilerError):
    """No hosted zone of the declared HostedZoneName (yet)."""


class RecordSet(DeclaredKind):
    type_name = "AWS::Route53::RecordSet"
    managed_properties = frozenset({"HostedZoneId", "HostedZoneName", "Name", "Type", "TTL",
                                    "ResourceRecords", "AliasTarget"})
    # Name and type are the record's identity: another one is another record.
    replace_on = frozenset({"Name", "Type"})
    # Beyond CloudFormation's handlers: a zone declared by HostedZoneName is looked up.
    extra_permissions = frozenset({"route53:ListHostedZonesByName"})

    service, identifier = "route53", "HostedZoneId"
    read_call = Call("ListResourceRecordSets", result="ResourceRecordSets[0]")
    readers = {"HostedZoneId": "zone_of"}  # from the physical ID, no call
    # The record set travels in the change batch (built by ``_record_set``, not the mapper).
    create_call = Call("ChangeResourceRecordSets", renames=dict.fromkeys(
        ("/Name", "/Type", *(f"/{v}" for v in _VALUES)), "ChangeBatch"))
    delete_call = Call("ChangeResourceRecordSets")
    writers = dict.fromkeys(_VALUES, _UPSERT)
    gone_codes = ("NoSuchHostedZone",)

    # --- identity ---------------------------------------------------------------------------

    def physical_id(self, props: Props) -> str | None:
        zone = props.get("HostedZoneId") or props.get("HostedZoneName")
        name, kind = props.get("Name"), props.get("Type")
        if not all(isinstance(v, str) for v in (zone, name, kind)):
            return None
        zone = zone_id(zone) if props.get("HostedZoneId") else dns_name(zone)
        return f"{zone}|{dns_name(name)}|{kind}"

    def _parts(self, physical_id: str) -> tuple[str, str, str]:
        """(zone ID, name, type); a zone given by name is looked up."""
        zone, name, kind = physical_id.split("|")
        if zone.endswith("."):  # a name (zone IDs have no dots)
            answer = self.client.list_hosted_zones_by_name(DNSName=zone)
            found = [z for z in answer.get("HostedZones", [])
                     if dns_name(z["Name"]) == zone and not z.get("Config", {}).get(
                         "PrivateZone")]
            if len(found) > 1:
                raise ReconcilerError(f"{len(found)} public hosted zones are named {zone}: "
                                      "declare HostedZoneId instead of HostedZoneName")
            if not found:  # no zone, no record (the zone needs a DependsOn to come first)
                raise _NoZone(f"no public hosted zone is named {zone}")
            zone = zone_id(found[0]["Id"])
        return zone, name, kind

    # --- read -------------------------------------------------------------------------------

    def read(self, physical_id: str) -> dict[str, Any] | None:
        try:
            zone, name, kind = self._parts(physical_id)
        except _NoZone:
            return None
        return self._record(zone, name, kind)

    def _record(self, zone: str, name: str, kind: str) -> dict[str, Any] | None:
        # The answer starts at (name, type) and runs on: at the apex the next one is NS.
        answer = self.client.list_resource_record_sets(
            HostedZoneId=zone, StartRecordName=name, StartRecordType=kind, MaxItems="1")
        for record in answer.get("ResourceRecordSets", [])[:1]:
            if dns_name(record["Name"]) == name and record["Type"] == kind \
                    and "SetIdentifier" not in record:
                return {**record, "HostedZoneId": zone}
        return None

    def zone_of(self, physical_id: str, want: Any) -> str:
        zone = physical_id.split("|")[0]
        return want if isinstance(want, str) and zone_id(want) == zone else zone

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        props: Props = {"Type": resource.get("Type"), "TTL": resource.get("TTL")}
        name, wanted = resource.get("Name", ""), desired.get("Name")
        props["Name"] = wanted if isinstance(wanted, str) and dns_name(wanted) == dns_name(
            name) else name
        values = [r.get("Value") for r in resource.get("ResourceRecords") or []]
        declared = desired.get("ResourceRecords")
        if isinstance(declared, list) and sorted(map(str, declared)) == sorted(values):
            values = list(declared)  # Route 53 keeps a set: its order is no drift
        props["ResourceRecords"] = values or None
        props["AliasTarget"] = _alias_as_declared(resource.get("AliasTarget"),
                                                  desired.get("AliasTarget"))
        return {k: v for k, v in props.items() if k in desired}

    def attributes_from(self, resource: dict[str, Any], physical_id: str) -> dict[str, Any]:
        return {"Ref": dns_name(str(resource.get("Name", ""))).rstrip(".")}

    # --- write ------------------------------------------------------------------------------

    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        physical_id = self.physical_id(desired)
        assert physical_id is not None
        zone, name, kind = self._parts(physical_id)
        # No idempotency token: botocore must not resend it on its own.
        self._change("UPSERT", zone, _record_set(name, kind, desired),
                     self.aws.client(self.service, retries=False))
        observed = self.observe(physical_id, desired)
        if observed is None:
            raise TransientError(f"record {name} {kind} was written but cannot be read yet")
        return observed

    def upsert(self, physical_id: str, values: Props, observed: Observation | None) -> None:
        """UPSERT the whole record set: the changed values over the unchanged ones."""
        zone, name, kind = self._parts(physical_id)
        current = dict(observed.properties) if observed is not None else {}
        self._change("UPSERT", zone, _record_set(name, kind, {**current, **values}))

    def delete(self, physical_id: str, desired: Props) -> None:
        """DELETE wants the record set exactly as Route 53 holds it: read it first."""
        with self.gone_is_done():
            try:
                zone, name, kind = self._parts(physical_id)
            except _NoZone:
                return
            record = self._record(zone, name, kind)
            if record is not None:
                record.pop("HostedZoneId", None)
                self._change("DELETE", zone, record)

    def _change(self, action: str, zone: str, record: dict[str, Any], client: Any = None,
                ) -> None:
        try:
            (client or self.client).change_resource_record_sets(
                HostedZoneId=zone, ChangeBatch={"Changes": [
                    {"Action": action, "ResourceRecordSet": record}]})
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "PriorRequestNotComplete":
                raise TransientError(f"{zone}: a previous change is still in progress",
                                     delay=10) from exc
            raise

    # --- validation -------------------------------------------------------------------------

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        """What Route 53 refuses (or this kind does not manage) and moto accepts."""
        problems: list[tuple[str, str]] = []
        kind = props.get("Type")
        if isinstance(kind, str) and kind not in _TYPES:
            problems.append(("/Type", f"{kind} records are not managed (only "
                                      f"{', '.join(_TYPES)}; SOA and NS are Route 53's)"))
        if not props.get("HostedZoneId") and not props.get("HostedZoneName"):
            problems.append(("", "HostedZoneId or HostedZoneName is required"))
        if props.get("HostedZoneId") and props.get("HostedZoneName"):
            problems.append(("/HostedZoneName", "declare HostedZoneId or HostedZoneName, "
                                                "not both"))
        alias, records = props.get("AliasTarget"), props.get("ResourceRecords")
        if (alias is None) == (records is None):
            problems.append(("", "declare exactly one of AliasTarget and ResourceRecords"))
        if records is not None and props.get("TTL") is None:
            problems.append(("/TTL", "is required with ResourceRecords"))
        if alias is not None and props.get("TTL") is not None:
            problems.append(("/TTL", "an alias takes its target's TTL: remove TTL"))
        if isinstance(alias, dict) and not is_intrinsic(alias):
            target, zone = alias.get("DNSName"), alias.get("HostedZoneId")
            if isinstance(target, str) and isinstance(zone, str) and dns_name(
                    target).endswith(".cloudfront.net.") and zone != CLOUDFRONT_ZONE:
                problems.append(("/AliasTarget/HostedZoneId",
                                 f"a CloudFront alias target's zone is {CLOUDFRONT_ZONE}"))
        return problems

    def list_physical_ids(self) -> list[str]:
        """Records of every zone, but the SOA and NS records AWS made at its apex and
        weighted or routed ones (a SetIdentifier is not managed here)."""
        found = []
        paginator = self.client.get_paginator("list_resource_record_sets")
        for page in pages(self.client, "ListHostedZones", {}):
            for zone in page["HostedZones"]:
                apex, zone_id_ = dns_name(zone["Name"]), zone_id(zone["Id"])
                for records in paginator.paginate(HostedZoneId=zone_id_):
                    for record in records["ResourceRecordSets"]:
                        name, kind = dns_name(record["Name"]), record["Type"]
                        if (name == apex and kind in ("SOA", "NS")) or "SetIdentifier" in record:
                            continue
                        found.append(f"{zone_id_}|{name}|{kind}")
        return found


def _record_set(name: str, kind: str, props: Props) -> dict[str, Any]:
    """The API's ResourceRecordSet from CloudFormation's properties."""
    record: dict[str, Any] = {"Name": name, "Type": kind}
    alias = props.get("AliasTarget")
    if alias:
        record["AliasTarget"] = {"DNSName": alias["DNSName"],
                                 "HostedZoneId": alias["HostedZoneId"],
                                 "EvaluateTargetHealth": bool(alias.get("EvaluateTargetHealth"))}
        return record
    record["TTL"] = int(props["TTL"])
    record["ResourceRecords"] = [{"Value": str(v)} for v in props.get("ResourceRecords") or []]
    return record


def _alias_as_declared(actual: Any, declared: Any) -> Any:
    """The alias target with its DNS name in the declared spelling when Route 53's is the
    same name, and only the declared keys (EvaluateTargetHealth defaults to false)."""
    if not isinstance(actual, dict):
        return None
    out = dict(actual)
    if isinstance(declared, dict):
        wanted = declared.get("DNSName")
        if isinstance(wanted, str) and dns_name(wanted) == dns_name(str(actual.get("DNSName"))):
            out["DNSName"] = wanted
        out = {k: out.get(k) for k in declared}
    return out
