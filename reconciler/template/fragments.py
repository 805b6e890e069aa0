"""Merge the fragments of a tree into one set of Parameters, Mappings, Conditions and Resources."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import Issue
from reconciler.template.located import child_line, line_of

SECTIONS = ("Parameters", "Mappings", "Conditions", "Resources", "Outputs")
ALLOWED_TOP_LEVEL = ("AWSTemplateFormatVersion", "Description", "Metadata", *SECTIONS)
FORMAT_VERSION = "2010-09-09"
# CloudFormation's rule for logical IDs, which also applies to parameter, mapping and condition
# names.
LOGICAL_ID = re.compile(r"[A-Za-z0-9]{1,255}")

_SINGULAR = {"Parameters": "parameter", "Mappings": "mapping", "Conditions": "condition",
             "Resources": "logical ID", "Outputs": "output"}


@dataclass(frozen=True)
class Declaration:
    """One named entry of a section, with where it was declared."""

    name: str
    body: Any
    file: str
    line: int


@dataclass
class Fragments:
    parameters: dict[str, Declaration] = field(default_factory=dict)
    mappings: dict[str, Declaration] = field(default_factory=dict)
    conditions: dict[str, Declaration] = field(default_factory=dict)
    resources: dict[str, Declaration] = field(default_factory=dict)
    outputs: dict[str, Declaration] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def section(self, name: str) -> dict[str, Declaration]:
        return {"Parameters": self.parameters, "Mappings": self.mappings,
                "Conditions": self.conditions, "Resources": self.resources,
                "Outputs": self.outputs}[name]


def merge(documents: list[tuple[str, Any]]) -> tuple[Fragments, list[Issue]]:
    """Merge parsed documents ``(file name, document)`` in the order given."""
    merged = Fragments()
    issues: list[Issue] = []
    for file, document in documents:
        merged.files.append(file)
        if document is None:
            continue  # an empty file is a valid, empty fragment
        if not isinstance(document, dict):
            issues.append(Issue(file, line_of(document, 1),
                                "a template fragment must be a mapping of sections"))
            continue
        issues += _check_top_level(file, document)
        for section in SECTIONS:
            if section in document:
                issues += _merge_section(file, document, section, merged.section(section))
    issues += _check_name_clashes(merged)
    return merged, issues


def _check_top_level(file: str, document: dict[str, Any]) -> list[Issue]:
    issues = []
    for key in document:
        line = child_line(document, key, 1)
        if key not in ALLOWED_TOP_LEVEL:
            issues.append(Issue(file, line, f"top-level section '{key}' is not supported "
                                            f"(supported: {', '.join(ALLOWED_TOP_LEVEL)})"))
        elif key == "AWSTemplateFormatVersion" and str(document[key]) != FORMAT_VERSION:
            issues.append(Issue(file, line, f"AWSTemplateFormatVersion must be '{FORMAT_VERSION}'"))
        elif key == "Description" and not isinstance(document[key], str | None):
            issues.append(Issue(file, line, "Description must be a string"))
    return issues


def _merge_section(file: str, document: dict[str, Any], section: str,
                   into: dict[str, Declaration]) -> list[Issue]:
    body = document[section]
    section_line = child_line(document, section, 1)
    if body is None:
        return []  # "Resources:" with nothing under it
    if not isinstance(body, dict):
        return [Issue(file, section_line, f"{section} must be a mapping")]
    issues = []
    what = _SINGULAR[section]
    for name, entry in body.items():
        line = child_line(body, name, section_line)
        if not LOGICAL_ID.fullmatch(name):
            issues.append(Issue(file, line, f"{what} '{name}' must be alphanumeric "
                                            "(A-Z, a-z, 0-9), at most 255 characters"))
            continue
        previous = into.get(name)
        if previous is not None:
            issues.append(Issue(file, line, f"duplicate {what} '{name}': also declared at "
                                            f"{previous.file}:{previous.line}"))
            continue
        into[name] = Declaration(name, entry, file, line)
    return issues


def _check_name_clashes(merged: Fragments) -> list[Issue]:
    # Ref cannot tell a parameter from a resource of the same name.
    return [
        Issue(resource.file, resource.line,
              f"logical ID '{name}' is also the name of a parameter declared at "
              f"{merged.parameters[name].file}:{merged.parameters[name].line}")
        for name, resource in merged.resources.items() if name in merged.parameters
    ]
