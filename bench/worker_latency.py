"""Benchmark the worker with 300 resources on a fresh moto server.

Measures: git push to applied with the webhook and without it (polling at the
default 1m source interval, so the expectation is half an interval on average);
an out-of-band change to its correction at a 30 s interval; and the worker's RSS
and CPU use while idle over a window (default five minutes).

    python bench/worker_latency.py                 # 300 resources, 300 s idle window
    python bench/worker_latency.py 300 60          # shorter idle window
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reconciler.aws.local import LocalAws  # noqa: E402
from tests.worker_harness import Remote, Worker, wait_until  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from plan_noop import tree  # noqa: E402


def exists(name: str) -> bool:
    return name in {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}


def extra_bucket(i: int) -> str:
    return (f"Resources:\n  Extra{i}:\n    Type: AWS::S3::Bucket\n    DeletionPolicy: Delete\n"
            f"    Properties: {{BucketName: bench-extra-{i}}}\n")


def proc_stat(pid: int) -> tuple[float, float]:
    """(CPU seconds so far, RSS MB) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return cpu, rss_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def idle(worker: Worker, window: float, label: str) -> dict[str, float]:
    """CPU and RSS of the worker over a window with no pushes and no drift."""
    cpu0, _ = proc_stat(worker.process.pid)
    peak = 0.0
    t0 = time.monotonic()
    while time.monotonic() - t0 < window:
        time.sleep(1)
        peak = max(peak, proc_stat(worker.process.pid)[1])
    cpu1, rss = proc_stat(worker.process.pid)
    elapsed = time.monotonic() - t0
    return {f"{label}_window_s": round(elapsed, 1),
            f"{label}_cpu_percent_of_one_core": round(100 * (cpu1 - cpu0) / elapsed, 2),
            f"{label}_rss_mb": round(rss, 1), f"{label}_peak_rss_mb": round(peak, 1)}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    idle_window = float(sys.argv[2]) if len(sys.argv) > 2 else 300.0
    results: dict[str, float] = {"resources": n}
    with LocalAws(managed_policies=False), tempfile.TemporaryDirectory() as tmp:
        remote = Remote(Path(tmp))
        remote.push({"desired/bench.yaml": tree(n)}, "bench")
        worker = Worker(remote, Path(tmp) / "state", interval="30s", source_interval="1m")
        try:
            t = time.monotonic()
            worker.wait_ready(timeout=600)
            results["first_apply_s"] = round(time.monotonic() - t, 2)

            remote.push({"desired/extra0.yaml": extra_bucket(0)}, "extra0")
            t = time.monotonic()
            assert worker.hook() == 202
            wait_until(lambda: exists("bench-extra-0"), 120, worker)
            results["push_to_applied_webhook_s"] = round(time.monotonic() - t, 2)

            time.sleep(5)
            remote.push({"desired/extra1.yaml": extra_bucket(1)}, "extra1")
            t = time.monotonic()
            wait_until(lambda: exists("bench-extra-1"), 200, worker)
            results["push_to_applied_polling_s"] = round(time.monotonic() - t, 2)

            s3 = boto3.client("s3")
            s3.put_bucket_versioning(Bucket="bench-bucket-0",
                                     VersioningConfiguration={"Status": "Suspended"})
            t = time.monotonic()
            wait_until(lambda: s3.get_bucket_versioning(Bucket="bench-bucket-0")
                       .get("Status") == "Enabled", 120, worker)
            results["drift_to_corrected_at_30s_interval_s"] = round(time.monotonic() - t, 2)

            results.update(idle(worker, idle_window, "idle_at_30s_interval"))
            worker.terminate()
            # The same state with the default intervals (5m drift check, 1m git poll).
            worker = Worker(remote, Path(tmp) / "state", interval="5m", source_interval="1m")
            worker.wait_ready(timeout=600)
            results.update(idle(worker, idle_window, "idle_at_default_intervals"))
        finally:
            worker.terminate()
    print(json.dumps(results, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "worker_latency.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
