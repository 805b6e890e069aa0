"""A kind from a short declaration: the calls, the renames, the tag calls; the base does the rest.

A declared kind names its service, the API member that carries its physical ID, and
one ``Call`` per step (read, create, delete, extra reads and per-property writers).
Properties map to API members by name through ``mapper``; the schema supplies the
identifier, create-only, write-only and tagging facts. A kind whose API is irregular
overrides one method. Cost of a no-drift observe: the read call, one call per
declared property that has its own reader, and the tag list call when tags are not
part of the read.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

import jmespath
from botocore.exceptions import ClientError
from botocore.model import OperationModel

from reconciler.aws.eventual import error_code, is_not_found
from reconciler.aws.normalize import LOGICAL_ID_TAG, OWNER_TAG
from reconciler.errors import ReconcilerError
from reconciler.kinds import mapper
from reconciler.kinds.base import Kind, Observation, Props, TransientError
from reconciler.kinds.declared_tags import DeclaredTags, TagCalls
from reconciler.kinds.model_shapes import method_name, result_shape, tag_member, token_for


@dataclass(frozen=True)
class Call:
    """One API operation: fixed arguments, renames, where the answer is, and an "off" twin."""

    operation: str  # e.g. "PutKeyPolicy"
    args: Mapping[str, Any] = field(default_factory=dict)
    renames: mapper.Renames = field(default_factory=dict)
    result: str | None = None  # JMESPath into the response; ``{id}`` is the physical ID
    off: str | None = None  # operation for a false or removed value (DisableKey, Delete...)
    id_member: str | None = None  # where this call takes the physical ID, if not the identifier
    # Error codes of a read meaning "not configured" (the property has no value), not failure.
    absent: tuple[str, ...] = ()


Step = Call | str


class DeclaredKind(DeclaredTags, Kind):
    service: ClassVar[str]
    identifier: ClassVar[str]  # API member carrying the physical ID in every call
    read_call: ClassVar[Call]
    create_call: ClassVar[Call]
    delete_call: ClassVar[Call]
    # JMESPath to the physical ID in the create response; None: the declared name.
    created_id: ClassVar[str | None] = None
    # Property -> its own read (a Call, or the name of a method ``(physical_id, want)``).
    readers: ClassVar[Mapping[str, Step]] = {}
    # Property -> how it is updated in place: a Call (properties sharing one Call object go
    # in one call; equal but separate objects are separate calls),
    # or the name of a method ``(physical_id, values, observed)`` for what no call expresses.
    writers: ClassVar[Mapping[str, Step]] = {}
    tag_calls: ClassVar[TagCalls | None] = None
    # Fn::GetAtt attribute -> JMESPath into the read result (default: the same name).
    attribute_paths: ClassVar[Mapping[str, str]] = {}
    # Property -> JMESPath into the read result, where it is not a member of the same name
    # (EC2 answers SecurityGroupIds as Groups[].GroupId).
    property_paths: ClassVar[Mapping[str, str]] = {}
    ref_attribute: ClassVar[str | None] = None  # what Ref returns, when not the physical ID
    gone_codes: ClassVar[tuple[str, ...]] = ()  # error codes meaning "no such resource"
    token_member: ClassVar[str | None] = None  # idempotency token the model does not mark
    # The property holding the physical ID where the schema's identifier is an AWS-made ARN.
    name: ClassVar[str | None] = None
    # A name AWS requires but the template may leave out, when it is not the physical ID
    # (EC2's GroupName): generated like an identifier name.
    generated_property: ClassVar[str | None] = None
    # EC2: the ResourceType under which the create call's TagSpecifications take the tags.
    tag_spec: ClassVar[str | None] = None
    # A describe call taking tag filters, and the JMESPath to the IDs it finds (EC2): how an
    # unnamed kind finds what a lost create reply made.
    find_call: ClassVar[Call | None] = None
    # Error code -> message fragments meaning "not yet" (eventual consistency): retried later.
    transient_codes: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    @property
    def client(self) -> Any:
        return self.aws.client(self.service)

    # --- identity ---------------------------------------------------------------------------

    @classmethod
    def name_property(cls) -> str | None:
        """The property holding the physical ID: the schema's identifier when it is declared
        (not read-only), else the kind's ``name``."""
        if cls.name is not None:
            return cls.name
        ids = cls.type_schema().primary_identifier
        if len(ids) == 1 and ids[0] not in cls.type_schema().read_only:
            return ids[0][0]
        return None

    def physical_id(self, props: Props) -> str | None:
        name = self.name_property()
        value = props.get(name) if name else None
        return value if isinstance(value, str) else None

    def generated_name(self, logical_id: str, owner: str) -> Props:
        name = self.generated_property or self.name_property()
        stem = self.generated_stem(logical_id, owner)
        alphabet = string.ascii_uppercase + string.digits
        suffix = "".join(secrets.choice(alphabet) for _ in range(_SUFFIX))
        return {} if name is None or stem is None else {name: f"{stem}-{suffix}"}

    def generated_stem(self, logical_id: str, owner: str) -> str | None:
        """What every generated name of this resource starts with (before ``-SUFFIX``); None
        when the kind is unnamed or its name is required (nothing is generated)."""
        name = self.generated_property or self.name_property()
        if name is None or name in self.type_schema().document.get("required", ()):
            return None
        node = self.type_schema().node((name,))
        limit = int(node.get("maxLength", 255)) - _SUFFIX - 1
        stem = "".join(c for c in f"{owner}-{logical_id}" if c.isascii() and (
            c.isalnum() or c in "-_"))
        return stem[:limit]

    # --- calls ------------------------------------------------------------------------------

    def operation(self, name: str) -> OperationModel:
        return self.client.meta.service_model.operation_model(name)

    def invoke(self, call: Call, physical_id: str | None, values: Props | None = None,
               operation: str | None = None, client: Any = None, reading: bool = False,
               ) -> dict[str, Any]:
        op = operation or call.operation
        model = self.operation(op)
        args: dict[str, Any] = dict(call.args)
        id_member = mapper.member_for(model.input_shape, call.id_member or self.identifier, "",
                                      {})
        if physical_id is not None and id_member is None:
            # Never a call without its resource: DescribeVpcs would answer about every VPC.
            raise mapper.MappingError(f"{op} takes no {call.id_member or self.identifier}")
        if physical_id is not None and id_member is not None:
            listed = model.input_shape.members[id_member].type_name == "list"
            args[id_member] = [physical_id] if listed else physical_id  # EC2's VpcIds=[id]
        for key, value in (values or {}).items():
            member = mapper.member_for(model.input_shape, key, f"/{key}", call.renames)
            if member in model.input_shape.members and value is not None:
                args[member] = mapper.to_api(value, model.input_shape.members[member],
                                             call.renames, f"/{key}")
        if reading:  # "not found" on a read means gone, never "not yet"
            return dict(getattr(client or self.client, method_name(op))(**args))
        with self.transients(op):
            return dict(getattr(client or self.client, method_name(op))(**args))

    @contextmanager
    def transients(self, operation: str) -> Iterator[None]:
        """Errors that only mean "not yet" (``transient_codes``) become TransientError."""
        try:
            yield
        except ClientError as exc:
            fragments = self.transient_codes.get(error_code(exc))
            message = str(exc.response.get("Error", {}).get("Message", ""))
            if fragments is not None and (not fragments or any(f in message for f in fragments)):
                raise TransientError(f"{operation}: {message}") from exc
            raise

    def answer(self, call: Call, response: Any, physical_id: str) -> Any:
        if call.result is None:
            return response
        return jmespath.search(call.result.replace("{id}", physical_id), response)

    def _gone(self, exc: ClientError) -> bool:
        return is_not_found(exc, *self.gone_codes) if self.gone_codes else is_not_found(exc)

    # --- observe ----------------------------------------------------------------------------

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        try:
            resource = self.read(physical_id)
            if not resource or not self.exists(resource):
                return None
            props = self.properties_from(resource, desired)
            for prop, call in self.readers.items():
                if prop in desired:
                    props[prop] = self.read_property(prop, call, physical_id, desired[prop])
            tags = self.read_tags(physical_id, resource) if self.taggable else None
        except ClientError as exc:
            if self._gone(exc):
                return None
            raise
        return Observation(physical_id=physical_id, properties=props, tags=tags,
                           attributes=self.attributes_from(resource, physical_id),
                           pending=self.pending_reason(resource))

    def read(self, physical_id: str) -> dict[str, Any] | None:
        """The read call's answer about the resource (None or {}: no such resource)."""
        return self.answer(self.read_call, self.invoke(self.read_call, physical_id, reading=True),
                           physical_id)

    def read_or_none(self, physical_id: str) -> dict[str, Any] | None:
        """``read``, with a gone code or an empty answer as None (no such resource)."""
        try:
            return self.read(physical_id) or None
        except ClientError as exc:
            if self._gone(exc):
                return None
            raise

    def pending_reason(self, resource: dict[str, Any]) -> str | None:
        """Why AWS is still working on the resource (e.g. "State pending"), else None."""
        return None

    def exists(self, resource: dict[str, Any]) -> bool:
        """False for an answer that describes something gone (deleted, scheduled to be)."""
        return True

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        """Declared properties as the read call answers them (None where it does not)."""
        shape = result_shape(self.operation(self.read_call.operation).output_shape,
                              self.read_call.result)
        props: Props = {}
        policies = {p.strip("/") for p in self.policy_paths}
        # Undeclared properties the read answers anyway come along when they are plain values.
        wanted = {**{k: {} if k in policies else None for k in self.managed_properties},
                  **desired}
        for key, want in wanted.items():
            if key in self.readers or key == self.type_schema().tagging.tag_property \
                    or f"/{key}" in self.unobservable:
                continue  # read elsewhere, or never read back at all
            if key in self.property_paths:
                props[key] = jmespath.search(self.property_paths[key], resource)
                continue
            member = mapper.member_for(shape, key, f"/{key}", self.read_call.renames) \
                if shape is not None else key
            child = shape.members.get(member) if shape is not None and member else None
            value = mapper.from_api(resource.get(member) if member else None, child, want,
                                    self.read_call.renames, f"/{key}")
            plain = value is not None and (not isinstance(value, dict | list) or key in policies)
            if key in desired or plain:
                props[key] = value
        name = self.name_property()
        if name and name in desired:
            props[name] = desired[name] if props.get(name) is None else props[name]
        return props

    def read_property(self, prop: str, call: Step, physical_id: str, want: Any) -> Any:
        if isinstance(call, str):
            return getattr(self, call)(physical_id, want)
        try:
            response = self.invoke(call, physical_id, reading=True)
        except ClientError as exc:
            if error_code(exc) in call.absent:
                return None
            raise
        shape = result_shape(self.operation(call.operation).output_shape, call.result)
        return mapper.from_api(self.answer(call, response, physical_id), shape, want,
                               call.renames, f"/{prop}")

    def attributes_from(self, resource: dict[str, Any], physical_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        lowered = {k.lower(): k for k in resource}
        for name in self.attributes:
            path = self.attribute_paths.get(name)
            value = jmespath.search(path, resource) if path \
                else resource.get(lowered.get(name.lower(), name))
            if value is not None:  # not in the answer: Fn::GetAtt of it stays unknown
                out[name] = value
        out["Ref"] = out.get(self.ref_attribute) if self.ref_attribute else physical_id
        return out

    # --- create -----------------------------------------------------------------------------

    def create_call_for(self, desired: Props) -> Call:
        """The create call; a kind made several ways (a replica, a restore) picks here."""
        return self.create_call

    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        call = self.create_call_for(desired)
        model = self.operation(call.operation)
        members = model.input_shape.members
        args = {k: v for k, v in desired.items()
                if mapper.member_for(model.input_shape, k, f"/{k}", call.renames) in members}
        extra: dict[str, Any] = {}
        tags_at = tag_member(model.input_shape)
        if tags and self.tag_spec and "TagSpecifications" in members:
            tags_at = "TagSpecifications"
            extra[tags_at] = [{"ResourceType": self.tag_spec, "Tags": mapper.tags_to_api(
                tags, members[tags_at].member.members["Tags"])}]
        elif tags and tags_at is not None:
            extra[tags_at] = mapper.tags_to_api(tags, members[tags_at])
        tokens = [m for m in (*model.idempotent_members, self.token_member) if m]
        for member in tokens:
            extra[member] = token_for(token, members[member])
        # Without a token a retried create is a second resource: botocore must not retry it.
        client = self.client if tokens else self.aws.client(self.service, retries=False)
        try:
            response = self.invoke(Call(call.operation, {**call.args, **extra}, call.renames),
                                   None, args, client=client)
        except ClientError as exc:
            if error_code(exc) in _THROTTLED:
                raise ReconcilerError(f"{call.operation} was throttled; the next pass looks "
                                      "the resource up by its tags before creating it") from exc
            raise
        physical_id = str(jmespath.search(self.created_id, response) if self.created_id
                          else self.physical_id(desired))
        rest = frozenset(p for p in desired if p in self.writers and p not in args)
        self.write_all(physical_id, desired, None, rest)
        if tags and tags_at is None and self.tag_calls is not None:
            self.set_tags(physical_id, tags, [])
        observed = self.observe(physical_id, desired)
        if observed is None:  # eventually consistent reads: the next pass will see it
            raise TransientError(f"{self.type_name} {physical_id} was created but cannot be "
                                 "read back yet")
        return observed

    # --- update and delete ------------------------------------------------------------------

    def update(self, physical_id: str, desired: Props, observed: Observation,
               changed: frozenset[str]) -> None:
        self.write_all(physical_id, desired, observed, changed)

    def write_all(self, physical_id: str, desired: Props, observed: Observation | None,
                  changed: frozenset[str]) -> list[Any]:
        """The writers of ``changed``, each once, in declaration order; their answers (what a
        writer method returns), for kinds that read a pending state from them."""
        fixed = sorted(changed - set(self.writers))
        if fixed:
            raise ReconcilerError(f"{self.type_name}: {', '.join(fixed)} cannot be changed in "
                                  "place")
        # Properties share a call only when they share the very same step object.
        groups: dict[int, tuple[Step, Props]] = {}
        for prop in (p for p in self.writers if p in changed):
            step = self.writers[prop]
            groups.setdefault(id(step), (step, {}))[1][prop] = desired.get(prop)
        answers = []
        for writer, values in groups.values():
            if isinstance(writer, str):
                answers.append(getattr(self, writer)(physical_id, values, observed))
            else:
                answers.append(self.write(writer, physical_id, values))
        return answers

    def write(self, call: Call, physical_id: str, values: Props) -> dict[str, Any]:
        off = call.off is not None and all(v in (None, False) for v in values.values())
        return self.invoke(call, physical_id, values, operation=call.off if off else None)

    def delete(self, physical_id: str, desired: Props) -> None:
        with self.gone_is_done():
            self.invoke(self.delete_call, physical_id, desired)

    @contextmanager
    def gone_is_done(self) -> Iterator[None]:
        """A delete of what is already gone has nothing left to do."""
        try:
            yield
        except ClientError as exc:
            if not self._gone(exc):
                raise

    def find(self, owner: str, logical_id: str) -> str | None:
        """What this owner created for ``logical_id``, by its ownership tags (``find_call``);
        unnamed kinds without tag filters override this."""
        if self.find_call is None:
            return None
        filters = [{"Name": f"tag:{OWNER_TAG}", "Values": [owner]},
                   {"Name": f"tag:{LOGICAL_ID_TAG}", "Values": [logical_id]}]
        response = self.invoke(Call(self.find_call.operation, {**self.find_call.args,
                                                               "Filters": filters}),
                               None, reading=True)
        found = jmespath.search(self.find_call.result or "", response) or []
        return str(found[0]) if found else None


_SUFFIX = 12  # random characters ending a generated name

_THROTTLED = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded",
                        "TooManyRequestsException"})


def owned_by(tags: Mapping[str, str], owner: str, logical_id: str) -> bool:
    return tags.get(OWNER_TAG) == owner and tags.get(LOGICAL_ID_TAG) == logical_id
