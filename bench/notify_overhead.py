"""Benchmark: what notifications cost the reconcile thread.

For N resources (a real SQLite state store, plans built as values), times one reconcile's
notification work (``on_plan`` + ``finished``: conditions compared, persisted, notices
queued) in three cases: nothing new (every resource in sync, or the same drift again), and
every resource newly drifted with the destination a receiver that never answers and a port
where nothing listens (queues fill; the oldest notices are dropped). Also the delivery rate
to a receiver that answers at once.

    python bench/notify_overhead.py            # N = 300, 3000
    python bench/notify_overhead.py 1000       # one size
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import structlog

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reconciler.daemon.metrics import Metrics  # noqa: E402
from reconciler.daemon.notify import Delivery, Notifications  # noqa: E402
from reconciler.engine.model import Action, Change, DiffEntry, Plan, Status  # noqa: E402
from reconciler.state.store import StateStore  # noqa: E402
from tests.notify_receiver import Receiver  # noqa: E402
from tests.worker_harness import free_port  # noqa: E402


def changes(n: int, drifted: bool, tag: str = "a") -> list[Change]:
    if not drifted:
        return [Change(f"R{i}", "AWS::S3::Bucket", Status.IN_SYNC) for i in range(n)]
    return [Change(f"R{i}", "AWS::S3::Bucket", Status.DRIFTED, Action.UPDATE, blocked=True,
                   diff=[DiffEntry("/Tags/k", tag, "b")], managed=True) for i in range(n)]


def one_cycle(notifications: Notifications, plan: Plan) -> float:
    started = time.perf_counter()
    cycle = notifications.cycle(True, frozenset(), frozenset())
    cycle.on_plan(plan)
    cycle.finished(plan)
    return time.perf_counter() - started


def sample(metrics: Metrics, result: str) -> int:
    return int(metrics.registry.get_sample_value("reconciler_notifications_total",
                                                 {"result": result}) or 0)


def measure(n: int) -> dict[str, float]:
    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())  # no log I/O
    out: dict[str, float] = {"resources": n}
    hung, fast = Receiver(), Receiver()
    hung.hold.clear()
    dead = f"http://127.0.0.1:{free_port()}/x"
    with tempfile.TemporaryDirectory() as tmp:
        store = StateStore(Path(tmp) / "state")
        metrics = Metrics()
        slow = Notifications((hung.url, dead), store, metrics, structlog.get_logger(), "bench",
                             Delivery(first_delay=30, timeout=30))
        out["in_sync_cycle_ms"] = round(one_cycle(slow, Plan(changes(n, False))) * 1000, 2)
        out["all_newly_drifted_cycle_ms"] = round(
            one_cycle(slow, Plan(changes(n, True))) * 1000, 2)
        out["same_drift_again_cycle_ms"] = round(
            one_cycle(slow, Plan(changes(n, True))) * 1000, 2)
        out["dropped_with_dead_receivers"] = sample(metrics, "dropped")
        hung.hold.set()
        slow.close(0.5)
        store.close()
        store = StateStore(Path(tmp) / "fast")
        metrics = Metrics()
        quick = Notifications((fast.url,), store, metrics, structlog.get_logger(), "bench",
                              Delivery(queue_size=n + 1))
        started = time.perf_counter()
        one_cycle(quick, Plan(changes(n, True)))
        quick.close(120)
        out["delivered_per_second"] = round(sample(metrics, "sent") /
                                            (time.perf_counter() - started), 1)
        store.close()
    hung.close()
    fast.close()
    return out


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [300, 3000]
    results = [measure(n) for n in sizes]
    print(json.dumps(results, indent=2))
    target = ROOT / "bench" / "results"
    target.mkdir(exist_ok=True)
    (target / "notify_overhead.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
