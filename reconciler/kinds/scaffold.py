"""Start a new declared kind: ``python -m reconciler.kinds.scaffold AWS::Logs::LogGroup SERVICE``.

Writes ``reconciler/kinds/<module>.py`` (a declaration to finish), its contract example
``tests/contract/<module>.yaml`` and its registry entry, vendoring the schema first if it
is missing. Operation names are guessed from the service model (Create<Noun>,
Describe/Get<Noun>, Delete<Noun>, Update/Modify<Noun>); check every guess — the contract
suite (tests/test_kind_contract.py) fails until the declaration matches the model.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import boto3

from reconciler.kinds.schema import file_name, schema_for

ROOT = Path(__file__).resolve().parents[2]


def module_name(type_name: str) -> str:
    _, service, noun = type_name.split("::")
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", noun).lower()
    return f"{service.lower()}_{snake}"


def _guess(operations: list[str], verbs: tuple[str, ...], noun: str) -> str:
    for verb in verbs:
        for candidate in (f"{verb}{noun}", f"{verb}{noun}s"):
            if candidate in operations:
                return candidate
    return f"{verbs[0]}{noun}  # TODO: no such operation; pick one"


def render_module(type_name: str, service: str) -> str:
    noun = type_name.split("::")[2]
    facts = schema_for(type_name)
    model = boto3.client(service, region_name="us-east-1").meta.service_model
    ops = list(model.operation_names)
    identifier = facts.primary_identifier[0][0]
    managed = sorted(facts.properties - {p[0] for p in facts.read_only if len(p) == 1})
    tags = facts.tagging.taggable
    lines = [
        f'"""{type_name}: TODO one line on what it is and what a no-drift observe costs."""',
        "",
        "from __future__ import annotations",
        "",
        "from reconciler.kinds.declared import Call, DeclaredKind" + (", TagCalls" if tags else ""),
        "",
        "",
        f"class {noun}(DeclaredKind):",
        f'    type_name = "{type_name}"',
        "    # TODO: keep the properties this kind reconciles.",
        "    managed_properties = frozenset({",
        *[f'        "{name}",' for name in managed],
        "    })",
        f'    service, identifier = "{service}", "{identifier}"',
        f'    read_call = Call("{_guess(ops, ("Describe", "Get"), noun)}")',
        f'    create_call = Call("{_guess(ops, ("Create", "Put"), noun)}")',
        f'    delete_call = Call("{_guess(ops, ("Delete",), noun)}")',
        "    # TODO: property -> its update call, e.g.",
        f'    #   Call("{_guess(ops, ("Update", "Modify"), noun)}")',
        "    writers = {}",
    ]
    if tags:
        lines.append('    tag_calls = TagCalls("TagResource", "UntagResource", '
                     '"ListTagsForResource")')
    return "\n".join(lines) + "\n"


def render_example(type_name: str) -> str:
    return (f"# Contract example for {type_name} (tests/test_kind_contract.py).\n"
            "Template:\n  Resources:\n    Subject:\n"
            f"      Type: {type_name}\n      Properties: {{}}  # TODO\n"
            "Drift:\n  call: SERVICE.OPERATION  # TODO: one out-of-band change with boto3\n"
            "  args: {}\n  path: /TODO\n")


def register(type_name: str, module: str, registry: Path) -> None:
    text = registry.read_text()
    entry = f'    "{type_name}": "reconciler.kinds.{module}:{type_name.split("::")[2]}",\n'
    if f'"{type_name}"' in text:
        return
    registry.write_text(text.replace("}\n\n\ndef kind_class", entry + "}\n\n\ndef kind_class", 1))


def scaffold(type_name: str, service: str, root: Path = ROOT) -> list[Path]:
    schemas = root / "reconciler" / "schemas"
    if not (schemas / file_name(type_name)).exists():
        from reconciler.schemas.vendor import vendor

        vendor((type_name,), schemas)
    module = module_name(type_name)
    written = []
    for path, text in ((root / "reconciler" / "kinds" / f"{module}.py",
                        render_module(type_name, service)),
                       (root / "tests" / "contract" / f"{module}.yaml",
                        render_example(type_name))):
        if path.exists():
            raise SystemExit(f"{path} exists; not overwriting it")
        path.write_text(text)
        written.append(path)
    register(type_name, module, root / "reconciler" / "kinds" / "registry.py")
    return written


if __name__ == "__main__":  # pragma: no cover - a developer tool
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m reconciler.kinds.scaffold AWS::Service::Type SERVICE")
    for written in scaffold(sys.argv[1], sys.argv[2]):
        print(f"wrote {written}")
