"""Benchmark failover between two workers on one DynamoDB table (a fresh moto server).

For each lease duration: SIGKILL the idle holder and time until the standby reports
``reconciler_leader 1`` (the lease promises between 1 and 1.2 durations after the last
renewal); then push a revision adding resources, SIGKILL the holder right after its first
create (a failpoint) and time from the push until a standby has applied it all. Also the
cost of the shared store: wall time of apply and of a no-change plan on SQLite and on
DynamoDB.

    python bench/failover.py            # lease durations 2s and 5s, 3 kills each, 100 resources
    python bench/failover.py 2 10       # other durations
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from plan_noop import report  # noqa: E402

from reconciler.aws.local import LocalAws  # noqa: E402
from tests.worker_harness import Remote, Worker, wait_until  # noqa: E402

KILLS = 3
RESOURCES = 100


def logs_tree(names: list[str], retention: int = 7) -> str:
    return "Resources:\n" + "".join(
        f"  {n}: {{Type: AWS::Logs::LogGroup, Properties: {{RetentionInDays: {retention}}}}}\n"
        for n in names)


def leader(worker: Worker) -> float | None:
    try:
        return worker.metric("reconciler_leader")
    except OSError:
        return None


def start(remote: Remote, root: Path, index: int, duration: float,
          env: dict[str, str] | None = None) -> Worker:
    home = root / f"w{index}"
    home.mkdir()
    return Worker(remote, home / "state", "--state", "dynamodb://bench-state", "--work-dir",
                  str(home / "work"), "--lease-duration", f"{duration:g}s", interval="5m",
                  source_interval="1s", env=env)


def failover(duration: float) -> dict[str, object]:
    takeovers, finishes = [], []
    with tempfile.TemporaryDirectory() as tmp, LocalAws(managed_policies=False) as server:
        root = Path(tmp)
        remote = Remote(root / "git")
        names = ["Base"]
        remote.push({"desired/tree.yaml": logs_tree(names)}, "base")
        index = 0
        holder = start(remote, root, index, duration)
        holder.wait_ready(120)
        for _ in range(KILLS):
            index += 1
            standby = start(remote, root, index, duration)
            wait_until(lambda s=standby: leader(s) == 0, 60, standby)
            holder.kill()
            t = time.monotonic()
            wait_until(lambda s=standby: leader(s) == 1, 10 * duration, standby)
            takeovers.append(time.monotonic() - t)
            holder = standby
            holder.wait_ready(120)
        # Killed mid-reconcile: right after the first create of a revision adding resources.
        index += 1
        victim = start(remote, root, index, duration,
                       env={"RECONCILER_FAILPOINTS": "after-create:*"})
        wait_until(lambda: leader(victim) == 0, 60, victim)
        holder.kill()
        wait_until(lambda: leader(victim) == 1, 10 * duration, victim)
        victim.wait_ready(120)
        index += 1
        standby = start(remote, root, index, duration)
        wait_until(lambda: leader(standby) == 0, 60, standby)
        names += [f"Added{i}" for i in range(20)]
        t = time.monotonic()
        revision = remote.push({"desired/tree.yaml": logs_tree(names)}, "grow")
        wait_until(lambda: victim.process.poll() is not None, 60)
        wait_until(lambda: standby.status()["revisions"]["last_applied_revision"] == revision,
                   120, standby)
        finishes.append(time.monotonic() - t)
        standby.kill()
        server.stop()
    return {"lease_s": duration, "kills": KILLS,
            "takeover_median_s": round(statistics.median(takeovers), 2),
            "takeover_max_s": round(max(takeovers), 2),
            "takeover_max_in_durations": round(max(takeovers) / duration, 2),
            "push_to_applied_after_mid_reconcile_kill_s": round(finishes[0], 2)}


def store_cost() -> list[dict[str, object]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp, LocalAws(managed_policies=False) as server:
        desired = Path(tmp) / "desired"
        desired.mkdir()
        (desired / "tree.yaml").write_text(logs_tree([f"L{i}" for i in range(RESOURCES)]))
        for name, state in (("sqlite", str(Path(tmp) / "state")),
                            ("dynamodb", "dynamodb://bench-cost")):
            server.reset()
            row: dict[str, object] = {"store": name, "resources": RESOURCES}
            for command in ("apply", "plan"):
                t = time.monotonic()
                done = subprocess.run([sys.executable, "-m", "reconciler", command, str(desired),
                                       "--state", state], capture_output=True, text=True)
                if done.returncode != 0:
                    raise RuntimeError(done.stdout[-2000:] + done.stderr[-2000:])
                row[f"{command}_wall_s"] = round(time.monotonic() - t, 2)
            rows.append(row)
        server.stop()
    return rows


def main() -> None:
    durations = [float(a) for a in sys.argv[1:]] or [2.0, 5.0]
    report([failover(d) for d in durations],
           ("lease_s", "kills", "takeover_median_s", "takeover_max_s",
            "takeover_max_in_durations", "push_to_applied_after_mid_reconcile_kill_s"),
           "failover")
    report(store_cost(), ("store", "resources", "apply_wall_s", "plan_wall_s"), "store_cost")


if __name__ == "__main__":
    main()
