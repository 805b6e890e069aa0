"""Event-driven drift (``run --events-queue URL``): a thread long-polls the SQS queue that an
EventBridge rule feeds with CloudTrail management events, and asks the worker to reconcile
exactly the managed resources an event names.

Per message: malformed (not an EventBridge envelope) is logged with its message ID and
deleted; an event by the worker's own principal is "own" (its corrections are not drift);
a read, a failed call or an event naming nothing managed is "unmatched"; otherwise
"matched", and its resources join the set the next scoped reconcile drains. The queue's
backlog is read out before that reconcile is asked for, so a burst (one resource changed
50 times in a second) is one reconcile. Every message is deleted once handled. A queue
that cannot be read backs off (1 s doubling to 5 min) and says so in the metrics and
/status; the interval check stays the safety net.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

from reconciler.aws.clients import AwsClients
from reconciler.aws.cloudtrail import CloudTrailAttribution, changed_by_of, is_read_only
from reconciler.aws.identity import OwnPrincipal
from reconciler.aws.queue import WAIT_SECONDS, queue_client
from reconciler.daemon.changed_by import WorkerAttribution
from reconciler.daemon.event_match import InventoryIndex
from reconciler.daemon.metrics import Metrics
from reconciler.engine.attribution import ChangedBy
from reconciler.state.base import InventoryRow

DETAIL_TYPE = "AWS API Call via CloudTrail"
RESULTS = ("matched", "unmatched", "own", "malformed")
BATCH = 10  # SQS's most messages per receive
DRAIN_BATCHES = 20  # at most this many receives before the reconcile is asked for
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 300.0
AUTHOR_TTL = 600.0  # an event names who caused a drift found within this many seconds


class EventsListener:
    def __init__(self, queue_url: str, client: Any, schedule: Callable[[set[str]], None],
                 own: OwnPrincipal, registry: CollectorRegistry, log: Any,
                 clock: Callable[[], float] = time.monotonic,
                 active: Callable[[], bool] = lambda: True):
        self.queue_url = queue_url
        # A standby worker leaves the queue to the lease holder: what it took, it would drop.
        self._active = active
        self._client = client
        self._schedule = schedule
        self._own = own
        self._log = log
        self._clock = clock
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._index = InventoryIndex(())
        self._authors: dict[str, tuple[ChangedBy, float]] = {}
        self._counts = dict.fromkeys(RESULTS, 0)
        self._reachable: bool | None = None
        self._last_error: str | None = None
        self._last_message: str | None = None
        self._delay = 0.0
        self.received = Counter(
            "reconciler_events_received_total",
            "CloudTrail events read from the events queue, by what they were",
            ["result"], registry=registry)
        for result in RESULTS:  # alerts use increase(): every series exists from the start
            self.received.labels(result=result)
        self.queue_reachable = Gauge(
            "reconciler_events_queue_reachable",
            "1 while the events queue answers, 0 while it cannot be read", registry=registry)

    # --- the inventory ------------------------------------------------------------------------

    def refresh(self, inventory: Mapping[str, InventoryRow]) -> None:
        """Rebuild the index when the managed resources (or their physical IDs) changed."""
        resources = frozenset((lid, row.type, row.physical_id) for lid, row in inventory.items())
        if resources != self._index.signature:
            self._index = InventoryIndex(resources)  # swapped whole: readers never see half

    # --- one message --------------------------------------------------------------------------

    def classify(self, message: Mapping[str, Any]) -> tuple[str, set[str], ChangedBy | None]:
        """(result, logical IDs named, who) for one SQS message."""
        try:
            body = json.loads(message.get("Body") or "")
        except (TypeError, ValueError) as exc:
            return self._malformed(message, f"body is not JSON: {exc}")
        if not isinstance(body, dict) or "detail-type" not in body:
            return self._malformed(message, "body is not an EventBridge event (no detail-type)")
        detail = body.get("detail")
        if not isinstance(detail, dict):
            return self._malformed(message, "the event has no detail object")
        if body["detail-type"] != DETAIL_TYPE:
            return "unmatched", set(), None  # another kind of event: nothing of CloudTrail's
        if self._own.made(detail.get("userIdentity")):
            return "own", set(), None
        if is_read_only(detail) or detail.get("errorCode"):
            return "unmatched", set(), None  # a read, or a call that changed nothing
        named = self._index.match(detail)
        if not named:
            return "unmatched", set(), None
        return "matched", named, changed_by_of(detail)

    def _malformed(self, message: Mapping[str, Any],
                   why: str) -> tuple[str, set[str], ChangedBy | None]:
        self._log.warning("malformed event message dropped", message_id=message.get("MessageId"),
                          error=why)
        return "malformed", set(), None

    def handle(self, messages: Iterable[Mapping[str, Any]]) -> set[str]:
        """Classify and count a batch; remember who changed what; the logical IDs named."""
        due: set[str] = set()
        now = self._clock()
        for message in messages:
            try:
                result, named, who = self.classify(message)
            except Exception as exc:  # one message that trips us up is dropped, never retried
                self._log.exception("event message not understood; dropped",
                                    message_id=message.get("MessageId"), error=str(exc))
                result, named, who = "malformed", set(), None
            self.received.labels(result=result).inc()
            with self._lock:
                self._counts[result] += 1
                if who:
                    for lid in named:
                        self._authors[lid] = (who, now)
            if named:
                self._log.info("event names managed resources", resources=sorted(named),
                               api=(who or {}).get("event"),
                               principal=(who or {}).get("principal"))
            due |= named
        return due

    def changed_by(self, logical_id: str) -> ChangedBy | None:
        """Who an event said changed the resource lately (consumed by the drift it explains)."""
        with self._lock:
            entry = self._authors.pop(logical_id, None)
            # Old news: the lookup (CloudTrail has it by then) answers instead.
            stale = [lid for lid, (_, at) in self._authors.items()
                     if self._clock() - at > AUTHOR_TTL]
            for lid in stale:
                del self._authors[lid]
        if entry is None or self._clock() - entry[1] > AUTHOR_TTL:
            return None
        return entry[0]

    # --- the queue ----------------------------------------------------------------------------

    def poll_once(self, wait: int = WAIT_SECONDS) -> int:
        """One long poll, then whatever the queue already holds; schedule once. Messages
        handled (raises what the queue raised)."""
        due: set[str] = set()
        handled = 0
        messages = self._receive(wait)
        for _ in range(DRAIN_BATCHES):
            if not messages:
                break
            due |= self.handle(messages)
            self._delete(messages)
            handled += len(messages)
            if self._stop.is_set():
                break
            messages = self._receive(0)
        if handled:
            with self._lock:
                self._last_message = datetime.now(UTC).isoformat(timespec="seconds")
        if due:
            self._schedule(due)
        return handled

    def _receive(self, wait: int) -> list[dict[str, Any]]:
        reply = self._client.receive_message(QueueUrl=self.queue_url, WaitTimeSeconds=wait,
                                             MaxNumberOfMessages=BATCH)
        self._reached()
        return list(reply.get("Messages") or ())

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                   for i, m in enumerate(messages) if m.get("ReceiptHandle")]
        if not entries:
            return
        reply = self._client.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
        for failed in reply.get("Failed") or ():
            # Seen again after the visibility timeout: coalesced, at worst one more reconcile.
            self._log.warning("event message not deleted", entry=failed.get("Id"),
                              error=failed.get("Message") or failed.get("Code"))

    def _reached(self) -> None:
        if self._reachable is False:
            self._log.info("events queue reachable again", queue=self.queue_url)
        self._reachable, self._last_error, self._delay = True, None, 0.0
        self.queue_reachable.set(1)

    def _failed(self, exc: Exception) -> float:
        """Count a failed read; the delay before the next one."""
        error = " ".join(str(exc).split()) or type(exc).__name__
        if self._reachable is not False:
            self._log.error("events queue unreachable; the interval check covers meanwhile",
                            queue=self.queue_url, error=error)
        self._reachable, self._last_error = False, error
        self.queue_reachable.set(0)
        self._delay = min(BACKOFF_MAX, max(BACKOFF_FIRST, self._delay * 2))
        return self._delay * random.uniform(0.8, 1.2)

    def run(self) -> None:
        while not self._stop.is_set():
            if not self._active():
                self._stop.wait(1.0)
                continue
            try:
                self.poll_once()
            except Exception as exc:  # the listener never dies; it backs off and says so
                self._stop.wait(self._failed(exc))

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="events", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """No new polls; a long poll in flight ends on its own (daemon thread)."""
        self._stop.set()

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {"queue": self.queue_url, "reachable": self._reachable,
                    "last_error": self._last_error, "last_message_at": self._last_message,
                    "received": dict(self._counts), "resources_indexed": len(self._index),
                    "retry_in_seconds": round(self._delay, 1) if self._reachable is False
                    else None}


class DriftSources:
    """What ``reconciler run`` adds to the worker: who caused drift (always), and the events
    listener (with ``--events-queue``)."""

    def __init__(self, worker: Any, clients: AwsClients, metrics: Metrics, log: Any,
                 events_queue: str | None):
        own = OwnPrincipal(lambda: clients.client("sts"))
        lookup = CloudTrailAttribution(lambda: clients.client("cloudtrail", retries=False),
                                       own, lambda text: log.warning(text))
        self.listener: EventsListener | None = None
        if events_queue:
            client = queue_client(events_queue, clients.region,
                                  lambda op, result: metrics.aws_call("sqs", op, result))
            self.listener = EventsListener(events_queue, client, worker.request_resources, own,
                                           metrics.registry, log, active=worker.active)
        self.attribution = WorkerAttribution(lookup, self.listener)
        worker.attribution = self.attribution
        worker.on_reconciled.append(self.attribution.reconciled)
        worker.status_hooks.append(self.attribution.annotate)
        listener = self.listener
        if listener is not None:
            listener.refresh(worker.store.inventory())
            worker.on_reconciled.append(lambda _plan: listener.refresh(worker.store.inventory()))
            worker.status_hooks.append(lambda data: data.__setitem__("events", listener.status()))

    def start(self) -> None:
        if self.listener is not None:
            self.listener.start()

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.stop()
