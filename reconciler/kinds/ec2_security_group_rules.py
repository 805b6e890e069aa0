"""Security group rules: CloudFormation's flat rule shape <-> EC2's IpPermissions, pure functions.

CloudFormation writes one rule per peer (``IpProtocol, FromPort, ToPort, CidrIp |
CidrIpv6 | Source/DestinationSecurityGroupId | Source/DestinationPrefixListId,
Description``); EC2 groups peers under one permission (``IpRanges, Ipv6Ranges,
UserIdGroupPairs, PrefixListIds``) and DescribeSecurityGroupRules answers one record per
peer (``CidrIpv4``, ``ReferencedGroupInfo.GroupId``, ``PrefixListId``). A rule's *key* is
what EC2 keeps unique in a group (protocol, ports, peer): protocol names and numbers
alike (``-1``/``all``, ``6``/``tcp``), no ports for all traffic, ports as ints. The
description is not part of the key: it changes in place. A group peer's owner
(``SourceSecurityGroupOwnerId``, EC2's ``UserIdGroupPairs[].UserId`` and
``ReferencedGroupInfo.UserId``) is not either: a group ID names one group in one account.
AWS answers the owner of every group peer; it is read only where a rule declares it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Rule = dict[str, Any]
Key = tuple[Any, ...]

# CloudFormation peer field -> (IpPermissions list, field in its items, rule-record field)
_PEERS = {
    "CidrIp": ("IpRanges", "CidrIp", "CidrIpv4"),
    "CidrIpv6": ("Ipv6Ranges", "CidrIpv6", "CidrIpv6"),
    "SourceSecurityGroupId": ("UserIdGroupPairs", "GroupId", "ReferencedGroupInfo.GroupId"),
    "DestinationSecurityGroupId": ("UserIdGroupPairs", "GroupId", "ReferencedGroupInfo.GroupId"),
    "SourcePrefixListId": ("PrefixListIds", "PrefixListId", "PrefixListId"),
    "DestinationPrefixListId": ("PrefixListIds", "PrefixListId", "PrefixListId"),
}
INGRESS_PEERS = ("CidrIp", "CidrIpv6", "SourceSecurityGroupId", "SourcePrefixListId")
EGRESS_PEERS = ("CidrIp", "CidrIpv6", "DestinationSecurityGroupId", "DestinationPrefixListId")
_PROTOCOLS = {"all": "-1", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
OWNER = "SourceSecurityGroupOwnerId"  # ingress only: CloudFormation's egress rules lack it
_GROUP_PEERS = ("SourceSecurityGroupId", "DestinationSecurityGroupId")
# AWS's rule in every new VPC group, revoked when the template declares egress rules.
DEFAULT_EGRESS: Rule = {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}


def peers(egress: bool) -> tuple[str, ...]:
    return EGRESS_PEERS if egress else INGRESS_PEERS


def protocol(value: Any) -> str:
    text = str(value).strip().lower()
    return _PROTOCOLS.get(text, text)


def _port(value: Any) -> int | None:
    return None if value is None else int(value)


def key(rule: Rule, egress: bool) -> Key:
    """What EC2 keeps unique in a group: protocol, ports (none for all traffic), peer."""
    proto = protocol(rule.get("IpProtocol"))
    ports = (None, None) if proto == "-1" else (_port(rule.get("FromPort")),
                                                _port(rule.get("ToPort")))
    peer = next(((p, rule[p]) for p in peers(egress) if rule.get(p) is not None), (None, None))
    return (proto, *ports, *peer)


def normalized(rule: Rule, egress: bool) -> Key:
    """The key, the description and a declared owner: equal rules normalize alike."""
    return (*key(rule, egress), rule.get("Description") or None, rule.get(OWNER))


def to_permission(rule: Rule, egress: bool) -> dict[str, Any]:
    """One CloudFormation rule as one IpPermissions item."""
    proto, low, high, peer, value = key(rule, egress)
    out: dict[str, Any] = {"IpProtocol": proto}
    if low is not None:
        out["FromPort"] = low
    if high is not None:
        out["ToPort"] = high
    if peer is not None:
        listed, field, _ = _PEERS[peer]
        item = {field: value}
        if rule.get("Description"):
            item["Description"] = rule["Description"]
        if peer in _GROUP_PEERS and rule.get(OWNER) is not None:
            item["UserId"] = rule[OWNER]
        out[listed] = [item]
    return out


def from_permissions(permissions: Iterable[dict[str, Any]] | None, egress: bool) -> list[Rule]:
    """DescribeSecurityGroups' IpPermissions(Egress) as CloudFormation rules, one per peer."""
    out: list[Rule] = []
    for permission in permissions or ():
        base: Rule = {"IpProtocol": protocol(permission.get("IpProtocol"))}
        if base["IpProtocol"] != "-1":
            for name in ("FromPort", "ToPort"):
                if permission.get(name) is not None:
                    base[name] = int(permission[name])
        for peer in peers(egress):
            listed, field, _ = _PEERS[peer]
            for item in permission.get(listed) or ():
                rule = {**base, peer: item.get(field)}
                if item.get("Description"):
                    rule["Description"] = item["Description"]
                if peer in _GROUP_PEERS and item.get("UserId") and not egress:
                    rule[OWNER] = item["UserId"]
                out.append(rule)
    return out


