"""Tags of a declared kind: where they are read, and the calls that set and remove them.

Tags travel in the read answer (``TagCalls.list`` None) or through a list call; they are
set and removed by the kind's tag calls, naming the resource by its ID or by a value of
the read answer (an ARN), as a list where the API takes one (EC2's ``Resources``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jmespath

from reconciler.errors import ReconcilerError
from reconciler.kinds import mapper
from reconciler.kinds.model_shapes import method_name, tag_member

if TYPE_CHECKING:
    from botocore.model import OperationModel


@dataclass(frozen=True)
class TagCalls:
    tag: str
    untag: str
    list: str | None = None  # None: the read call's answer carries the tags
    result: str = "Tags"  # JMESPath to the tags in the list (or read) response
    resource: str | None = None  # JMESPath into the read answer naming the resource (else the ID)
    param: str | None = None  # that API member (default the kind's identifier)


class DeclaredTags:
    """Tag handling for DeclaredKind (which supplies the attributes used here)."""

    tag_calls: TagCalls | None
    identifier: str
    type_name: str
    client: Any

    def operation(self, name: str) -> OperationModel:  # pragma: no cover - DeclaredKind's
        raise NotImplementedError

    def read(self, physical_id: str) -> dict[str, Any] | None:  # pragma: no cover
        raise NotImplementedError

    def _tag_target(self, physical_id: str, resource: dict[str, Any] | None = None) -> Any:
        calls = self.tag_calls
        assert calls is not None
        if calls.resource is None:
            return physical_id
        if resource is None:
            resource = self.read(physical_id)
            if not resource:
                raise ReconcilerError(f"{self.type_name} {physical_id} does not exist")
        return jmespath.search(calls.resource, resource)

    def _tag_target_args(self, operation: str, target: Any) -> dict[str, Any]:
        """The argument naming the resource in a tag call (a list for EC2's Resources)."""
        shape = self.operation(operation).input_shape
        name = (self.tag_calls.param if self.tag_calls else None) or self.identifier
        member = mapper.member_for(shape, name, "", {}) or name
        listed = member in shape.members and shape.members[member].type_name == "list"
        return {member: [target] if listed else target}

    def read_tags(self, physical_id: str, resource: dict[str, Any]) -> dict[str, str]:
        calls = self.tag_calls
        if calls is None:
            return {}
        if calls.list is None:
            return mapper.tags_from_api(jmespath.search(calls.result, resource))
        target = self._tag_target(physical_id, resource)
        response = getattr(self.client, method_name(calls.list))(
            **self._tag_target_args(calls.list, target))
        return mapper.tags_from_api(jmespath.search(calls.result, response))

    def set_tags(self, physical_id: str, add: dict[str, str], remove: list[str]) -> None:
        calls = self.tag_calls
        if calls is None:
            return
        target = self._tag_target(physical_id)
        if remove:
            shape = self.operation(calls.untag).input_shape
            keys = next((m for m in shape.members if m.lower().endswith("keys")), None)
            # EC2's DeleteTags (Tags) and CloudTrail's RemoveTags (TagsList) take the tags to
            # remove as [{Key}], not a list of keys.
            listed = tag_member(shape) or "Tags"
            removal = {keys: remove} if keys else {listed: [{"Key": k} for k in remove]}
            getattr(self.client, method_name(calls.untag))(
                **self._tag_target_args(calls.untag, target), **removal)
        if add:
            shape = self.operation(calls.tag).input_shape
            member = tag_member(shape)
            assert member is not None, f"{calls.tag} takes no tags"
            getattr(self.client, method_name(calls.tag))(
                **self._tag_target_args(calls.tag, target),
                **{member: mapper.tags_to_api(add, shape.members[member])})
