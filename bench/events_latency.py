"""Benchmark event-driven drift (`run --events-queue`) against polling, on a fresh moto server.

N resources (bench/plan_noop.py's tree) and deploy/events applied by the reconciler. With
events at a 10-minute interval: an out-of-band change (boto3) plus its CloudTrail-shaped
event on the bus (moto emits none itself) to corrected, several times (the median and the
worst); then the worker's CPU time over an idle window. Then the same state polled at a
30 s interval without events, over the same window. CPU is the worker process's own
(utime + stime from /proc), as a percentage of one core.

    python bench/events_latency.py              # 300 resources, 60 s idle windows, 5 changes
    python bench/events_latency.py 100 30 3
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from plan_noop import report, tree  # noqa: E402
from worker_latency import idle  # noqa: E402

from reconciler.aws.local import LocalAws  # noqa: E402
from tests.worker_harness import Remote, Worker, wait_until  # noqa: E402


def events_queue(state: Path) -> str:
    subprocess.run([sys.executable, "-m", "reconciler", "apply", str(ROOT / "deploy/events"),
                    "--state", str(state)], check=True, capture_output=True, cwd=ROOT)
    status = subprocess.run([sys.executable, "-m", "reconciler", "status", "--state",
                             str(state), "--output", "json"], check=True, capture_output=True,
                            text=True, cwd=ROOT)
    return str(json.loads(status.stdout)["outputs"]["QueueUrl"]["value"])


def change_and_event(bucket: str) -> None:
    boto3.client("s3").put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    record = {"eventSource": "s3.amazonaws.com", "eventName": "PutBucketVersioning",
              "eventTime": "2026-01-01T00:00:00Z", "readOnly": False,
              "sourceIPAddress": "203.0.113.9",
              "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/b"},
              "requestParameters": {"bucketName": bucket}}
    boto3.client("events").put_events(Entries=[{
        "Source": "aws.s3", "DetailType": "AWS API Call via CloudTrail",
        "Detail": json.dumps(record)}])


def enabled(bucket: str) -> bool:
    return boto3.client("s3").get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    window = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    changes = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    results: dict[str, object] = {"resources": n, "changes": changes}
    with LocalAws(managed_policies=False), tempfile.TemporaryDirectory() as tmp:
        remote = Remote(Path(tmp))
        remote.push({"desired/bench.yaml": tree(n)}, "bench")
        queue = events_queue(Path(tmp) / "events-state")
        worker = Worker(remote, Path(tmp) / "state", "--events-queue", queue,
                        interval="10m", source_interval="1m")
        try:
            worker.wait_ready(timeout=600)
            seconds = []
            for i in range(changes):
                bucket = f"bench-bucket-{i}"
                t = time.monotonic()
                change_and_event(bucket)
                wait_until(lambda b=bucket: enabled(b), 120, worker, "corrected")
                seconds.append(time.monotonic() - t)
            results["event_change_to_corrected_median_s"] = round(statistics.median(seconds), 2)
            results["event_change_to_corrected_max_s"] = round(max(seconds), 2)
            time.sleep(2)  # let the last scoped reconcile finish before measuring idle
            results.update(idle(worker, window, "idle_events_10m_interval"))
            worker.terminate()
            worker = Worker(remote, Path(tmp) / "state", interval="30s", source_interval="1m")
            worker.wait_ready(timeout=600)
            results.update(idle(worker, window, "idle_polling_30s_interval"))
        finally:
            worker.terminate()
    report([results], tuple(results), "events_latency")


if __name__ == "__main__":
    main()
