"""A fake slow kind for tests: moto makes everything ready at once, AWS does not.

``SlowParameter`` (type ``Test::Fake::SlowParameter``) is a real SSM parameter in the moto
server whose readiness the fake decides, as a NAT gateway or an Aurora cluster would:

- ``PendingObservations: N``: pending for the first N observations after its create;
- ``PendingUntilTagged: true``: pending until the parameter carries ``slow:ready=true``
  (a test flips the tag with boto3, from any process);
- ``TransientFailures: N`` with ``TransientDelay: S``: the first N creates raise
  ``TransientError(delay=S)``; every create attempt's time is kept in ``attempts``.

Register it with ``register()`` (tests use monkeypatch on the registry); ``python -m
tests.fake_kinds ARGS`` runs the reconciler CLI with it registered, for worker tests.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from typing import Any, ClassVar

from reconciler.aws.eventual import is_not_found
from reconciler.kinds.base import Kind, Observation, Props, TransientError
from reconciler.kinds.schema import TypeSchema

TYPE = "Test::Fake::SlowParameter"
TARGET = "tests.fake_kinds:SlowParameter"
READY_TAG = "slow:ready"
_KNOBS = ("PendingObservations", "PendingUntilTagged", "TransientFailures", "TransientDelay")

SCHEMA: dict[str, Any] = {
    "typeName": TYPE,
    "additionalProperties": False,
    "properties": {
        "Name": {"type": "string"},
        "Value": {"type": "string"},
        "PendingObservations": {"type": "integer"},
        "PendingUntilTagged": {"type": "boolean"},
        "TransientFailures": {"type": "integer"},
        "TransientDelay": {"type": "number"},
        "Tags": {"type": "array", "items": {
            "type": "object", "properties": {"Key": {"type": "string"},
                                             "Value": {"type": "string"}}}},
    },
    "required": ["Name", "Value"],
    "createOnlyProperties": ["/properties/Name"],
    "primaryIdentifier": ["/properties/Name"],
}


class SlowParameter(Kind):
    type_name = TYPE
    schema_file = "fake-slowparameter.json"  # never read: type_schema() answers
    managed_properties = frozenset({"Name", *_KNOBS, "Value", "Tags"})
    attributes = frozenset({"Value"})

    _lock: ClassVar[threading.Lock] = threading.Lock()
    observations: ClassVar[Counter[str]] = Counter()
    attempts: ClassVar[dict[str, list[float]]] = {}

    @classmethod
    def type_schema(cls) -> TypeSchema:
        return TypeSchema(SCHEMA)

    @classmethod
    def reset(cls) -> None:
        with cls._lock:
            cls.observations.clear()
            cls.attempts.clear()

    @property
    def _ssm(self) -> Any:
        return self.aws.client("ssm")

    def physical_id(self, props: Props) -> str | None:
        name = props.get("Name")
        return name if isinstance(name, str) else None

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        try:
            value = self._ssm.get_parameter(Name=physical_id)["Parameter"]["Value"]
        except self._ssm.exceptions.ParameterNotFound:
            return None
        tags = {t["Key"]: t["Value"] for t in self._ssm.list_tags_for_resource(
            ResourceType="Parameter", ResourceId=physical_id).get("TagList", [])}
        with self._lock:
            self.observations[physical_id] += 1
            seen = self.observations[physical_id]
        pending = None
        if desired.get("PendingUntilTagged") and tags.get(READY_TAG) != "true":
            pending = "waiting for its slow:ready tag"
        elif seen <= int(desired.get("PendingObservations") or 0):
            pending = f"state pending (observation {seen})"
        props = {"Name": physical_id, "Value": value,
                 **{k: desired[k] for k in _KNOBS if k in desired}}
        return Observation(physical_id, props, tags, {"Ref": physical_id, "Value": value},
                           pending=pending)

    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        name = desired["Name"]
        with self._lock:
            tried = self.attempts.setdefault(name, [])
            tried.append(time.time())
            failing = len(tried) <= int(desired.get("TransientFailures") or 0)
        if failing:
            raise TransientError(f"{name}: not yet (attempt {len(tried)})",
                                 delay=float(desired.get("TransientDelay") or 15.0))
        self._ssm.put_parameter(Name=name, Value=desired["Value"], Type="String",
                                Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])
        with self._lock:
            self.observations[name] = 0
        slow = desired.get("PendingUntilTagged") or int(desired.get("PendingObservations") or 0)
        return Observation(name, {}, dict(tags), {"Ref": name, "Value": desired["Value"]},
                           pending="state pending (creating)" if slow else None)

    def update(self, physical_id: str, desired: Props, observed: Observation,
               changed: frozenset[str]) -> Observation | None:
        if "Value" in changed:
            self._ssm.put_parameter(Name=physical_id, Value=desired["Value"], Type="String",
                                    Overwrite=True)
        return None

    def set_tags(self, physical_id: str, add: dict[str, str], remove: list[str]) -> None:
        if remove:
            self._ssm.remove_tags_from_resource(ResourceType="Parameter",
                                                ResourceId=physical_id, TagKeys=remove)
        if add:
            self._ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=physical_id,
                                           Tags=[{"Key": k, "Value": v} for k, v in add.items()])

    def delete(self, physical_id: str, desired: Props) -> None:
        try:
            self._ssm.delete_parameter(Name=physical_id)
        except Exception as exc:
            if not is_not_found(exc, "ParameterNotFound"):
                raise


def register(kinds: dict[str, str]) -> None:
    """Add the fake to a registry mapping (``reconciler.kinds.registry._KINDS``)."""
    kinds[TYPE] = TARGET


if __name__ == "__main__":
    from reconciler.cli import main
    from reconciler.kinds import registry

    register(registry._KINDS)
    sys.exit(main(sys.argv[1:]))