def from_record(record: dict[str, Any]) -> Rule:
    """One DescribeSecurityGroupRules record as a CloudFormation rule."""
    egress = bool(record.get("IsEgress"))
    rule: Rule = {"IpProtocol": protocol(record.get("IpProtocol"))}
    if rule["IpProtocol"] != "-1":
        for name in ("FromPort", "ToPort"):
            if record.get(name) is not None:
                rule[name] = int(record[name])
    for peer in peers(egress):
        value: Any = record
        for part in _PEERS[peer][2].split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            rule[peer] = value
    owner = (record.get("ReferencedGroupInfo") or {}).get("UserId")
    if owner and not egress:
        rule[OWNER] = owner
    if record.get("Description"):
        rule["Description"] = record["Description"]
    return rule


def without_owner(rule: Rule) -> Rule:
    return {k: v for k, v in rule.items() if k != OWNER}


def as_declared(observed: list[Rule], declared: Iterable[Any], egress: bool) -> list[Rule]:
    """Observed rules, each one equal to a declared rule written as declared (so ``"6"``,
    ``-1`` ports or a missing description never show as drift); the others as AWS has them,
    the owner only where the rule of that key declares one."""
    rules = [d for d in declared if isinstance(d, dict)]
    spelled = {normalized(d, egress): d for d in rules}
    owned = {key(d, egress) for d in rules if OWNER in d}
    out = []
    for rule in observed:
        rule = rule if key(rule, egress) in owned else without_owner(rule)
        out.append(spelled.get(normalized(rule, egress), rule))
    return out


def changes(current: list[Rule], desired: list[Rule], egress: bool,
            ) -> tuple[list[Rule], list[Rule], list[Rule]]:
    """(to revoke, to authorize, descriptions to update) taking ``current`` to ``desired``."""
    have = {key(r, egress): r for r in current}
    want = {key(r, egress): r for r in desired}
    # Another owner is another peer: the rule is made again (AWS checks the owner then).
    moved = {k for k, r in want.items() if k in have and r.get(OWNER) is not None
             and r.get(OWNER) != have[k].get(OWNER)}
    revoke = [r for k, r in have.items() if k not in want or k in moved]
    authorize = [r for k, r in want.items() if k not in have or k in moved]
    describe = [r for k, r in want.items() if k in have and k not in moved
                and normalized(without_owner(r), egress)
                != normalized(without_owner(have[k]), egress)]
    return revoke, authorize, describe


def problems(rule: Any, egress: bool, at: str) -> list[tuple[str, str]]:
    """What EC2 would refuse in one declared rule (values still intrinsic are skipped)."""
    if not isinstance(rule, dict):
        return []
    found = [p for p in peers(egress) if p in rule]
    out: list[tuple[str, str]] = []
    if OWNER in rule and "SourceSecurityGroupId" not in rule:
        out.append((f"{at}/{OWNER}", "is the owner of SourceSecurityGroupId: declare both"))
    if "SourceSecurityGroupName" in rule:
        out.append((f"{at}/SourceSecurityGroupName", "names a default-VPC group; use "
                    "SourceSecurityGroupId"))
    elif len(found) != 1:
        out.append((at, f"needs exactly one of {', '.join(peers(egress))}"))
    proto = rule.get("IpProtocol")
    if isinstance(proto, str | int) and protocol(proto) in ("tcp", "udp") and (
            rule.get("FromPort") is None or rule.get("ToPort") is None):
        out.append((at, f"protocol {proto} needs FromPort and ToPort"))
    return out
