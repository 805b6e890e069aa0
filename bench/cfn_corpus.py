"""Measure: do real CloudFormation templates of the managed types validate and converge?

Two steps, both working outside the repository (other projects' templates are read,
never committed):

    # 1. cut: every template under the sources, kept if at least half its resources are
    #    of managed types; resources of other types (and what references them) dropped
    python bench/cfn_corpus.py cut /tmp/cfn-corpus SRC_DIR [SRC_DIR ...]
    # 2. run: for each template, `reconciler validate`, `apply` over a moto server, then
    #    `plan` (clean?); a table, the failures grouped by reason, bench/results/cfn_corpus.json
    python bench/cfn_corpus.py run /tmp/cfn-corpus [--only NAME]

The sources measured (see README "Coming from CloudFormation"): the working trees of
github.com/aws-cloudformation/aws-cloudformation-templates,
github.com/awslabs/aws-cloudformation-templates and cfn-lint's
test/fixtures/templates/good/ (e.g. ``git archive HEAD | tar -x -C SRC_DIR``).

A template as it is keeps its text; a cut one is rewritten (short forms kept as tags,
comments lost). Parameters without a Default get a value a user would give (see
``bench/cfn_corpus_values.py``): the first AllowedValue, else one that fits the type and
constraints, or for AWS-specific types an existing resource of the emulated account.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.cfn_corpus_values import Tagged, dump_template, load_template  # noqa: E402
from reconciler.kinds.registry import catalog  # noqa: E402

HERE = Path(__file__).resolve().parent
SUFFIXES = {".yaml", ".yml", ".json", ".template"}
SECTIONS_REFERENCING = ("Resources", "Outputs")


# --- cut ------------------------------------------------------------------------------

def references(value: Any) -> set[str]:
    """Names a value refers to: Ref, GetAtt, ${X} / ${X.Attr} in Sub, DependsOn lists."""
    found: set[str] = set()
    if isinstance(value, Tagged):
        value = value.as_long()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                first = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                if isinstance(first, str):
                    found.add(first)
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                if isinstance(text, str):
                    found |= {m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text)}
                if isinstance(inner, list) and len(inner) > 1:
                    found |= references(inner[1])
                continue
            found |= references(inner)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found


def cut(template: dict[str, Any], managed: set[str]) -> tuple[dict[str, Any], list[str]]:
    """The template without resources of unmanaged types and what refers to them."""
    resources = template.get("Resources") or {}
    dropped = {lid for lid, r in resources.items()
               if not isinstance(r, dict) or str(r.get("Type")) not in managed}
    changed = True
    while changed:
        changed = False
        for lid, body in resources.items():
            if lid in dropped:
                continue
            body_refs = references({k: v for k, v in body.items() if k != "DependsOn"})
            if body_refs & dropped:
                dropped.add(lid)
                changed = True
    out = dict(template)
    kept: dict[str, Any] = {}
    for lid, body in resources.items():
        if lid in dropped:
            continue
        body = dict(body)
        depends = body.get("DependsOn")
        if depends is not None:  # an ordering on a dropped resource is dropped, not the resource
            names = [depends] if isinstance(depends, str) else list(depends)
            names = [n for n in names if n not in dropped]
            if names:
                body["DependsOn"] = names if len(names) > 1 else names[0]
            else:
                del body["DependsOn"]
        kept[lid] = body
    out["Resources"] = kept
    if isinstance(template.get("Outputs"), dict):
        outputs = {k: v for k, v in template["Outputs"].items() if not references(v) & dropped}
        if outputs:
            out["Outputs"] = outputs
        else:
            del out["Outputs"]
    # A parameter nothing uses any more would still need a value: drop it too.
    if dropped and isinstance(template.get("Parameters"), dict):
        used = set().union(*(references(out.get(s)) for s in
                             ("Resources", "Outputs", "Conditions", "Rules")))
        used |= _sub_names(out)
        out["Parameters"] = {k: v for k, v in template["Parameters"].items() if k in used}
        if not out["Parameters"]:
            del out["Parameters"]
        if "Metadata" in out:  # the console's parameter groups name dropped ones
            out["Metadata"] = {k: v for k, v in out["Metadata"].items()
                               if k != "AWS::CloudFormation::Interface"}
            if not out["Metadata"]:
                del out["Metadata"]
    return out, sorted(dropped)


def _long(value: Tagged) -> Any:
    return value.as_long()


def _sub_names(template: dict[str, Any]) -> set[str]:
    text = json.dumps(template, default=_long)
    return {m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text)}


def cmd_cut(out: Path, sources: list[Path]) -> None:
    managed = set(catalog())
    out.mkdir(parents=True, exist_ok=True)
    index: list[dict[str, Any]] = []
    seen: set[str] = set()
    duplicates = 0
    for source in sources:
        for path in sorted(p for p in source.rglob("*") if p.suffix in SUFFIXES and p.is_file()):
            try:
                template = load_template(path)
            except (yaml.YAMLError, ValueError, UnicodeDecodeError):
                continue
            if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
                continue
            types = [str(r.get("Type")) for r in template["Resources"].values()
                     if isinstance(r, dict)]
            ours = sum(t in managed for t in types)
            if not types or ours * 2 < len(types):
                continue
            result, dropped = cut(template, managed)
            if not result["Resources"]:
                continue
            key = json.dumps(result, sort_keys=True, default=_long)
            if key in seen:  # the same template in two repositories, or as YAML and JSON
                duplicates += 1
                continue
            seen.add(key)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{source.name}/{path.relative_to(source)}")
            suffix = ".json" if path.read_text().lstrip().startswith("{") else ".yaml"
            target = out / (Path(name).stem + suffix)
            if dropped:
                target.write_text(dump_template(result, as_json=suffix == ".json"))
            else:
                target.write_bytes(path.read_bytes())
            index.append({"template": target.name, "source": f"{source.name}/"
                          f"{path.relative_to(source)}", "resources": len(types),
                          "dropped": dropped, "transform": "Transform" in template})
    (out / "index.json").write_text(json.dumps(index, indent=2))
    cut_count = sum(1 for i in index if i["dropped"])
    print(f"{len(index)} templates in {out} ({len(index) - cut_count} as they are, "
          f"{cut_count} cut down; {duplicates} duplicates left out)")


def main() -> None:
    args = sys.argv[1:]
    if len(args) >= 3 and args[0] == "cut":
        cmd_cut(Path(args[1]), [Path(a) for a in args[2:]])
    elif len(args) >= 2 and args[0] == "run":
        from bench.cfn_corpus_run import cmd_run

        only = args[args.index("--only") + 1] if "--only" in args else None
        cmd_run(Path(args[1]), only)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
