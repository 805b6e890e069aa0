"""The contract between the engine and a resource kind.

The engine owns every decision (ownership, modes, guards, ordering, what to
apply); a kind only answers questions about AWS and carries out one call
sequence at a time. ``observe`` never writes.

Properties handed to a kind are fully resolved CloudFormation properties
(no intrinsics, no Unknowns) with the ``Tags`` property removed: tags are
the engine's business and go through ``set_tags``.

Slow operations: a kind never waits for AWS. No method sleeps or polls; each
makes a bounded sequence of calls and returns.

- When AWS is still working on a resource (a table CREATING, a NAT gateway
  ``pending``, a distribution ``InProgress``), ``observe``, ``create`` or
  ``update`` return an ``Observation`` whose ``pending`` says so in a few words
  ("TableStatus CREATING"). The engine records the resource as Pending, makes
  its dependents wait and looks again later; while an observation is pending
  the engine attempts no change to the resource. A change AWS accepts only in
  steps (one per call, only while the resource is ready) makes one step per
  ``update`` and reports pending while steps remain: the next pass re-diffs
  and asks for the next step.
- A transient refusal (eventual consistency, the resource busy being modified
  or its predecessor still being deleted) is raised as
  ``TransientError(message, delay)``: the engine keeps the resource Pending
  and retries the same change no sooner than ``delay`` seconds later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from reconciler.kinds.listing import Listing, NotListable, list_ids
from reconciler.kinds.schema import TypeSchema, file_name, load_document, path_pointer, schema_for

Props = dict[str, Any]


class AwsClients(Protocol):
    """Hands out shared, thread-safe boto3 clients (see reconciler.aws.clients)."""

    region: str

    def client(self, service: str, retries: bool = True) -> Any: ...


@dataclass
class Observation:
    """What exists in AWS, in CloudFormation's shape.

    ``properties`` holds at least every property the desired state declares
    (a property AWS has no value for is ``None``); values are normalized to
    how a user would write them (e.g. policy documents as dicts).
    ``tags`` is None for kinds that cannot be tagged.
    ``attributes`` holds ``Fn::GetAtt`` attributes plus ``Ref`` under the key "Ref".
    ``pending`` is set while AWS is still working on the resource: what it is doing, in a
    few words ("TableStatus CREATING"); None when the resource is ready.
    """

    physical_id: str
    properties: Props
    tags: dict[str, str] | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    pending: str | None = None


def is_intrinsic(value: Any) -> bool:
    """A still-unresolved ``{"Ref": ...}`` or ``{"Fn::...": ...}``: ``validate`` runs before
    resolution, so such values cannot be checked yet."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = str(next(iter(value)))
    return key == "Ref" or key.startswith("Fn::")


class TransientError(Exception):
    """AWS has not caught up yet (eventual consistency, a resource busy being modified): the
    same change may succeed later. The engine retries it after ``delay`` seconds, no sooner."""

    def __init__(self, message: str, delay: float = 15.0):
        super().__init__(message)
        self.delay = delay


