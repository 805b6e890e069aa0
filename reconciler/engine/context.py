"""What one reconcile run works with: settings, kinds, state and the resolution lookup."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.engine.diff import PropertyDiff
from reconciler.engine.dynamic import ReadReference
from reconciler.kinds.base import Kind, Observation
from reconciler.state.base import HistoryLimit
from reconciler.template.model import ResourceLookup, Unknown


@dataclass(frozen=True)
class EngineSettings:
    owner: str = "reconciler"
    default_mode: str = "enforce"  # enforce | detect
    revision: str | None = None
    max_deletes: int = 10
    max_delete_fraction: float = 0.25
    allow_mass_delete: bool = False
    allow_empty: bool = False
    concurrency: int = 8
    history: HistoryLimit = field(default_factory=HistoryLimit)
    # The inventory may lack resources this owner made (it was rebuilt after damage): a
    # declared resource without a row and without a name is looked up by its ownership tags.
    find_unrecorded: bool = False


class Kinds:
    """One kind instance per CloudFormation type, built on first use, and the reader of dynamic
    references: the AWS side the engine talks to."""

    def __init__(self, catalog: Mapping[str, type[Kind]], factory: Callable[[type[Kind]], Kind],
                 read_reference: ReadReference | None = None):
        self._catalog = catalog
        self._factory = factory
        # Reads a dynamic reference's value from AWS (Secrets Manager, SSM) at apply time.
        self.read_reference = read_reference
        self._instances: dict[str, Kind] = {}
        self._diffs: dict[str, PropertyDiff] = {}
        self._lock = threading.Lock()

    def get(self, type_name: str) -> Kind:
        with self._lock:
            if type_name not in self._instances:
                self._instances[type_name] = self._factory(self._catalog[type_name])
            return self._instances[type_name]

    def differ(self, type_name: str) -> PropertyDiff:
        with self._lock:
            if type_name not in self._diffs:
                self._diffs[type_name] = PropertyDiff(self._catalog[type_name])
            return self._diffs[type_name]

    def known(self, type_name: str) -> bool:
        return type_name in self._catalog


@dataclass
class RunLookup(ResourceLookup):
    """Answers Ref/GetAtt from what this run observed or created; Unknown otherwise."""

    observations: dict[str, Observation | None] = field(default_factory=dict)
    # Physical IDs of resources still to be created whose ID is their declared name.
    planned_ids: dict[str, str] = field(default_factory=dict)

    def ref(self, logical_id: str) -> Any:
        obs = self.observations.get(logical_id)
        if obs is None:
            if logical_id in self.planned_ids:
                return self.planned_ids[logical_id]
            return Unknown(logical_id)
        return obs.attributes.get("Ref", obs.physical_id)

    def get_att(self, logical_id: str, attribute: str) -> Any:
        obs = self.observations.get(logical_id)
        if obs is not None and attribute in obs.attributes:
            return obs.attributes[attribute]
        if obs is not None and "." in attribute:  # Endpoint.Address: a member of an attribute
            value: Any = obs.attributes
            for part in attribute.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if value is not None:
                return value
        return Unknown(f"{logical_id}.{attribute}")


def unknown_sources(value: Any) -> list[str]:
    """What the unknown values inside ``value`` wait for (``Vpc.DefaultSecurityGroup``)."""
    if isinstance(value, Unknown):
        return [value.source]
    children = value.values() if isinstance(value, dict) else value if isinstance(
        value, list) else ()
    return sorted({source for child in children for source in unknown_sources(child)})


def contains_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False
