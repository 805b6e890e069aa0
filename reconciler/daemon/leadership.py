"""The worker's part in the lease (``--state dynamodb://``): it starts as a standby, starts
reconciling once it holds the lease, and stands by again the moment it is fenced.

With a state directory there is no lease: the worker is always the active one.
"""

from __future__ import annotations

import threading
from typing import Any

from reconciler.aws.clients import AwsClients
from reconciler.daemon.metrics import Metrics
from reconciler.state.base import Store
from reconciler.state.dynamodb_store import DynamoStore
from reconciler.state.lease_keeper import LeaseKeeper


class Leadership:
    def __init__(self, store: DynamoStore, clients: AwsClients, metrics: Metrics, worker: Any,
                 duration: float, log: Any):
        self.lease = store.new_lease(duration)
        self.owner = store.owner
        self._worker, self._metrics, self._log = worker, metrics, log
        self._started = False
        store.fence_with(self.lease)  # every store write: only while the lease is ours
        clients.before_call(self.lease.check)  # every AWS call of the kinds: likewise
        store.clients.on_call(metrics.aws_call)
        store.clients.on_throttle(metrics.aws_throttled)
        metrics.set_leader(False)
        # Each tick tries DynamoDB again even after it counted as unreachable.
        self.keeper = LeaseKeeper(self.lease, on_acquired=self._acquired, on_lost=self._lost,
                                  before_tick=store.clients.reset_reachability, log=log)
        worker.leadership = self

    def start(self) -> None:
        self._log.info("standing by for the lease", holder=self.lease.holder,
                       lease_duration=self.lease.duration)
        self.keeper.tick()  # the first look at once (an unheld lease is taken now)
        self.keeper.start()

    def stop(self, release: bool = True) -> None:
        """Stop renewing; ``release`` hands the lease back (clean shutdown): a standby takes
        over at its next look."""
        self.keeper.stop(release=release)
        self._metrics.set_leader(False)

    def active(self) -> bool:
        return self.lease.trusted()

    def standby_reason(self) -> str | None:
        if self.active():
            return None
        holder = self.lease.seen_holder
        return (f"the lease of owner {self.owner} is held by {holder}" if holder
                else f"waiting for the lease of owner {self.owner}")

    def describe(self) -> dict[str, Any]:
        """For /status: this worker's role and who holds the lease."""
        return {"role": "active" if self.active() else "standby",
                "lease_holder": self.lease.holder if self.active() else self.lease.seen_holder,
                "worker_id": self.lease.holder, "lease_duration": self.lease.duration}

    def _acquired(self) -> None:
        self._metrics.set_leader(True)
        self._log.info("holding the lease: active", holder=self.lease.holder)
        if not self._started:
            self._started = True
            # Off the lease thread: loading the tree must not delay a renewal.
            threading.Thread(target=self._start_worker, name="worker-start",
                             daemon=True).start()
        else:
            self._worker.became_active()

    def _start_worker(self) -> None:
        try:
            self._worker.start()
        except Exception as exc:  # fenced at once, say: started again when the lease is ours
            self._log.error("worker start failed", error=str(exc))
            self._started = bool(self._worker.scheduler.running)

    def _lost(self) -> None:
        self._metrics.set_leader(False)
        self._log.warning("lost the lease: standing by", holder=self.lease.holder,
                          new_holder=self.lease.seen_holder)


def leadership_for(store: Store, clients: AwsClients, metrics: Metrics, worker: Any,
                   duration: float, log: Any) -> Leadership | None:
    """A lease for a shared store; None for a state directory (no lease: always active)."""
    if not isinstance(store, DynamoStore):
        return None
    return Leadership(store, clients, metrics, worker, duration, log)
