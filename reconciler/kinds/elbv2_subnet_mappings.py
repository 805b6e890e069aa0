"""A load balancer's ``SubnetMappings``: CloudFormation's list <-> DescribeLoadBalancers'
AvailabilityZones, and what AWS refuses of them, pure functions.

AWS answers one AvailabilityZones item per subnet, the mapping's addresses under
``LoadBalancerAddresses`` (AllocationId, PrivateIPv4Address, IPv6Address) and the source
NAT prefix under ``SourceNatIpv6Prefixes``. Only what a declared mapping names is read back
(an address AWS picked itself is its default). SetSubnets adds and removes subnets of
every load balancer type, but a network load balancer's node keeps the addresses it was
made with: a subnet that stays with another address is a new load balancer, as in
CloudFormation (AWS takes a change within one zone only as separate steps).
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds.base import Props, is_intrinsic

ADDRESSES = ("AllocationId", "PrivateIPv4Address", "IPv6Address")
_NAT = "SourceNatIpv6Prefix"
_AUTO = "auto_assigned"  # AWS picks the prefix: any prefix it picked is as declared


def _mapping(zone: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"SubnetId": zone.get("SubnetId")}
    for address in zone.get("LoadBalancerAddresses") or ():
        out.update({k: address[k] for k in ADDRESSES if address.get(k)})
    prefixes = zone.get("SourceNatIpv6Prefixes") or ()
    if prefixes:
        out[_NAT] = prefixes[0]
    return out


def as_declared(zones: Any, declared: Any) -> list[dict[str, Any]] | None:
    """AWS's zones as mappings, each cut to the keys its declared mapping (same subnet) names;
    a subnet not declared is its SubnetId alone."""
    if zones is None:
        return None
    wanted = {m.get("SubnetId"): m for m in declared or () if isinstance(m, dict)}
    out = []
    for zone in zones:
        mapping = _mapping(zone)
        want = wanted.get(mapping["SubnetId"], {})
        if want.get(_NAT) == _AUTO and mapping.get(_NAT):
            mapping[_NAT] = _AUTO
        out.append({k: mapping.get(k) for k in want} if want else
                   {"SubnetId": mapping["SubnetId"]})
    return out


def readdressed(desired: Any, observed: Any) -> list[str]:
    """Subnets kept with other addresses (what a network load balancer cannot change)."""
    have = {m.get("SubnetId"): m for m in observed or () if isinstance(m, dict)}
    return sorted(str(m["SubnetId"]) for m in desired or () if isinstance(m, dict)
                  and m.get("SubnetId") in have and any(
                      m.get(k) != have[m["SubnetId"]].get(k) for k in ADDRESSES))


def problems(props: Props) -> list[tuple[str, str]]:
    """What AWS refuses and the local emulator accepts (values still intrinsic skipped)."""
    mappings = props.get("SubnetMappings")
    found: list[tuple[str, str]] = []
    if "Subnets" in props and "SubnetMappings" in props:
        found.append(("/SubnetMappings", "declare Subnets or SubnetMappings, not both"))
    if not isinstance(mappings, list):
        return found
    kind, scheme = props.get("Type", "application"), props.get("Scheme", "internet-facing")
    for i, mapping in enumerate(mappings):
        if not isinstance(mapping, dict) or is_intrinsic(mapping):
            continue
        if kind == "application":
            found += [(f"/SubnetMappings/{i}/{k}", "is for network load balancers only")
                      for k in (*ADDRESSES, _NAT) if k in mapping]
        elif scheme == "internal" and "AllocationId" in mapping:
            found.append((f"/SubnetMappings/{i}/AllocationId",
                          "an Elastic IP is for an internet-facing load balancer"))
        elif scheme == "internet-facing" and "PrivateIPv4Address" in mapping:
            found.append((f"/SubnetMappings/{i}/PrivateIPv4Address",
                          "a private IPv4 address is for an internal load balancer"))
    return found
