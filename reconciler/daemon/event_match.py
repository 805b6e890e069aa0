"""Which managed resources a CloudTrail event names: a generic identifier extractor, a few
per-service hints, and an index of the inventory's physical IDs built once per change.

CloudTrail records a call's arguments (``requestParameters``) and answer
(``responseElements``) in each service's own spelling; what names a resource is almost
always a member called ``*Arn``, ``*Id``, ``*Name``, ``*Identifier`` or ``*Url`` (or a list
of them), or any string that is an ARN. The hints cover the few services that say it
otherwise. Matching is a dictionary look-up per candidate, so an event about anything
else costs microseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.aws.normalize import resource_id_tail

_SUFFIXES = ("arn", "arns", "id", "ids", "name", "names", "identifier", "url")
# Members that end like an identifier but never name a resource.
_NOT_IDENTIFIERS = frozenset({
    "requestid", "clientrequestid", "accountid", "keyname", "principalid", "accesskeyid",
    "eventid", "sharedeventid", "availabilityzoneid", "ownerid", "imageid", "zonename",
    "regionname", "attributename", "policyname", "rulename", "statementid", "hostname",
})


@dataclass(frozen=True)
class ServiceHint:
    """What the generic extractor misses for one event source."""

    keys: frozenset[str] = frozenset()  # more members naming a resource (lower case)
    prefixes: tuple[str, ...] = ()  # prefixes to strip from a value ("/hostedzone/")
    qualified: bool = False  # "name:qualifier" values also name "name" (Lambda)


HINTS: Mapping[str, ServiceHint] = {
    "events.amazonaws.com": ServiceHint(keys=frozenset({"rule"})),
    "s3.amazonaws.com": ServiceHint(keys=frozenset({"bucket"})),
    "route53.amazonaws.com": ServiceHint(prefixes=("/hostedzone/", "/change/")),
    "lambda.amazonaws.com": ServiceHint(qualified=True),
    "kms.amazonaws.com": ServiceHint(keys=frozenset({"targetkeyid"})),
    "ec2.amazonaws.com": ServiceHint(keys=frozenset({"resourceid", "resource"})),
    "wafv2.amazonaws.com": ServiceHint(keys=frozenset({"resourcearn"})),
}
_NO_HINT = ServiceHint()

# CloudFormation type namespace -> the CloudTrail event source of its service, where the
# lower-cased namespace is not it.
_SOURCES = {"elasticloadbalancingv2": "elasticloadbalancing"}
# Event sources that act on resources of any service (the Resource Groups Tagging API).
_ANY_SOURCE = frozenset({"tagging.amazonaws.com"})


def event_source(type_name: str) -> str:
    """``AWS::DynamoDB::Table`` -> ``dynamodb.amazonaws.com``."""
    namespace = type_name.split("::")[1].lower() if "::" in type_name else type_name.lower()
    return f"{_SOURCES.get(namespace, namespace)}.amazonaws.com"


def identifiers(detail: Mapping[str, Any]) -> set[str]:
    """Every string the event's arguments, answer and resource list use to name something."""
    hint = HINTS.get(str(detail.get("eventSource", "")), _NO_HINT)
    found: set[str] = set()
    for section in ("requestParameters", "responseElements", "additionalEventData"):
        value = detail.get(section)
        if isinstance(value, dict | list):
            found.update(_walk(value, hint, named=False))
    for resource in detail.get("resources") or ():
        if isinstance(resource, dict):
            found.update(v for k, v in resource.items()
                         if k.lower() in ("arn", "resourcename") and isinstance(v, str))
    return {candidate for value in found for candidate in _candidates(value, hint)}


def _walk(node: Any, hint: ServiceHint, named: bool) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, hint, _names_resource(str(key), hint))
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, hint, named)
    elif isinstance(node, str) and node and (named or node.startswith("arn:")):
        yield node


def _names_resource(key: str, hint: ServiceHint) -> bool:
    low = key.lower()
    if low in _NOT_IDENTIFIERS:
        return False
    return low in hint.keys or low.endswith(_SUFFIXES)


def _candidates(value: str, hint: ServiceHint) -> Iterable[str]:
    """The spellings under which the inventory may know ``value``: as given, an ARN's
    trailing ID, a URL's last segment, a hinted prefix stripped."""
    yield value
    if value.startswith("arn:"):
        yield resource_id_tail(value)
        resource = value.split(":", 5)[-1]
        yield resource  # "table/name", "function:name", "alias/name"
    elif value.startswith(("https://", "http://")):
        yield value.rstrip("/").rsplit("/", 1)[-1]
    for prefix in hint.prefixes:
        if value.startswith(prefix):
            yield value[len(prefix):]
    if hint.qualified and ":" in value and not value.startswith("arn:"):
        yield value.split(":", 1)[0]


def keys_of(physical_id: str) -> set[str]:
    """The keys the index files one physical ID under (an ARN also by its ID, a URL by its
    last segment), the same spellings ``identifiers`` produces from an event."""
    return set(_candidates(physical_id, _NO_HINT))


class InventoryIndex:
    """Physical IDs (and their ARN or URL tails) -> the declared resources that have them."""

    def __init__(self, resources: Iterable[tuple[str, str, str | None]]):
        """``resources``: (logical ID, type, physical ID) of every resource to match."""
        self._by_key: dict[str, set[tuple[str, str]]] = {}
        self.signature = frozenset(resources)
        for logical_id, type_name, physical_id in self.signature:
            if not physical_id:
                continue
            for key in keys_of(physical_id):
                self._by_key.setdefault(key, set()).add((logical_id, event_source(type_name)))

    def __len__(self) -> int:
        return len(self.signature)

    def match(self, detail: Mapping[str, Any]) -> set[str]:
        """Logical IDs of the resources the event names, from the same service (or any,
        for the tagging API)."""
        source = str(detail.get("eventSource", ""))
        any_source = source in _ANY_SOURCE
        matched: set[str] = set()
        for candidate in identifiers(detail):
            for logical_id, resource_source in self._by_key.get(candidate, ()):
                if any_source or resource_source == source:
                    matched.add(logical_id)
        return matched
