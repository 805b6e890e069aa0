"""A thread that keeps a lease: renews it while held, and (for a standby) watches it and takes
it over when its holder stops renewing. Callbacks say when this process became the holder
and when it stopped being one; they run on this thread and must return quickly."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from reconciler.state.base import Store
from reconciler.state.lease import Lease, acquire_for_command


class LeaseKeeper:
    def __init__(self, lease: Lease, on_acquired: Callable[[], None] = lambda: None,
                 on_lost: Callable[[], None] = lambda: None, standby: bool = True,
                 before_tick: Callable[[], None] = lambda: None, log: Any = None,
                 clock: Callable[[], float] = time.monotonic):
        self.lease = lease
        self.on_acquired, self.on_lost = on_acquired, on_lost
        self.standby = standby  # False: renew only (a CLI run), never take over
        self.before_tick = before_tick
        self._log = log
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_renewal = 0.0
        self._was_held = lease.held
        if lease.held:
            self._next_renewal = clock() + lease.duration / 3

    @property
    def poll_interval(self) -> float:
        """How often a standby looks (the takeover comes at most this late after it is due)."""
        return self.lease.duration / 10

    def start(self) -> LeaseKeeper:
        self._thread = threading.Thread(target=self._loop, name="lease", daemon=True)
        self._thread.start()
        return self

    def stop(self, release: bool = True) -> None:
        """Stop keeping the lease; ``release`` hands it back so a standby need not wait."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.lease.duration)
        if release and self.lease.held:
            try:
                self.lease.release()
            except Exception as exc:  # the lease then runs out by itself
                self._warn("could not release the lease", exc)

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_interval):
            self.tick()

    def tick(self) -> None:
        lease = self.lease
        try:
            self.before_tick()
            if lease.held:
                if self._clock() >= self._next_renewal and lease.renew():
                    self._next_renewal = self._clock() + lease.duration / 3
            elif self.standby and lease.try_acquire():
                self._next_renewal = self._clock() + lease.duration / 3
        except Exception as exc:  # DynamoDB unreachable or throttled: try again next tick
            self._warn("lease call failed", exc)
        if lease.held and not lease.trusted():
            lease.deposed()  # renewals kept failing: the lease may be someone else's by now
        self._report()

    def _report(self) -> None:
        held = self.lease.held
        if held == self._was_held:
            return
        self._was_held = held
        (self.on_acquired if held else self.on_lost)()

    def _warn(self, event: str, exc: Exception) -> None:
        if self._log is not None:
            self._log.warning(event, error=str(exc), holder=self.lease.holder)


@contextmanager
def held_for_command(store: Store, clients: Any, duration: float) -> Iterator[None]:
    """A CLI ``apply`` on a shared store holds the owner's lease for its run (fails naming
    the holder when a worker is active): its writes and AWS calls are fenced as a worker's.
    A state directory has no lease: nothing to do."""
    from reconciler.state.dynamodb_store import DynamoStore

    if not isinstance(store, DynamoStore):
        yield
        return
    lease = store.new_lease(duration)
    acquire_for_command(lease, lambda line: print(line, file=sys.stderr, flush=True))
    store.fence_with(lease)
    clients.before_call(lease.check)
    keeper = LeaseKeeper(lease, standby=False, before_tick=store.clients.reset_reachability)
    keeper.start()
    try:
        yield
    finally:
        keeper.stop(release=True)
        store.fence_with(None)
