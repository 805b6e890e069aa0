"""What is particular to the Route 53 kinds (the contract suite covers each round trip and a
lost create reply), over HTTP against the moto server."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from reconciler.aws.normalize import dns_name
from reconciler.kinds.route53_hosted_zone import HostedZone
from reconciler.kinds.route53_record_set import RecordSet
from tests.harness import Stack

TREE = """
Resources:
  Zone:
    Type: AWS::Route53::HostedZone
    Properties: {Name: Ryuzen.example}
  Apex:
    Type: AWS::Route53::RecordSet
    Properties:
      HostedZoneId: !Ref Zone
      Name: ryuzen.example
      Type: A
      AliasTarget: {DNSName: d111111abcdef8.cloudfront.net, HostedZoneId: Z2FDTNDATAQYW2}
  Verification:
    Type: AWS::Route53::RecordSet
    DependsOn: Zone  # named by HostedZoneName, not referenced
    Properties:
      HostedZoneName: ryuzen.example.
      Name: _verify.ryuzen.example
      Type: TXT
      TTL: 300
      ResourceRecords: ['"token-1"']
"""


def _converged(stack: Stack) -> dict[str, Any]:
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    plan = stack.plan()
    assert plan.code == 0, [c for c in plan.json["changes"] if c["status"] != "InSync"]
    return {c["resource"]: c["physical_id"] for c in plan.json["changes"]}


def _upsert(zone: str, record: dict[str, Any]) -> None:
    boto3.client("route53").change_resource_record_sets(HostedZoneId=zone, ChangeBatch={
        "Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]})


def _records(zone: str) -> list[dict[str, Any]]:
    return boto3.client("route53").list_resource_record_sets(
        HostedZoneId=zone)["ResourceRecordSets"]


def test_physical_ids_and_names_as_route53_spells_them(stack: Stack) -> None:
    """Zone ID without /hostedzone/; records as <zone>|<name>|<type> with the name as Route
    53 answers it (lowercase, trailing dot), the zone by name where only its name is given.
    Declared spellings ("Ryuzen.example", no trailing dots) are no drift."""
    stack.write("dns.yaml", TREE)
    ids = _converged(stack)
    zone = ids["Zone"]
    assert not zone.startswith("/") and zone.isalnum()
    assert ids["Apex"] == f"{zone}|ryuzen.example.|A"
    assert ids["Verification"] == "ryuzen.example.|_verify.ryuzen.example.|TXT"
    names = [r["Name"] for r in _records(zone)]
    assert names.count("ryuzen.example.") == 3  # SOA, NS and our A: no duplicate


def test_a_record_value_changed_out_of_band_is_drift_and_corrected(stack: Stack) -> None:
    stack.write("dns.yaml", TREE)
    zone = _converged(stack)["Zone"]
    _upsert(zone, {"Name": "_verify.ryuzen.example.", "Type": "TXT", "TTL": 300,
                   "ResourceRecords": [{"Value": '"token-2"'}]})
    _upsert(zone, {"Name": "ryuzen.example.", "Type": "A", "AliasTarget": {
        "DNSName": "d222222abcdef8.cloudfront.net.", "HostedZoneId": "Z2FDTNDATAQYW2",
        "EvaluateTargetHealth": False}})

    plan = stack.plan()
    assert plan.code == 2
    assert plan.change("Verification")["diff"] == [
        {"path": "/ResourceRecords/0", "old": '"token-2"', "new": '"token-1"'}]
    assert [d["path"] for d in plan.change("Apex")["diff"]] == ["/AliasTarget/DNSName"]
    _converged(stack)
    txt = [r for r in _records(zone) if r["Type"] == "TXT"]
    assert [v["Value"] for r in txt for v in r["ResourceRecords"]] == ['"token-1"']


def test_the_zones_soa_and_ns_records_never_drift(stack: Stack) -> None:
    """Route 53's own records change out of band (TTL of NS) and are never drift; an apex
    record deleted out of band is missing, not mistaken for the NS record that follows it in
    ListResourceRecordSets."""
    stack.write("dns.yaml", TREE)
    zone = _converged(stack)["Zone"]
    ns = next(r for r in _records(zone) if r["Type"] == "NS")
    _upsert(zone, {**ns, "TTL": 60})
    assert stack.plan().code == 0

    apex = next(r for r in _records(zone) if r["Type"] == "A")
    boto3.client("route53").change_resource_record_sets(HostedZoneId=zone, ChangeBatch={
        "Changes": [{"Action": "DELETE", "ResourceRecordSet": apex}]})
    change = stack.plan().change("Apex")
    assert (change["status"], change["action"]) == ("Missing", "create")
    _converged(stack)


def test_a_record_switched_from_values_to_an_alias(stack: Stack) -> None:
    stack.write("dns.yaml", TREE.replace(
        "AliasTarget: {DNSName: d111111abcdef8.cloudfront.net, HostedZoneId: Z2FDTNDATAQYW2}",
        "TTL: 60\n      ResourceRecords: [192.0.2.1]"))
    zone = _converged(stack)["Zone"]
    stack.write("dns.yaml", TREE)
    _converged(stack)
    [apex] = [r for r in _records(zone) if r["Type"] == "A"]
    assert "ResourceRecords" not in apex and apex["AliasTarget"]["HostedZoneId"] == \
        "Z2FDTNDATAQYW2"


def test_a_repeated_create_with_the_same_token_finds_its_zone(clients: Any) -> None:
    """CallerReference is the create intent's token: a create retried after a crash (or a
    lost reply) finds the zone it made instead of making another (moto, unlike Route 53,
    would accept the repeated CallerReference and make a second zone)."""
    kind = HostedZone(clients)
    desired = {"Name": "again.example"}
    first = kind.create(desired, {"reconciler:owner": "r"}, token="intent-1")
    second = kind.create(desired, {"reconciler:owner": "r"}, token="intent-1")
    other = kind.create(desired, {}, token="intent-2")
    assert first.physical_id == second.physical_id != other.physical_id
    assert first.attributes["NameServers"] and first.attributes["Id"] == first.physical_id
    zones = boto3.client("route53").list_hosted_zones()["HostedZones"]
    assert len(zones) == 2


def test_find_by_ownership_tags(clients: Any) -> None:
    kind = HostedZone(clients)
    made = kind.create({"Name": "found.example"}, {"reconciler:owner": "r",
                                                    "reconciler:logical-id": "Zone"}, "t")
    assert kind.find("r", "Zone") == made.physical_id
    assert kind.find("r", "Other") is None


def test_dns_names_compare_as_route53_normalizes_them() -> None:
    assert dns_name("WWW.Example.COM") == dns_name("www.example.com.") == "www.example.com."
    assert dns_name("\\052.example.com.") == "*.example.com."


@pytest.mark.parametrize(("props", "pointer"), [
    ({"Type": "MX", "TTL": 300, "ResourceRecords": ["10 mx"]}, "/Type"),
    ({"Type": "A", "ResourceRecords": ["192.0.2.1"]}, "/TTL"),
    ({"Type": "A", "TTL": 60, "AliasTarget": {"DNSName": "x.cloudfront.net",
                                              "HostedZoneId": "Z2FDTNDATAQYW2"}}, "/TTL"),
    ({"Type": "A", "AliasTarget": {"DNSName": "d1.cloudfront.net", "HostedZoneId": "Z1"}},
     "/AliasTarget/HostedZoneId"),
    ({"Type": "A", "TTL": 60}, ""),
])
def test_what_route53_refuses_is_invalid(props: dict[str, Any], pointer: str) -> None:
    problems = RecordSet.validate({"HostedZoneId": "Z1", "Name": "a.example", **props})
    assert [p for p, _ in problems] == [pointer]
