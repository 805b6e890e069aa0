"""Load a desired tree into a Template, or fail with every issue found in it."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from reconciler.errors import Issue, ValidationFailed
from reconciler.kinds.base import Kind
from reconciler.template.conditions import evaluate_conditions
from reconciler.template.dynamic_refs import has_reference
from reconciler.template.files import discover, read_fragment
from reconciler.template.folding import fold_conditions
from reconciler.template.fragments import Fragments, merge
from reconciler.template.graph import check_resources
from reconciler.template.import_check import imported_names
from reconciler.template.intrinsic_check import IntrinsicCheck, Scope
from reconciler.template.intrinsics import (
    EXPORTS,
    PARAMETER_ATTRIBUTES,
    SSM_PARAMETERS,
    references,
)
from reconciler.template.located import child_line, format_path, line_at, pointer_parts
from reconciler.template.mappings import check_mappings
from reconciler.template.model import ResourceDecl, Template
from reconciler.template.name_edges import with_name_edges
from reconciler.template.outputs import check_outputs
from reconciler.template.parameters import COMMAND_LINE, resolve_parameters
from reconciler.template.resource_entry import ResourceEntry, parse_entry
from reconciler.template.rules import check_rules
from reconciler.template.schema_check import check_properties


def load_tree(path: str | Path, parameters: Mapping[str, str],
              catalog: Mapping[str, type[Kind]], *, pseudo: Mapping[str, Any] | None = None,
              max_file_bytes: int | None = None) -> Template:
    """Parse, merge and check every fragment under ``path``.

    ``parameters`` are the ``--parameter`` overrides. ``pseudo`` holds the
    pseudo parameter values (see ``intrinsics.pseudo_parameters``) and, under
    ``intrinsics.AVAILABILITY_ZONES``, the region's zones; only conditions need
    them at load time, and a condition using one that is not given is an issue.
    Raises ``ValidationFailed`` with all issues.
    """
    sources, issues = discover(path)
    documents = []
    for source in sources:
        document, problems = read_fragment(source, max_file_bytes)
        issues += problems
        documents.append((source.name, document))
    # A fragment that could not be read may declare what the others reference.
    incomplete = bool(issues)
    fragments, problems = merge(documents)
    issues += problems

    resolved, problems = resolve_parameters(fragments.parameters, parameters,
                                            (pseudo or {}).get(SSM_PARAMETERS))
    issues += [i for i in problems if not (incomplete and i.file == COMMAND_LINE)]
    # Every declared parameter is known by name, even one whose value is in error (None).
    declared = {name: resolved.values.get(name) for name in fragments.parameters}
    issues += check_rules(fragments.rules, declared, {
        name: decl.body.get("Type") if isinstance(decl.body, dict) else None
        for name, decl in fragments.parameters.items()},
        (pseudo or {}).get(PARAMETER_ATTRIBUTES) if fragments.rules else None)
    mappings, problems = check_mappings(fragments.mappings)
    issues += problems
    conditions, problems = evaluate_conditions(fragments.conditions, declared,
                                               pseudo or {}, fragments.resources, incomplete,
                                               mappings)
    issues += problems

    entries = {}
    for name, decl in fragments.resources.items():
        entries[name], problems = parse_entry(decl)
        issues += problems
    excluded, problems = _excluded(entries, fragments, conditions, incomplete)
    issues += problems
    scope = Scope(
        parameters=declared,
        resources={name: entry.type or "" for name, entry in entries.items()},
        excluded=excluded,
        conditions={name: conditions.get(name) for name in fragments.conditions},
        mappings=mappings,
        attributes=lambda type_name: _attributes(catalog, type_name),
        incomplete=incomplete,
        exports=(pseudo or {}).get(EXPORTS),
    )
    resources: dict[str, ResourceDecl] = {}
    for name, entry in entries.items():
        decl, problems = _check_resource(entry, scope, catalog, live=name not in excluded)
        issues += problems
        if decl is not None:
            resources[name] = decl

    issues += _check_across(resources, catalog)
    resources = with_name_edges(resources, catalog)
    outputs, problems = check_outputs(fragments.outputs, scope)
    issues += problems
    order, problems = check_resources(resources)
    issues += problems
    if issues:
        raise ValidationFailed(issues)
    return Template(resources=resources, order=order, parameters=resolved.values,
                    conditions=conditions, files=fragments.files,
                    no_echo_parameters=resolved.no_echo,
                    warnings=_clear_text_secrets(resources, resolved.no_echo),
                    outputs=outputs,
                    mappings={name: table for name, table in mappings.items() if table},
                    parameter_store=resolved.parameter_store,
                    imports=frozenset().union(*(
                        imported_names(scope, item) for item in (
                            *(d.properties for d in resources.values()),
                            *(o.value for o in outputs.values())))))


def _excluded(entries: Mapping[str, ResourceEntry], fragments: Fragments,
              conditions: Mapping[str, bool], incomplete: bool,
              ) -> tuple[dict[str, str], list[Issue]]:
    """Resources whose Condition is false, with that condition's name."""
    excluded: dict[str, str] = {}
    issues = []
    for name, entry in entries.items():
        if entry.condition is None:
            continue
        if entry.condition not in fragments.conditions:
            if not incomplete:
                issues.append(Issue(entry.decl.file, entry.condition_line,
                                    f"resource '{name}': unknown condition "
                                    f"'{entry.condition}'"))
        elif conditions.get(entry.condition) is False:
            excluded[name] = entry.condition
    return excluded, issues


