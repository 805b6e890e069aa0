"""CloudFormation dynamic references: ``{{resolve:service:...}}`` inside string values.

    {{resolve:secretsmanager:SECRET-ID[:SecretString[:JSON-KEY[:VERSION-STAGE[:VERSION-ID]]]]}}
    {{resolve:ssm:NAME[:VERSION]}}        {{resolve:ssm-secure:NAME[:VERSION]}}

A reference stays a reference in everything the reconciler writes (plans, state, history,
logs); only the value sent to AWS is resolved, at apply time (``reconciler/aws/
dynamic_values.py`` reads it). This module parses and checks references; it never
calls AWS. A secret id may be an ARN, which has colons of its own: the literal
``:SecretString`` segment marks where the id ends, as in CloudFormation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SERVICES = ("secretsmanager", "ssm", "ssm-secure")
MARKER = "{{resolve:"
_REFERENCE = re.compile(r"\{\{resolve:(.*?)\}\}")
_SSM_VERSION = re.compile(r"^(.+):(\d+)$")


class DynamicReferenceError(ValueError):
    """A malformed reference, or one whose value cannot be read."""


@dataclass(frozen=True)
class DynamicReference:
    text: str  # the whole ``{{resolve:...}}``, as written
    service: str
    name: str  # the secret ID (name or ARN) or the parameter name
    json_key: str | None = None
    version_stage: str | None = None
    version_id: str | None = None
    version: int | None = None  # ssm, ssm-secure


def parse(text: str) -> DynamicReference:
    """One reference (``text`` is the whole ``{{resolve:...}}``)."""
    match = _REFERENCE.fullmatch(text)
    if match is None:
        raise DynamicReferenceError(f"'{text}' is not a dynamic reference")
    service, _, rest = match.group(1).partition(":")
    if service not in SERVICES:
        raise DynamicReferenceError(
            f"{text}: dynamic references to '{service}' are not supported "
            f"(supported: {', '.join(SERVICES)})")
    if service == "secretsmanager":
        return _secret(text, rest)
    version_match = _SSM_VERSION.match(rest)
    name, version = (version_match.group(1), int(version_match.group(2))) if version_match \
        else (rest, None)
    if not name:
        raise DynamicReferenceError(f"{text}: the parameter name is missing")
    return DynamicReference(text, service, name, version=version)


def _secret(text: str, rest: str) -> DynamicReference:
    secret_id, marker, tail = rest.partition(":SecretString")
    if not secret_id:
        raise DynamicReferenceError(f"{text}: the secret ID is missing")
    if marker and tail and not tail.startswith(":"):
        raise DynamicReferenceError(f"{text}: expected ':SecretString:JSON-KEY...'")
    parts = tail[1:].split(":") if tail else []
    if len(parts) > 3:
        raise DynamicReferenceError(
            f"{text}: too many segments after SecretString (JSON key, version stage, "
            "version ID)")
    json_key, stage, version_id = ([p or None for p in parts] + [None, None, None])[:3]
    if stage and version_id:
        raise DynamicReferenceError(f"{text}: give a version stage or a version ID, not both")
    return DynamicReference(text, "secretsmanager", secret_id, json_key, stage, version_id)


def services_in(value: str) -> set[str]:
    """The services the references in ``value`` read (malformed ones included)."""
    return {m.group(1).partition(":")[0] for m in _REFERENCE.finditer(value)}


def references_in(value: str) -> list[DynamicReference]:
    return [parse(m.group(0)) for m in _REFERENCE.finditer(value)]


def problems_in(value: str) -> list[str]:
    """What is wrong with the references in one string (empty when all parse)."""
    problems = []
    for match in _REFERENCE.finditer(value):
        try:
            parse(match.group(0))
        except DynamicReferenceError as error:
            problems.append(str(error))
    if MARKER in _REFERENCE.sub("", value):
        problems.append(f"'{value}': a dynamic reference is not closed with '}}}}'")
    return problems


def has_reference(value: Any) -> bool:
    """Whether a (resolved) value holds a dynamic reference anywhere."""
    if isinstance(value, str):
        return MARKER in value
    if isinstance(value, dict):
        return any(has_reference(v) for v in value.values())
    if isinstance(value, list):
        return any(has_reference(v) for v in value)
    return False
