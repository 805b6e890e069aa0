"""One entry of Resources: its attributes (Type, DependsOn, policies...) and Metadata.Reconciler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import Issue
from reconciler.template.fragments import Declaration
from reconciler.template.located import LineDict, child_line, line_of
from reconciler.template.model import MODES, ReconcilerSettings

ATTRIBUTES = ("Type", "Properties", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy",
              "Condition", "Metadata")
# Snapshot only for kinds that declare ``supports_snapshot`` (checked by the loader).
POLICIES = ("Delete", "Retain", "Snapshot")
SETTINGS = ("Mode", "IgnoreDrift", "Adopt", "AllowReplace", "PhysicalId")


@dataclass
class ResourceEntry:
    """A resource entry with its attributes checked; Properties still unchecked."""

    decl: Declaration
    type: str | None = None
    properties: dict[str, Any] = field(default_factory=LineDict)
    properties_line: int = 0
    depends_on: list[tuple[str, int]] = field(default_factory=list)  # (logical ID, line)
    deletion_policy: str | None = None
    update_replace_policy: str | None = None
    policy_lines: dict[str, int] = field(default_factory=dict)  # attribute -> its line
    condition: str | None = None
    condition_line: int = 0
    settings: ReconcilerSettings = field(default_factory=ReconcilerSettings)


def parse_entry(decl: Declaration) -> tuple[ResourceEntry, list[Issue]]:
    entry = ResourceEntry(decl, properties_line=decl.line)
    body = decl.body
    if not isinstance(body, dict):
        return entry, [Issue(decl.file, decl.line,
                             f"resource '{decl.name}' must be a mapping with at least a Type")]
    problems: list[tuple[int, str]] = []

    def at(key: str) -> int:
        return child_line(body, key, decl.line)

    for key in body:
        if key not in ATTRIBUTES:
            problems.append((at(key), f"resource attribute '{key}' is not supported "
                                      f"(supported: {', '.join(ATTRIBUTES)})"))
    kind = body.get("Type")
    if isinstance(kind, str) and kind:
        entry.type = kind
    else:
        problems.append((at("Type"), "Type is required and must be a resource type name"))

    properties = body.get("Properties")
    entry.properties_line = at("Properties")
    if isinstance(properties, dict):
        entry.properties = properties
    elif properties is not None:
        problems.append((at("Properties"), "Properties must be a mapping"))

    depends_on = body.get("DependsOn", [])
    names = [depends_on] if isinstance(depends_on, str) else depends_on
    if isinstance(names, list) and all(isinstance(n, str) for n in names):
        entry.depends_on = [(n, child_line(names, i, at("DependsOn"))) for i, n in
                            enumerate(names)]
    else:
        problems.append((at("DependsOn"), "DependsOn must be a logical ID or a list of them"))

    for key in ("DeletionPolicy", "UpdateReplacePolicy"):
        value = body.get(key)
        if value is not None and value not in POLICIES:
            problems.append((at(key), f"{key} must be one of {', '.join(POLICIES)}"))
        elif value is not None:
            entry.policy_lines[key] = at(key)
            setattr(entry, "deletion_policy" if key == "DeletionPolicy"
                    else "update_replace_policy", value)

    if "Condition" in body:
        if isinstance(body["Condition"], str):
            entry.condition, entry.condition_line = body["Condition"], at("Condition")
        else:
            problems.append((at("Condition"), "Condition must be a condition name"))

    metadata = body.get("Metadata")
    if metadata is not None and not isinstance(metadata, dict):
        problems.append((at("Metadata"), "Metadata must be a mapping"))
    elif metadata is not None and "Reconciler" in metadata:
        entry.settings = _settings(metadata["Reconciler"],
                                   child_line(metadata, "Reconciler", at("Metadata")), problems)
    return entry, [Issue(decl.file, line, f"resource '{decl.name}': {message}")
                   for line, message in problems]


def _settings(value: Any, line: int, problems: list[tuple[int, str]]) -> ReconcilerSettings:
    if not isinstance(value, dict):
        problems.append((line, "Metadata.Reconciler must be a mapping"))
        return ReconcilerSettings()

    def at(key: str) -> int:
        return child_line(value, key, line)

    for key in value:
        if key not in SETTINGS:
            problems.append((at(key), f"Metadata.Reconciler.{key} is not a setting "
                                      f"(settings: {', '.join(SETTINGS)})"))
    mode = value.get("Mode")
    if mode is not None and mode not in MODES:
        problems.append((at("Mode"), f"Metadata.Reconciler.Mode must be one of "
                                     f"{', '.join(MODES)}"))
        mode = None
    ignore = value.get("IgnoreDrift", [])
    if not isinstance(ignore, list):
        problems.append((at("IgnoreDrift"), "Metadata.Reconciler.IgnoreDrift must be a list of "
                                            "JSON pointers"))
        ignore = []
    for index, pointer in enumerate(ignore):
        if not (isinstance(pointer, str) and pointer.startswith("/")):
            problems.append((child_line(ignore, index, line_of(ignore, at("IgnoreDrift"))),
                             f"Metadata.Reconciler.IgnoreDrift entry {pointer!r} must be a JSON "
                             "pointer into Properties, starting with '/'"))
    flags = {}
    for key in ("Adopt", "AllowReplace"):
        flag = value.get(key, False)
        if not isinstance(flag, bool):
            problems.append((at(key), f"Metadata.Reconciler.{key} must be true or false"))
            flag = False
        flags[key] = flag
    physical_id = value.get("PhysicalId")
    if physical_id is not None and not (isinstance(physical_id, str) and physical_id):
        problems.append((at("PhysicalId"), "Metadata.Reconciler.PhysicalId must be the "
                                           "resource's physical ID, a string"))
        physical_id = None
    return ReconcilerSettings(
        mode=mode,
        ignore_drift=tuple(p for p in ignore if isinstance(p, str) and p.startswith("/")),
        adopt=flags["Adopt"],
        allow_replace=flags["AllowReplace"],
        physical_id=physical_id,
    )
