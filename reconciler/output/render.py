"""``reconciler render``: the whole desired tree as one CloudFormation template.

Sections as written (parameter declarations, not ``--parameter`` values; resources whose
Condition is false included), intrinsics in their long form so that any YAML or JSON
tool reads the result, and cfn-lint checks what the reconciler reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from reconciler.template.files import discover, read_fragment
from reconciler.template.fragments import FORMAT_VERSION, SECTIONS, merge


def merged_template(path: str | Path) -> dict[str, Any]:
    """One template of every fragment under ``path``, in file order. Call it on a tree that
    loads (``runtime.load``): problems are not reported here."""
    sources, _ = discover(path)
    documents = [(source.name, read_fragment(source)[0]) for source in sources]
    fragments, _ = merge(documents)
    template: dict[str, Any] = {"AWSTemplateFormatVersion": FORMAT_VERSION}
    descriptions = [document["Description"] for _, document in documents
                    if isinstance(document, dict) and isinstance(document.get("Description"), str)]
    if descriptions:
        template["Description"] = "\n".join(descriptions)
    for section in SECTIONS:
        entries = fragments.section(section)
        if entries:
            template[section] = {name: plain(decl.body) for name, decl in entries.items()}
    return template


def plain(value: Any) -> Any:
    """Plain dicts and lists instead of the line-carrying ones, for the YAML dumper."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class _Dumper(yaml.SafeDumper):
    pass


def _string(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # Multi-line strings (descriptions, inline code) as literal blocks, as people write them.
    style = "|" if "\n" in text.strip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _string)


def to_yaml(template: dict[str, Any]) -> str:
    return yaml.dump(template, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=1 << 16)


def to_json(template: dict[str, Any]) -> str:
    return json.dumps(template, indent=2, ensure_ascii=False) + "\n"
