"""Values that name another imported resource, written as ``!Ref`` / ``!GetAtt``.

A value is a reference when it equals another imported resource's ``Ref`` or one of its
ARN attributes. IDs AWS makes (``vpc-…``, a key's UUID) and ARNs are unmistakable; a
name a user chose (bucket ``logs``) may be any text, so it counts only under a key that
says what it names (``Bucket``, ``DestinationBucketName``, a ``TABLE`` variable). A
resource's own name property stays as it is: it is what finds the resource.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.adopt.properties import name_property
from reconciler.kinds.registry import kind_class

if TYPE_CHECKING:
    from reconciler.adopt.type_import import Imported

Target = tuple[str, str | None]  # (logical ID, attribute; None for Ref)


def rewrite(found: list[Imported]) -> None:
    ids: dict[str, tuple[str, Target]] = {}  # value -> (type noun when a name, target)
    # Where two share a value (a bucket and its policy), the taggable one is the resource.
    for r in sorted(found, key=lambda r: not _taggable(r.type_name)):
        ref = r.attributes.get("Ref", r.physical_id)
        ids.setdefault(ref, (_noun(r.type_name) if _is_name(r.type_name, ref) else "",
                             (r.logical_id, None)))
        for attribute in sorted(r.attributes, key=lambda a: (a != "Arn", a)):
            value = r.attributes[attribute]
            if attribute != "Ref" and value.startswith("arn:"):
                ids.setdefault(value, ("", (r.logical_id, attribute)))
    for r in found:
        r.properties = {k: _value(v, k, ids, r.logical_id) for k, v in r.properties.items()}


def _value(value: Any, key: str, ids: dict[str, tuple[str, Target]], own: str) -> Any:
    if isinstance(value, dict):
        return {k: _value(v, str(k), ids, own) for k, v in value.items()}
    if isinstance(value, list):
        return [_value(v, key, ids, own) for v in value]
    if not isinstance(value, str) or value not in ids:
        return value
    noun, (lid, attribute) = ids[value]
    if lid == own or (noun and noun.lower() not in key.lower()):
        return value
    return {"Ref": lid} if attribute is None else {"Fn::GetAtt": [lid, attribute]}


def _name_property(type_name: str) -> str | None:
    cls = kind_class(type_name)
    return name_property(cls) if cls is not None else None


def _taggable(type_name: str) -> bool:
    cls = kind_class(type_name)
    return bool(cls is not None and cls.taggable)


def _is_name(type_name: str, ref: str) -> bool:
    """Whether ``Ref`` is a name a user chose, rather than an ID AWS made or an ARN."""
    return not ref.startswith("arn:") and _name_property(type_name) is not None


def _noun(type_name: str) -> str:
    """``AWS::S3::Bucket`` -> ``Bucket``; ``AWS::Logs::LogGroup`` -> ``LogGroup``."""
    return type_name.rsplit("::", 1)[-1]
