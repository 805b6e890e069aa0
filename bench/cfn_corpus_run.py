"""For bench/cfn_corpus.py: each template validated, applied over one moto server (reset in
between), and planned again; the failures grouped by their reason."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import boto3

from bench.cfn_corpus_values import load_template, parameter_values
from reconciler.aws.local import LocalAws

HERE = Path(__file__).resolve().parent


def _cli(*args: str) -> tuple[int, str, str]:
    from reconciler.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except Exception as exc:  # a crash is a finding, not the end of the run
            code = 99
            print(f"crash: {type(exc).__name__}: {exc}", file=err)
    return code, out.getvalue(), err.getvalue()


def _account() -> dict[str, Any]:
    """What a user's AWS-specific parameter values point at: the default VPC, its subnets."""
    ec2 = boto3.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id",
                                                    "Values": [vpc["VpcId"]]}])
    ec2.create_key_pair(KeyName="corpus-key")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])
    zone = boto3.client("route53").create_hosted_zone(Name="example.com",
                                                      CallerReference="corpus")
    return {
        "vpc": vpc["VpcId"],
        "subnets": sorted(s["SubnetId"] for s in subnets["Subnets"])[:2],
        "security_group": groups["SecurityGroups"][0]["GroupId"], "key_pair": "corpus-key",
        "zones": sorted(s["AvailabilityZone"] for s in subnets["Subnets"])[:2],
        "image": image, "route_tables": [t["RouteTableId"] for t in tables["RouteTables"]],
        "hosted_zone": zone["HostedZone"]["Id"].split("/")[-1],
    }


def _reset(server: LocalAws) -> None:
    # With AWS managed policies loaded a reset takes seconds; LocalAws.reset waits only 5.
    request = urllib.request.Request(server.endpoint + "/moto-api/reset", data=b"",
                                     method="POST")
    with urllib.request.urlopen(request, timeout=120):
        pass


def _errors(stderr: str) -> list[str]:
    lines = [ln for ln in stderr.splitlines() if ln and not ln.startswith("warning:")]
    return [ln for ln in lines if not re.match(r"\d+ error\(s\); nothing was applied", ln)]


def _plan_problems(stdout: str, stderr: str, applied: bool = False) -> list[str]:
    try:
        plan = json.loads(stdout)
    except ValueError:
        return _errors(stderr) or ["no plan printed"]
    problems = []
    for change in plan["changes"]:
        failed = change.get("result") in ("error", "pending", "skipped") or (
            change["status"] == "Error") if applied else change["status"] != "InSync"
        if failed:
            detail = change.get("error") or change.get("reason") or "; ".join(
                f"{d['path']}: {json.dumps(d['old'])[:300]} -> {json.dumps(d['new'])[:300]}"
                for d in change.get("diff") or [])
            problems.append(f"{change['type']} {change['status']}: {detail}")
    return problems or _errors(stderr)


def run_one(path: Path, account: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        desired, state = Path(tmp, "desired"), Path(tmp, "state")
        desired.mkdir()
        (desired / path.name).write_bytes(path.read_bytes())
        template = load_template(path)
        params: list[str] = []
        for key, value in parameter_values(template.get("Parameters"), account,
                                                template).items():
            params += ["--parameter", f"{key}={value}"]
        row: dict[str, Any] = {"template": path.name, "validates": False, "applies": False,
                               "clean": False, "stage": "validate", "problems": []}
        code, _, err = _cli("validate", str(desired), *params)
        if code != 0:
            row["problems"] = _errors(err)
            return row
        row["validates"], row["stage"] = True, "apply"
        common = ["--state", str(state), "--output", "json", *params]
        code, out, err = _cli("apply", str(desired), "--wait-timeout", "60s", *common)
        if code != 0:
            row["problems"] = _plan_problems(out, err, applied=True)
            return row
        row["applies"], row["stage"] = True, "plan"
        code, out, err = _cli("plan", str(desired), *common)
        if code != 0:
            row["problems"] = _plan_problems(out, err)
            return row
        row["clean"], row["stage"] = True, "ok"
        return row


def reason(problem: str) -> str:
    """A problem without its file, line and names, so that like problems group."""
    text = re.sub(r"^\S+?:\d+: ", "", problem).split(": ", 2)[:2] if " Drifted: " in problem \
        else re.sub(r"^\S+?:\d+: ", "", problem)
    text = text if isinstance(text, str) else ": ".join(text).split(" -> ")[0][:120]
    text = re.sub(r"^[A-Za-z0-9]+ \((TYPE)\): ", "", re.sub(r"\(AWS::[^)]*\)", "(TYPE)", text))
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text)
    text = re.sub(r"\b[A-Z][A-Za-z0-9]*::[A-Za-z0-9:]+", "TYPE", text)
    text = re.sub(r"\d+", "N", text)
    return text[:150]


