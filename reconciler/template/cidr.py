"""Fn::Cidr: split an address block into equal subnets, as CloudFormation defines it."""

from __future__ import annotations

import ipaddress
import itertools
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_COUNT = 256


def ip_block(value: Any) -> Network:
    """The block to split; ValueError when it is not a CIDR block (host bits set included)."""
    if not isinstance(value, str) or "/" not in value:
        raise ValueError(f"ipBlock must be a CIDR block such as 10.0.0.0/16, got {value!r}")
    try:
        return ipaddress.ip_network(value.strip(), strict=True)
    except ValueError as error:
        raise ValueError(f"ipBlock {value!r} is not a valid CIDR block: {error}") from None


def subnet_count(value: Any) -> int:
    number = _whole_number(value, "count")
    if not 1 <= number <= MAX_COUNT:
        raise ValueError(f"count must be from 1 to {MAX_COUNT}, got {number}")
    return number


def cidr_bits(value: Any, block: Network | None = None) -> int:
    """The host bits of each subnet; checked against ``block`` when it is known."""
    bits = _whole_number(value, "cidrBits")
    limit = block.max_prefixlen - block.prefixlen if block is not None else 128
    if not 1 <= bits <= limit:
        within = f" for {block}" if block is not None else ""
        raise ValueError(f"cidrBits must be from 1 to {limit}{within}, got {bits}")
    return bits


def subnets(block_value: Any, count_value: Any, bits_value: Any) -> list[str]:
    """The first ``count`` subnets of ``cidrBits`` host bits each, in address order."""
    block = ip_block(block_value)
    count = subnet_count(count_value)
    bits = cidr_bits(bits_value, block)
    prefix = block.max_prefixlen - bits
    available = 1 << (prefix - block.prefixlen)
    if count > available:
        raise ValueError(f"{block} holds {available} subnet(s) of /{prefix}, not {count}")
    return [str(net) for net in itertools.islice(block.subnets(new_prefix=prefix), count)]


def _whole_number(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a whole number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ValueError(f"{what} must be a whole number, got {value!r}")
