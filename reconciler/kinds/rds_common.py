"""What the RDS kinds share: names AWS stores in lower case, tags by ARN, and statuses.

Clusters, instances and proxies take minutes to create or change. A status AWS moves
through by itself (``creating``, ``modifying``, ``backing-up``, ...) is pending; a ready
one (``available``, ``stopped``) is not; any other (``failed``,
``inaccessible-encryption-credentials``, ``incompatible-network``, ...) needs a person
and is an error naming it. A ``deleting`` resource no longer exists. An update reads its
pending state from the modify call's answer: AWS often still says ``available`` there,
with the change under PendingModifiedValues until it starts.
"""

from __future__ import annotations

import re
import secrets
import string
from typing import Any, ClassVar

import jmespath

from reconciler.errors import ReconcilerError
from reconciler.kinds.base import Observation, Props
from reconciler.kinds.declared import DeclaredKind, TagCalls

READY = frozenset({"available", "stopped"})
# Statuses AWS leaves by itself (RDS User Guide, "Viewing DB cluster/instance status";
# RDS Proxy's DBProxyStatus).
TRANSITIONAL = frozenset({
    "creating", "modifying", "backing-up", "upgrading", "rebooting", "renaming",
    "resetting-master-credentials", "starting", "stopping", "maintenance", "failing-over",
    "migrating", "promoting", "storage-optimization", "configuring-enhanced-monitoring",
    "configuring-iam-database-auth", "configuring-log-exports", "converting-to-vpc",
    "moving-to-vpc", "update-iam-db-auth", "storage-initialization", "storage-config-upgrade",
    "configuring-activity-stream", "reactivating", "suspending",
})
GONE = frozenset({"deleting", "deleted"})


def tags_by_arn(arn_member: str, listed: bool) -> TagCalls:
    """RDS tags a resource by its ARN; clusters and instances answer TagList in their read."""
    return TagCalls("AddTagsToResource", "RemoveTagsFromResource",
                    "ListTagsForResource" if listed else None, result="TagList",
                    resource=arn_member, param="ResourceName")


def generated_identifier(logical_id: str, owner: str, limit: int = 63) -> str:
    """A name as CloudFormation makes one, in the form RDS takes (and keeps: lower case,
    letters, digits and single hyphens, starting with a letter)."""
    suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(12))
    stem = re.sub(r"[^a-z0-9]+", "-", f"{owner}-{logical_id}".lower()).strip("-")
    stem = stem if stem[:1].isalpha() else f"r-{stem}"
    return f"{stem[: limit - len(suffix) - 1].rstrip('-')}-{suffix}"


def major_version(version: str, engine: Any) -> str:
    """PostgreSQL's major is its first number (15.4 of 15); the other engines' the first two
    (MySQL 8.0.35 of 8.0, MariaDB 10.11.5 of 10.11, Aurora MySQL 8.0.mysql_aurora.3.04.0)."""
    parts = version.split(".")
    postgres = "postgres" in str(engine).lower() and parts[0].isdigit() and int(parts[0]) >= 10
    return parts[0] if postgres else ".".join(parts[:2])


def major_upgrade(declared: Any, actual: Any, engine: Any) -> bool:
    """A change of major version (ModifyDB* then needs AllowMajorVersionUpgrade)."""
    return isinstance(declared, str) and isinstance(actual, str) \
        and major_version(declared, engine) != major_version(actual, engine)


def log_exports_change(declared: Any, actual: Any) -> dict[str, list[str]]:
    """CloudwatchLogsExportConfiguration: the log types to turn on and off."""
    want, had = set(declared or ()), set(actual or ())
    return {"EnableLogTypes": sorted(want - had), "DisableLogTypes": sorted(had - want)}


def modify_arguments(values: Props, observed: Observation | None,
                     ) -> tuple[dict[str, Any], Props]:
    """What a ModifyDBCluster / ModifyDBInstance sends beyond the changed values: applied now,
    log exports as a change set, AWS's consent to a new major version; and the values left
    for the call to map."""
    have = observed.properties if observed else {}
    args: dict[str, Any] = {"ApplyImmediately": True}
    values = dict(values)
    if "EnableCloudwatchLogsExports" in values:
        args["CloudwatchLogsExportConfiguration"] = log_exports_change(
            values.pop("EnableCloudwatchLogsExports"), have.get("EnableCloudwatchLogsExports"))
    if major_upgrade(values.get("EngineVersion"), have.get("EngineVersion"),
                     have.get("Engine")):
        args["AllowMajorVersionUpgrade"] = True
    return args, values


def same_version(declared: Any, actual: Any) -> bool:
    """A declared major or major.minor (``8.0``) is the version AWS picked within it."""
    return isinstance(declared, str) and isinstance(actual, str) and (
        actual == declared or actual.startswith(f"{declared}."))


class RdsStatusKind(DeclaredKind):
    """A declared RDS kind with a status: pending while AWS works, an error when stuck."""

    status_member: ClassVar[str] = "Status"
    # JMESPath to the resource in the modify call's answer ("DBCluster").
    modified_result: ClassVar[str] = ""
    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        """Sent with the engine in the lower case RDS keeps it in (AWS takes ``MySQL`` too;
        the local server does not); compared ignoring case (``any_case_paths``)."""
        engine = desired.get("Engine")
        if isinstance(engine, str):
            desired = {**desired, "Engine": engine.lower()}
        return super().create(desired, tags, token)

    def delete(self, physical_id: str, desired: Props) -> None:
        """The delete call, with DeleteAutomatedBackups where the template declares it."""
        with self.gone_is_done():
            self.invoke(self.delete_call, physical_id, {
                k: v for k, v in desired.items() if k == "DeleteAutomatedBackups"})

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        """As read, with a version AWS completed (``8.0`` as ``8.0.35``) spelled as declared."""
        props = super().properties_from(resource, desired)
        if same_version(desired.get("EngineVersion"), props.get("EngineVersion")):
            props["EngineVersion"] = desired["EngineVersion"]
        return props

    def generated_name(self, logical_id: str, owner: str) -> Props:
        name = self.name_property()
        if name is None or name in self.type_schema().document.get("required", ()):
            return {}
        return {name: generated_identifier(logical_id, owner)}

    def exists(self, resource: dict[str, Any]) -> bool:
        return resource.get(self.status_member) not in GONE

    def pending_reason(self, resource: dict[str, Any]) -> str | None:
        status = resource.get(self.status_member)
        if status is None or status in READY:
            return None
        if status in TRANSITIONAL:
            return f"{self.status_member} {status}"
        raise ReconcilerError(f"{self.type_name} is {status}: AWS cannot use it in this state "
                              "by itself (see the RDS events); fix it, then the next pass goes on")

    def update(self, physical_id: str, desired: Props, observed: Observation,
               changed: frozenset[str]) -> Observation | None:
        """The modify call(s), then pending while AWS applies them."""
        reasons = []
        for answer in self.write_all(physical_id, desired, observed, changed):
            resource = jmespath.search(self.modified_result, answer) if answer else None
            if isinstance(resource, dict):
                reasons.append(self.modify_pending(resource))
        reason = next((r for r in reasons if r), None)
        if reason is None:
            return None
        return Observation(physical_id, observed.properties, observed.tags,
                           observed.attributes, pending=reason)

    def modify_pending(self, resource: dict[str, Any]) -> str | None:
        pending = self.pending_reason(resource)
        waiting = sorted(resource.get("PendingModifiedValues") or {})
        if pending is None and waiting:
            return f"{', '.join(waiting)} being applied"
        return pending