def _check_resource(entry: ResourceEntry, scope: Scope, catalog: Mapping[str, type[Kind]],
                    live: bool) -> tuple[ResourceDecl | None, list[Issue]]:
    """Check one entry; its ResourceDecl when it is part of the template (Condition true)."""
    decl = entry.decl
    issues = []
    check = IntrinsicCheck(scope)
    check.walk(entry.properties, entry.properties_line, live)
    issues += [Issue(decl.file, line, f"resource '{decl.name}': {message}")
               for line, message in check.problems]
    tags = entry.properties.get("Tags") if isinstance(entry.properties, dict) else None
    if has_reference(tags):
        issues.append(Issue(decl.file, child_line(entry.properties, "Tags",
                                                  entry.properties_line),
                            f"resource '{decl.name}': a dynamic reference cannot be a tag "
                            "value: AWS shows tags in clear to anyone who can list them"))
    explicit = []
    for target, line in entry.depends_on:
        if target not in scope.resources:
            if not scope.incomplete:
                issues.append(Issue(decl.file, line, f"resource '{decl.name}': DependsOn "
                                                     f"unknown resource '{target}'"))
        elif live and target in scope.excluded:
            issues.append(Issue(decl.file, line, f"resource '{decl.name}': DependsOn "
                                                 f"'{target}', which is left out because its "
                                                 f"Condition {scope.excluded[target]} is false"))
        else:
            explicit.append(target)

    kind, problems = _kind_of(entry, catalog)
    issues += problems
    known = {name: value for name, value in scope.conditions.items() if value is not None}
    properties = fold_conditions(entry.properties, known) if isinstance(
        entry.properties, dict) else entry.properties
    if properties is None:  # Properties: !If [C, {...}, !Ref AWS::NoValue], C false
        properties = {}
    if kind is not None and not kind.supports_snapshot:
        issues += [Issue(decl.file, line, f"resource '{decl.name}': {key} Snapshot is not "
                                          f"supported by {entry.type} (Delete or Retain)")
                   for key, line in entry.policy_lines.items()
                   if getattr(entry, _POLICY_FIELDS[key]) == "Snapshot"]
    if kind is not None and entry.type is not None:
        issues += check_properties(decl.name, entry.type, properties, kind, decl.file,
                                   entry.properties_line)
    if not live or entry.type is None:
        return None, issues
    return ResourceDecl(
        logical_id=decl.name,
        type=entry.type,
        properties=properties,
        file=decl.file,
        line=decl.line,
        depends_on=tuple(sorted(set(explicit) | check.dependencies)),
        deletion_policy=entry.deletion_policy,
        update_replace_policy=entry.update_replace_policy,
        settings=entry.settings,
    ), issues


_POLICY_FIELDS = {"DeletionPolicy": "deletion_policy",
                  "UpdateReplacePolicy": "update_replace_policy"}


def _clear_text_secrets(resources: Mapping[str, ResourceDecl], no_echo: Collection[str],
                        ) -> list[str]:
    """NoEcho parameters placed in tags: masked in everything the reconciler writes, but
    AWS shows tags in clear to anyone who can list them."""
    found = []
    for decl in resources.values():
        tags = decl.properties.get("Tags") if isinstance(decl.properties, dict) else None
        if tags is None:
            continue
        named = sorted({name for name, _ in references(tags)} & set(no_echo))
        if named:
            line = line_at(decl.properties, ["Tags"], decl.line)
            found.append(f"{decl.file}:{line}: {decl.logical_id}: NoEcho parameter "
                         f"{', '.join(named)} in a tag: AWS stores and shows tags in clear")
    return found


def _check_across(resources: Mapping[str, ResourceDecl], catalog: Mapping[str, type[Kind]],
                  ) -> list[Issue]:
    """What a kind refuses about a resource given the others (``Kind.validate_with``)."""
    declared = {lid: (d.type, d.properties) for lid, d in resources.items()}
    issues = []
    for decl in resources.values():
        kind = _kind(catalog, decl.type)
        if kind is None or not isinstance(decl.properties, dict):
            continue
        for path, message in kind.validate_with(decl.properties, declared):
            parts = pointer_parts(path, decl.properties)
            issues.append(Issue(decl.file, line_at(decl.properties, parts, decl.line),
                                f"{decl.logical_id} ({decl.type}) {format_path(parts)}: "
                                f"{message}"))
    return issues


def _kind_of(entry: ResourceEntry, catalog: Mapping[str, type[Kind]],
             ) -> tuple[type[Kind] | None, list[Issue]]:
    if entry.type is None:
        return None, []  # already reported
    where = f"resource '{entry.decl.name}'"
    try:
        kind = _kind(catalog, entry.type)
    except ImportError as error:
        # A missing or broken kind module is our bug, but the user sees it where it matters.
        return None, [Issue(entry.decl.file, _type_line(entry),
                            f"{where}: the kind for {entry.type} failed to load: {error}")]
    if kind is None:
        return None, [Issue(entry.decl.file, _type_line(entry),
                            f"{where}: type {entry.type} is not supported by the reconciler")]
    return kind, []


def _kind(catalog: Mapping[str, type[Kind]], type_name: str | None) -> type[Kind] | None:
    if type_name is None:
        return None
    try:
        return catalog[type_name]
    except KeyError:
        return None


def _attributes(catalog: Mapping[str, type[Kind]], type_name: str) -> Collection[str] | None:
    try:
        kind = _kind(catalog, type_name)
    except ImportError:
        return None  # reported where the resource is checked
    return None if kind is None else kind.attributes | kind.type_schema().nested_attributes


def _type_line(entry: ResourceEntry) -> int:
    body = entry.decl.body
    key_lines = getattr(body, "key_lines", {})
    return int(key_lines.get("Type", entry.decl.line))
