"""``--notify URL``: notices sent to Slack or any JSON endpoint, off the reconcile thread.

Each destination has its own sender thread and a bounded queue: a reconcile only puts
notices on the queues (never waits on a network), a slow or dead receiver delays only its
own notices, and when its queue is full the oldest notice is dropped (counted), so memory
stays bounded. A delivery is retried with exponential backoff and jitter on connection
errors, timeouts, 5xx and 429 (whose Retry-After is honoured), then given up (counted).
Webhook URLs are secrets: only scheme, host and port are ever logged.
"""

from __future__ import annotations

import json
import queue
import random
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from reconciler.daemon.metrics import Metrics
from reconciler.daemon.notify_conditions import Conditions, Cycle, Notice
from reconciler.daemon.notify_format import masked_url, payload
from reconciler.engine.model import Plan
from reconciler.errors import ReconcilerError
from reconciler.state.base import Store

_STOP = object()


@dataclass(frozen=True)
class Delivery:
    """How hard a destination is tried. Defaults suit a chat webhook; tests shrink them."""

    attempts: int = 6  # the first try and five retries (about 30 s of backoff)
    first_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 600.0  # a receiver asking for longer is held to this
    timeout: float = 10.0  # one request
    queue_size: int = 200


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirected POST becomes a GET without the body: a lost notice that looks sent.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _Retry(Exception):
    def __init__(self, why: str, after: float | None = None):
        super().__init__(why)
        self.after = after


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = masked_url(url) if "://" in url else url.split("/")[0] + "/..."
        raise ReconcilerError(f"--notify (or RECONCILER_NOTIFY) {shown!r}: not an http(s) URL "
                              "(the rest is not shown: webhook URLs are secrets)")


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