# Why a template cannot converge anywhere as it is, whatever the tool: by what its problems say.
OUTSIDE = {
    "needs a preprocessor (Transform, macro, rain, package)": (
        "'Transform'", "Fn::Transform", "Rain::", "#!PyPlate", "is not of type 'object'"),
    "AWS or CloudFormation's spec refuses it too": (
        "Sid) must be unique", "needs ACLs enabled", "names a default-VPC group",
        "a policy needs at least one statement", "TestRole-${Stage}",
        "resource attribute 'Description'", "must be alphanumeric",
        "All subnets must in the VPC", "needs exactly one of CidrIp",
        "has no value for [us-east-1", "does not match '^subnet-",
        "'Role' is a required property", "instance belongs to an Aurora cluster",
        # Aurora MySQL 1 (engine "aurora", MySQL 5.6) reached its end of life in 2023.
        "Engine 'aurora' is not supported"),
    "needs what is outside the template": (
        "S3 Error Code: NoSuchBucket", "Fn::ImportValue", "NotFound) when calling",
        "Function not found", "InvalidVpc.Range", "ParameterNotFound",
        "does not refer to a valid S3 bucket", "SnapshotNotFoundFault",
        "which does not exist in this account and region"),
    "moto lacks it": ("/SourceSelectionCriteria", "SourcePrefixListId", "S3OriginConfig",
                      "\"grants: "),
}


def category(row: dict[str, Any]) -> str:
    if row["clean"]:
        return "converges"
    text = " ".join(row["problems"])
    if "RainModules" in row["template"]:  # rain modules, not templates
        return "needs a preprocessor (Transform, macro, rain, package)"
    for name, signs in OUTSIDE.items():
        if any(sign in text for sign in signs):
            return name
    return "reconciler refuses or fails"


def lint_errors(paths: list[Path]) -> dict[str, list[str]]:
    """cfn-lint's error rules (not warnings) per template, in one run; {} without cfn-lint."""
    if shutil.which("cfn-lint") is None:
        return {}
    found: dict[str, list[str]] = {p.name: [] for p in paths}
    proc = subprocess.run(["cfn-lint", "--format", "parseable", *map(str, paths)],
                          capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        parts = line.split(":", 5)
        if len(parts) == 6 and parts[4].startswith("E"):
            found.setdefault(Path(parts[0]).name, []).append(parts[4])
    return found


def cmd_run(directory: Path, only: str | None) -> None:
    paths = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".json")
                   and p.name != "index.json" and (only is None or only in p.name))
    rows = []
    started = time.monotonic()
    linted = lint_errors(paths)
    # Templates take an AMI ID as a parameter: the server keeps its default images here.
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "true"
    with LocalAws(managed_policies=True) as server:
        account: dict[str, Any] | None = None
        for path in paths:
            if account is None:  # a fresh account, after anything was applied in the last
                _reset(server)
                account = _account()
            began = time.monotonic()
            row = run_one(path, account)
            row["seconds"] = round(time.monotonic() - began, 1)
            if row["stage"] != "validate":
                account = None
            rows.append(row)
            mark = "ok" if row["clean"] else f"FAIL at {row['stage']}"
            print(f"{path.name}: {mark} ({row['seconds']} s)" + (f" — {row['problems'][0][:160]}"
                                            if row["problems"] else ""), flush=True)
    total = len(rows)
    validated = sum(r["validates"] for r in rows)
    converged = sum(r["clean"] for r in rows)
    groups: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        for problem in dict.fromkeys(reason(p) for p in r["problems"]):
            groups[f"{r['stage']}: {problem}"].append(r["template"])
    print(f"\n{validated} of {total} validate; {converged} of {total} validate, apply and "
          f"plan clean ({time.monotonic() - started:.0f} s)\n\nfailures by reason "
          "(templates):")
    for key, names in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(names):3d}  {key}")
    for r in rows:
        r["category"] = category(r)
        r["cfn_lint_errors"] = sorted(set(linted.get(r["template"], [])))
    categories = Counter(r["category"] for r in rows)
    print("\nby category:")
    for name, count in categories.most_common():
        print(f"  {count:3d}  {name}")
    ours = [r for r in rows if r["category"] == "reconciler refuses or fails"]
    if linted:
        print(f"  of the {len(ours)} the reconciler refuses or fails, cfn-lint reports an "
              f"error in {sum(1 for r in ours if r['cfn_lint_errors'])}")
    deployable = [r for r in rows if r["category"] in ("converges", "moto lacks it",
                                                       "reconciler refuses or fails")]
    print(f"\n{categories['converges']} of {len(deployable)} templates deployable as they are "
          f"(no preprocessor, nothing AWS refuses, nothing from outside) validate and "
          f"converge")
    stages = Counter(r["stage"] for r in rows)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "cfn_corpus.json").write_text(json.dumps(
        {"templates": total, "validate": validated, "converge": converged,
         "deployable": len(deployable), "categories": dict(categories),
         "stages": dict(stages), "rows": rows}, indent=2))
