"""Benchmark: a no-drift `reconciler plan` against the floor of plain boto3 reads.

Fills a fresh moto server with N resources (a third DynamoDB tables, a third S3
buckets with versioning, encryption and tags, a third IAM roles with an inline
policy), applies them, then times `reconciler plan` with nothing changed and a
plain boto3 script making only the reads needed to judge drift on those
properties. Prints wall time, AWS calls per resource and peak RSS for both.

    python bench/plan_noop.py            # N = 100, 300, 1000
    python bench/plan_noop.py 300        # one size
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reconciler.aws.local import LocalAws  # noqa: E402

HERE = Path(__file__).resolve().parent

# Runs a command and reports its own peak RSS: RUSAGE_CHILDREN of a fresh parent
# counts only that one child.
MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "wall = time.perf_counter() - t\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "sys.stdout.write(p.stdout); sys.stderr.write(p.stderr)\n"
    "print(f'MEASURE wall={wall:.3f} rss_kb={rss} rc={p.returncode}', file=sys.stderr)\n"
)


def tree(n: int) -> str:
    third = n // 3
    out = ["Resources:"]
    for i in range(third):
        out.append(f"""  Table{i}:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Delete
    Properties:
      TableName: bench-table-{i}
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{{AttributeName: pk, AttributeType: S}}]
      KeySchema: [{{AttributeName: pk, KeyType: HASH}}]
      Tags: [{{Key: team, Value: bench}}]""")
    for i in range(third):
        out.append(f"""  Bucket{i}:
    Type: AWS::S3::Bucket
    DeletionPolicy: Delete
    Properties:
      BucketName: bench-bucket-{i}
      VersioningConfiguration: {{Status: Enabled}}
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {{SSEAlgorithm: AES256}}
      Tags: [{{Key: team, Value: bench}}]""")
    for i in range(n - 2 * third):
        out.append(f"""  Role{i}:
    Type: AWS::IAM::Role
    Properties:
      RoleName: bench-role-{i}
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}},
                     Action: "sts:AssumeRole"}}]
      Policies:
        - PolicyName: read
          PolicyDocument:
            Version: "2012-10-17"
            Statement: [{{Effect: Allow, Action: "s3:GetObject", Resource: "*"}}]
      Tags: [{{Key: team, Value: bench}}]""")
    return "\n".join(out) + "\n"


def measure(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    proc = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True,
                          text=True, env=env)
    found = re.search(r"MEASURE wall=([\d.]+) rss_kb=(\d+) rc=(-?\d+)", proc.stderr)
    if not found:
        raise RuntimeError(proc.stderr[-2000:])
    calls = re.search(r"aws_calls=(\d+)", proc.stderr)
    return {"wall": float(found.group(1)), "rss_mb": int(found.group(2)) / 1024,
            "rc": int(found.group(3)), "calls": int(calls.group(1)) if calls else -1}


def run(n: int) -> dict[str, object]:
    with LocalAws() as server, tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        desired, state = Path(tmp, "desired"), Path(tmp, "state")
        desired.mkdir()
        (desired / "bench.yaml").write_text(tree(n))
        base = [sys.executable, "-m", "reconciler"]
        t = time.perf_counter()
        applied = subprocess.run([*base, "apply", str(desired), "--state", str(state)],
                                 capture_output=True, text=True, env=env)
        apply_wall = time.perf_counter() - t
        if applied.returncode != 0:
            raise RuntimeError(applied.stdout[-3000:] + applied.stderr[-3000:])
        ours = measure([*base, "plan", str(desired), "--state", str(state), "--stats",
                        "--output", "json"], env)
        floor = measure([sys.executable, str(HERE / "floor_reads.py"), str(n)], env)
        if ours["rc"] != 0:
            raise RuntimeError(f"plan was not clean (exit {ours['rc']})")
        server.stop()
    return {
        "n": n, "apply_wall_s": round(apply_wall, 2),
        "plan_wall_s": ours["wall"], "plan_calls_per_resource": round(ours["calls"] / n, 2),
        "plan_peak_rss_mb": round(ours["rss_mb"], 1),
        "floor_wall_s": floor["wall"], "floor_calls_per_resource": round(floor["calls"] / n, 2),
        "floor_peak_rss_mb": round(floor["rss_mb"], 1),
        "ratio": round(ours["wall"] / floor["wall"], 2),
    }


def report(results: list[dict[str, object]], header: tuple[str, ...], name: str) -> None:
    """A table on stdout, and bench/results/<name>.json."""
    print(" | ".join(header))
    for r in results:
        print(" | ".join(str(r[h]) for h in header))
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(results, indent=2))


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [100, 300, 1000]
    report([run(n) for n in sizes],
           ("n", "apply_wall_s", "plan_wall_s", "floor_wall_s", "ratio",
            "plan_calls_per_resource", "floor_calls_per_resource", "plan_peak_rss_mb",
            "floor_peak_rss_mb"), "plan_noop")


if __name__ == "__main__":
    main()