class Destination:
    """One URL: a bounded queue and the thread that delivers from it."""

    def __init__(self, url: str, owner: str, delivery: Delivery, metrics: Metrics, log: Any):
        self.url = url
        self.shown = masked_url(url)
        self.owner = owner
        self.delivery = delivery
        self.metrics = metrics
        self.log = log.bind(destination=self.shown)
        # Bounded by offer (queue_size), so that the end mark always fits behind the notices.
        self._queue: queue.Queue[Any] = queue.Queue()
        self._offering = threading.Lock()
        self._drops = 0
        self._abort = threading.Event()
        self._opener = urllib.request.build_opener(_NoRedirect)
        self._thread = threading.Thread(target=self._run, name=f"notify {self.shown}",
                                        daemon=True)
        self._thread.start()

    def offer(self, notice: Notice) -> None:
        """Never blocks: a full queue loses its oldest notice, not the newest."""
        with self._offering:
            while self._queue.qsize() >= self.delivery.queue_size:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
                self.metrics.notification("dropped")
                self._drops += 1
                if self._drops % 100 == 1:  # a flood is one line per hundred, not per notice
                    self.log.warning("notifications dropped: queue full",
                                     queue=self.delivery.queue_size, dropped=self._drops)
            self._queue.put_nowait(notice)

    def close(self, timeout: float) -> None:
        """Deliver what is queued for up to ``timeout`` seconds, then give up on the rest."""
        self.finish()
        self.abandon(time.monotonic() + timeout)

    def finish(self) -> None:
        """No more notices: the thread ends once it has delivered what is queued."""
        self._queue.put_nowait(_STOP)

    def abandon(self, deadline: float) -> None:
        """Wait until ``deadline`` for the queue to empty; then stop retrying, count the rest
        as dropped."""
        self._thread.join(max(0.0, deadline - time.monotonic()))
        self._abort.set()
        self._thread.join(1.0)
        left = 0
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            left += item is not _STOP
        for _ in range(left):
            self.metrics.notification("dropped")

    def _run(self) -> None:
        while not self._abort.is_set():
            item = self._queue.get()
            if item is _STOP:
                return
            try:
                self._deliver(item)
            except Exception as exc:  # the sender never dies of one notice
                self.metrics.notification("failed")
                self.log.error("notification failed", notice=item.event,
                               error=self._scrub(f"{type(exc).__name__}: {exc}"))

    def _deliver(self, notice: Notice) -> None:
        body = json.dumps(payload(self.url, notice, self.owner), default=str).encode()
        d = self.delivery
        for attempt in range(1, d.attempts + 1):
            try:
                self._post(body)
            except _Retry as retry:
                if attempt == d.attempts:
                    return self._failed(notice, attempt, str(retry))
                backoff = min(d.max_delay, d.first_delay * 2 ** (attempt - 1))
                delay = (min(retry.after, d.max_retry_after) if retry.after is not None
                         else backoff * (0.5 + random.random() / 2))
                self.log.info("notification retried", notice=notice.event, attempt=attempt,
                              error=str(retry), delay=round(delay, 3))
                if self._abort.wait(delay):
                    self.metrics.notification("dropped")
                    return None
                continue
            except urllib.error.HTTPError as exc:  # 3xx and 4xx: retrying cannot help
                return self._failed(notice, attempt, f"HTTP {exc.code}")
            self.metrics.notification("sent")
            self.log.info("notification sent", notice=notice.event, resource=notice.resource,
                          attempts=attempt)
            return None
        return None

    def _post(self, body: bytes) -> None:
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "reconciler-notify/1"})
        try:
            with self._opener.open(request, timeout=self.delivery.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 429:
                raise _Retry("HTTP 429", retry_after(exc.headers.get("Retry-After"))) from None
            if exc.code >= 500 or exc.code == 408:
                raise _Retry(f"HTTP {exc.code}") from None
            raise
        except (urllib.error.URLError, OSError) as exc:  # refused, reset, timeout, DNS
            reason = getattr(exc, "reason", exc)
            raise _Retry(self._scrub(f"{type(exc).__name__}: {reason}")) from None

    def _failed(self, notice: Notice, attempts: int, error: str) -> None:
        self.metrics.notification("failed")
        self.log.warning("notification failed", notice=notice.event, resource=notice.resource,
                         attempts=attempts, error=error)

    def _scrub(self, text: str) -> str:
        return text.replace(self.url, self.shown)


class _QuietCycle:
    def on_plan(self, plan: Plan) -> None:
        pass

    def finished(self, result: Plan) -> None:
        pass


class _SendingCycle:
    def __init__(self, notifications: Notifications, cycle: Cycle):
        self._notifications = notifications
        self._cycle = cycle

    def on_plan(self, plan: Plan) -> None:
        self._cycle.on_plan(plan)

    def finished(self, result: Plan) -> None:
        self._notifications.send(self._cycle.finished(result))


class Notifications:
    """The worker's side: what to tell (``Conditions``) and where (one ``Destination`` per
    URL). Without URLs everything here is a no-op and nothing is written to the store."""

    def __init__(self, urls: tuple[str, ...], store: Store, metrics: Metrics, log: Any,
                 owner: str, delivery: Delivery | None = None):
        for url in urls:
            check_url(url)
        self.log = log
        self.conditions = Conditions(store) if urls else None
        self.destinations = [Destination(url, owner, delivery or Delivery(), metrics, log)
                             for url in dict.fromkeys(urls)]
        if urls:
            log.info("notifications on", destinations=[d.shown for d in self.destinations])

    def send(self, notices: list[Notice]) -> None:
        for notice in notices:
            for destination in self.destinations:
                destination.offer(notice)

    def cycle(self, full: bool, from_git: frozenset[str] | None,
              secrets: frozenset[str]) -> _QuietCycle | _SendingCycle:
        if self.conditions is None:
            return _QuietCycle()
        return _SendingCycle(self, self.conditions.cycle(full, from_git, secrets))

    def revision_invalid(self, revision: str, errors: list[str]) -> None:
        if self.conditions is not None:
            self.send(self.conditions.revision_invalid(revision, errors))

    def revision_valid(self, revision: str) -> None:
        if self.conditions is not None:
            self.send(self.conditions.revision_valid(revision))

    def close(self, timeout: float = 5.0) -> None:
        """Shutdown: every destination delivers what it holds, all within one ``timeout``."""
        deadline = time.monotonic() + timeout
        for destination in self.destinations:
            destination.finish()
        for destination in self.destinations:
            destination.abandon(deadline)
