"""How a kind lists what exists of it (``import --type``, ``unmanaged``).

One List or Describe operation, paged by botocore's paginator where the API has one (else
by its Next* token), and a JMESPath from each page to the physical IDs. The JMESPath also
leaves out what AWS made itself (a default VPC, ``alias/aws/`` aliases): those are never
anyone's to adopt. Cost: one call per page.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import jmespath

from reconciler.errors import ReconcilerError

_TOKENS = ("NextToken", "NextMarker", "Marker", "nextToken")


class NotListable(ReconcilerError):
    """The kind cannot be listed on its own (it exists only under a parent, or AWS lacks a
    listing call); the message names the type and why."""


@dataclass(frozen=True)
class Listing:
    service: str
    operation: str  # "DescribeVpcs"
    ids: str  # JMESPath from one page to the physical IDs: "Vpcs[?!IsDefault].VpcId"
    args: Mapping[str, Any] = field(default_factory=dict)
    drop_prefix: str = ""  # Route 53 answers "/hostedzone/Z1", the ID is "Z1"


def pages(client: Any, operation: str, args: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every page of one listing call."""
    # The client's own name map: the engine imports kinds.base (Listing), never botocore.
    method = {api: name for name, api in client.meta.method_to_api_mapping.items()}[operation]
    if client.can_paginate(method):
        yield from client.get_paginator(method).paginate(**args)
        return
    members = client.meta.service_model.operation_model(operation).input_shape.members
    request = dict(args)
    while True:
        page = dict(getattr(client, method)(**request))
        yield page
        token = next((t for t in _TOKENS if page.get(t) and t in members), None)
        if token is None:
            return
        request[token] = page[token]


def list_ids(aws: Any, listing: Listing) -> list[str]:
    client = aws.client(listing.service)
    found: dict[str, None] = {}
    for page in pages(client, listing.operation, listing.args):
        for value in jmespath.search(listing.ids, page) or ():
            if isinstance(value, str) and value:
                found[value.removeprefix(listing.drop_prefix)] = None
    return list(found)
