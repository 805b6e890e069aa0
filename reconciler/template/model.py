"""The loaded desired tree: what the loader hands to the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MODES = ("enforce", "detect", "observe")


class Unknown:
    """A value that is only known after apply (an attribute of a resource not created yet)."""

    __slots__ = ("source",)

    def __init__(self, source: str):
        self.source = source

    def __repr__(self) -> str:
        return f"(known after apply: {self.source})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown) and other.source == self.source

    def __hash__(self) -> int:
        return hash(("Unknown", self.source))


@dataclass(frozen=True)
class ReconcilerSettings:
    """``Metadata.Reconciler`` of one resource."""

    mode: str | None = None  # None: the command's or worker's default mode
    ignore_drift: tuple[str, ...] = ()
    adopt: bool = False
    allow_replace: bool = False
    # The existing resource this entry is, for kinds whose ID no property names (a VPC's
    # vpc-...): what ``import --type`` writes so that Adopt finds it.
    physical_id: str | None = None


@dataclass
class ResourceDecl:
    """One resource as declared; ``properties`` still holds intrinsics (resolved per run)."""

    logical_id: str
    type: str
    properties: dict[str, Any]
    file: str
    line: int
    depends_on: tuple[str, ...] = ()  # explicit DependsOn plus every Ref/GetAtt/Sub target
    deletion_policy: str | None = None  # None: the kind's default
    update_replace_policy: str | None = None
    settings: ReconcilerSettings = field(default_factory=ReconcilerSettings)


@dataclass(frozen=True)
class OutputDecl:
    name: str
    value: Any  # unresolved, as written
    description: str | None
    export_name: Any  # unresolved Export.Name, or None
    file: str
    line: int


@dataclass
class Template:
    """The whole desired tree after parameters and conditions are applied."""

    resources: dict[str, ResourceDecl]
    order: list[str]  # topological: dependencies first
    parameters: dict[str, Any]
    conditions: dict[str, bool]
    files: list[str]
    # Parameters declared NoEcho: their values must be masked wherever they end up.
    no_echo_parameters: frozenset[str] = frozenset()
    # Mappings: name -> top-level key -> second-level key -> value, for Fn::FindInMap.
    mappings: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # Outputs whose Condition holds, in declaration order: resolved after apply.
    outputs: dict[str, OutputDecl] = field(default_factory=dict)
    # Not errors, but worth knowing (``file:line: message``): printed by validate.
    warnings: list[str] = field(default_factory=list)
    # Export names this tree imports (Fn::ImportValue), recorded so that the exporting tree
    # cannot stop exporting one in use.
    imports: frozenset[str] = frozenset()
    # Parameters whose values were read from Parameter Store: a worker loads the tree again
    # for each full run, as CloudFormation reads them at each stack operation.
    parameter_store: frozenset[str] = frozenset()


class ResourceLookup:
    """What intrinsic resolution asks the engine about other resources.

    The engine answers from what it observed or created in this run; a value
    not known yet is an ``Unknown``.
    """

    def ref(self, logical_id: str) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def get_att(self, logical_id: str, attribute: str) -> Any:  # pragma: no cover - interface
        raise NotImplementedError