class Kind:
    """Base class for one CloudFormation resource type.

    What the registry schema states is not restated here: ``attributes`` (its top-level
    read-only properties), ``taggable``, create-only properties, write-only properties
    (never diffed) and credentials among them (masked) come from ``TypeSchema`` when the
    subclass is defined; a kind declares only what goes beyond the schema.
    """

    type_name: ClassVar[str]
    schema_file: ClassVar[str]
    # Top-level properties this kind manages; any other schema property is a validation error.
    managed_properties: ClassVar[frozenset[str]]
    # Schema properties deliberately not managed -> why (the validation error says it).
    refused: ClassVar[Mapping[str, str]] = {}
    # Fn::GetAtt attribute names (CloudFormation's documented return values).
    attributes: ClassVar[frozenset[str]] = frozenset()
    # Top-level properties forcing replacement, beyond the schema's createOnlyProperties
    # (AWS cannot change them in place, but the schema leaves that to the update failing).
    replace_on: ClassVar[frozenset[str]] = frozenset()
    # JSON pointers (``*`` matches any list index) that AWS cannot read back, beyond the
    # schema's writeOnlyProperties: never diffed.
    unobservable: ClassVar[frozenset[str]] = frozenset()
    # Write-only in the schema, yet the API reads them back faithfully: diffed as read.
    readable: ClassVar[frozenset[str]] = frozenset()
    # Write-only top-level properties compared with a salted print of the value last written
    # (AWS never shows them): a changed declaration is written again.
    compare_written: ClassVar[frozenset[str]] = frozenset()
    # JSON pointers of values masked in plans, logs and state, beyond the schema's credentials.
    secret_paths: ClassVar[frozenset[str]] = frozenset()
    # JSON pointers compared as a whole (extra keys on the AWS side are drift), e.g. rule lists.
    exact_paths: ClassVar[frozenset[str]] = frozenset()
    # JSON pointers holding IAM-style policy documents (canonicalized before comparing).
    policy_paths: ClassVar[frozenset[str]] = frozenset()
    # JSON pointers holding a resource reference that may be written as ARN or ID.
    identifier_paths: ClassVar[frozenset[str]] = frozenset()
    # JSON pointers of names AWS keeps in its own case (RDS lowers ``MySQL``), beyond the
    # schema's enumCaseInsensitive: compared ignoring case.
    any_case_paths: ClassVar[frozenset[str]] = frozenset()
    # Create-only in the schema, yet the API changes them in place (no replacement needed).
    in_place: ClassVar[frozenset[str]] = frozenset()
    # Fn::GetAtt names CloudFormation documents beyond the schema's read-only properties.
    extra_attributes: ClassVar[frozenset[str]] = frozenset()
    # IAM actions called beyond the schema's handler permissions (checked by the contract suite).
    extra_permissions: ClassVar[frozenset[str]] = frozenset()
    # Data-bearing kinds default to DeletionPolicy Retain (orphan instead of delete).
    data_bearing: ClassVar[bool] = False
    # Holds no data (a permission statement, a published version): a replacement needs no
    # Metadata.Reconciler.AllowReplace.
    replacement_safe: ClassVar[bool] = False
    # What a replacement does with the old resource unless UpdateReplacePolicy says:
    # "Retain" for kinds whose old resources stay in use (published Lambda versions).
    update_replace_policy: ClassVar[str] = "Delete"
    # DeletionPolicy (and UpdateReplacePolicy) Snapshot: deleted through delete_with_snapshot.
    supports_snapshot: ClassVar[bool] = False
    taggable: ClassVar[bool] = True
    # Ref returns the physical ID (the declared name), so it is known before the create.
    attributes_ref_is_id: ClassVar[bool] = True
    # How ``import --type`` and ``unmanaged`` list what exists (see listing.py); None: the
    # kind cannot be listed on its own, and ``unlisted`` says why.
    listing: ClassVar[Listing | None] = None
    unlisted: ClassVar[str] = "listing it is not implemented yet"

    def __init__(self, aws: AwsClients):
        self.aws = aws

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "type_name" not in cls.__dict__:
            return  # an abstract intermediate class
        if "schema_file" not in cls.__dict__:
            cls.schema_file = file_name(cls.type_name)
        facts = cls.type_schema()
        if "attributes" not in cls.__dict__:
            cls.attributes = facts.attributes | cls.extra_attributes
        if "taggable" not in cls.__dict__:
            cls.taggable = facts.tagging.taggable
        cls.unobservable = cls.unobservable | {
            path_pointer(p) for p in facts.write_only if path_pointer(p) not in cls.readable}
        cls.secret_paths = cls.secret_paths | {path_pointer(p) for p in facts.secrets}

    # --- schema -----------------------------------------------------------------------------

    @classmethod
    def type_schema(cls) -> TypeSchema:
        if cls.schema_file == file_name(cls.type_name):
            return schema_for(cls.type_name)
        return TypeSchema(load_document(cls.schema_file))

    @classmethod
    def schema(cls) -> dict[str, Any]:
        return dict(cls.type_schema().document)

    @classmethod
    def permissions(cls) -> frozenset[str]:
        """IAM actions this kind may call: the schema's handlers and tagging, plus the calls
        the reconciler makes that CloudFormation's handlers do not (``extra_permissions``)."""
        return cls.type_schema().permissions() | cls.extra_permissions

    @classmethod
    def create_only(cls) -> frozenset[str]:
        names = (cls.type_schema().create_only_names() | set(cls.replace_on)) - cls.in_place
        return frozenset(names) & cls.managed_properties

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        """Checks beyond the schema, as (JSON pointer, message). Values may still hold intrinsics
        (dicts with a single ``Ref``/``Fn::*`` key): skip those."""
        return []

    @classmethod
    def validate_with(cls, props: Props, declared: Mapping[str, tuple[str, Props]],
                      ) -> list[tuple[str, str]]:
        """Checks that need the rest of the tree, as (JSON pointer, message): ``declared`` maps
        every logical ID in the template to its type and (unresolved) properties."""
        return []

    def replacing(self, desired: Props, observed: Props, changed: frozenset[str],
                  ) -> frozenset[str]:
        """Changed properties that force a replacement in this case only (AWS changes them in
        place in others), beyond ``create_only``: judged on the declared and observed values,
        no AWS call."""
        return frozenset()

    # --- identity ---------------------------------------------------------------------------

    def physical_id(self, props: Props) -> str | None:
        """The physical ID derivable from declared properties (a name), else None."""
        return None

    def generated_name(self, logical_id: str, owner: str) -> Props:
        """Properties to add when a named kind is declared without its name (CloudFormation
        generates one); recorded before the create so a crash cannot leak it."""
        return {}

    def find(self, owner: str, logical_id: str) -> str | None:
        """Find a resource this owner created for logical_id by its ownership tags (crash
        recovery for kinds whose physical ID is only known after create)."""
        return None

    @classmethod
    def listable(cls) -> bool:
        return cls.listing is not None or cls.list_physical_ids is not Kind.list_physical_ids

    def list_physical_ids(self) -> list[str]:
        """Physical IDs of what exists of this kind in the account and region, without what
        AWS made itself; raises NotListable naming the type and why not."""
        if self.listing is None:
            raise NotListable(f"{self.type_name} cannot be listed: {self.unlisted}")
        return list_ids(self.aws, self.listing)

    # --- lifecycle --------------------------------------------------------------------------

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        """Read the resource; None when it does not exist. Read only what ``desired`` declares
        (plus tags and attributes) to keep calls per resource low. Never writes."""
        raise NotImplementedError

    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        """Create the resource with its tags; return at least physical_id and attributes.
        ``token`` identifies this create intent (the same after a crash): the idempotency
        token for APIs that take one."""
        raise NotImplementedError

    def update(self, physical_id: str, desired: Props, observed: Observation,
               changed: frozenset[str]) -> Observation | None:
        """Bring the named top-level properties (``changed``) to ``desired`` in place. May
        return an Observation whose ``pending`` says AWS is still applying the change (or
        that steps remain); None means done."""
        raise NotImplementedError

    def set_tags(self, physical_id: str, add: dict[str, str], remove: list[str]) -> None:
        raise NotImplementedError

    def delete(self, physical_id: str, desired: Props) -> None:
        """Delete the resource. ``desired`` holds the last applied properties (may be empty)."""
        raise NotImplementedError

    def delete_with_snapshot(self, physical_id: str, desired: Props) -> None:
        """Delete the resource after a final snapshot of its data (DeletionPolicy Snapshot;
        only for kinds with ``supports_snapshot``)."""
        raise NotImplementedError


def load_schema(name: str) -> dict[str, Any]:
    """A vendored schema document by file name."""
    return load_document(name)
