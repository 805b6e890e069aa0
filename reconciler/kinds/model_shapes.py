"""What botocore's service model answers for a declared kind: method names, where tags and
idempotency tokens go, the shape at a result path. Pure functions over the model."""

from __future__ import annotations

import uuid

from botocore.model import Shape


def method_name(operation: str) -> str:
    """``DescribeKey`` -> ``describe_key``, the boto3 client method."""
    out = []
    for i, char in enumerate(operation):
        if char.isupper() and i and (not operation[i - 1].isupper() or (
                i + 1 < len(operation) and operation[i + 1].islower())):
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def tag_member(shape: Shape) -> str | None:
    """The member of an input shape that takes tags, if it has one."""
    return next((m for m in shape.members if m.lower() in ("tags", "tag", "tagset", "tagging",
                                                           "tagslist")),
                None)


def token_for(token: str | None, shape: Shape) -> str:
    """The create intent's token in the form the API takes (a UUID fits every known limit)."""
    value = str(uuid.uuid5(uuid.NAMESPACE_URL, token)) if token else str(uuid.uuid4())
    limit = shape.metadata.get("max")
    return value[: int(limit)] if limit else value


def result_shape(shape: Shape | None, result: str | None) -> Shape | None:
    """The model shape at a simple JMESPath (``A.B``, ``A[0]``, ``A[?x=='{id}'] | [0]``)."""
    if shape is None or not result:
        return shape
    head, _, tail = result.partition("|")
    parts = head.replace("[", ".[").split(".") + (["[0]"] if tail.strip() == "[0]" else [])
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if part.startswith("["):
            shape = getattr(shape, "member", shape)
        else:
            shape = shape.members.get(part) if shape.type_name == "structure" else None
        if shape is None:
            return None
    return shape
