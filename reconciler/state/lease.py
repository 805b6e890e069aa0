"""The lease that makes one process per owner the active one, in the state table itself.

One item per owner (``pk=owner#<owner>``, ``sk=lease``): ``holder`` (host:pid:random, empty
when released), ``version`` (+1 on every write: renewals and takeovers), ``epoch`` (+1 each
time the lease changes hands: the fencing token), ``duration`` and, for people only,
``expires_at`` (wall clock).

No decision uses another host's clock. The holder renews every duration/3 with an update
conditional on its version, and trusts itself only until the *start* of its last successful
renewal + duration - margin, by its own monotonic clock; a failed conditional renewal means
deposed at once. A standby takes over only after it has seen the same version unchanged for
one full duration by its own monotonic clock, with a write conditional on that version; so
by then the holder has stopped trusting itself. Store writes carry a ConditionCheck on
(holder, epoch), which a renewal does not change, so renewals never fence our own writes.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from reconciler.errors import ReconcilerError
from reconciler.state.base import Fenced
from reconciler.state.dynamodb_items import LEASE_SK, owner_pk

Clock = Callable[[], float]
DEFAULT_DURATION = 30.0


def new_holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """One owner's lease as seen by this process. Thread-safe enough for its use: one keeper
    thread writes it, other threads only read ``trusted()`` and the fencing condition."""

    def __init__(self, client: Any, table: str, owner: str, duration: float = DEFAULT_DURATION,
                 holder: str | None = None, clock: Clock = time.monotonic):
        if duration <= 0:
            raise ReconcilerError("--lease-duration must be more than 0")
        self.client, self.table, self.owner = client, table, owner
        self.duration = float(duration)
        self.margin = self.duration / 5  # for the network time of a call issued just in time
        self.holder = holder or new_holder_id()
        self._clock = clock
        self._key = {"pk": {"S": owner_pk(owner)}, "sk": {"S": LEASE_SK}}
        self.version: int | None = None  # ours, while we hold it
        self.epoch: int | None = None
        self._trusted_until = 0.0
        self._seen: tuple[int, float] | None = None  # a version of someone else's, first seen at
        self.seen_holder: str | None = None  # who held it at the last look

    @property
    def seen_version(self) -> int | None:
        """The version of someone else's lease being watched (None: none)."""
        return self._seen[0] if self._seen else None

    @property
    def held(self) -> bool:
        return self.version is not None

    def trusted(self) -> bool:
        return self.held and self._clock() < self._trusted_until

    def check(self) -> None:
        """Raise Fenced unless this process may still act (the AwsClients guard)."""
        if not self.trusted():
            raise Fenced(f"the lease of owner {self.owner} in table {self.table} is no longer "
                         f"held by this process ({self.holder})")

    def condition_check(self) -> dict[str, Any]:
        """The transaction item that makes a store write fail once another holder took over."""
        self.check()
        return {"ConditionCheck": {
            "TableName": self.table, "Key": self._key,
            "ConditionExpression": "holder = :me AND epoch = :epoch",
            "ExpressionAttributeValues": {":me": {"S": self.holder},
                                          ":epoch": {"N": str(self.epoch)}}}}

    def deposed(self) -> None:
        self.version = self.epoch = None
        self._trusted_until = 0.0
        self._seen = None

    # --- the calls (one each) -------------------------------------------------------------

    def try_acquire(self) -> bool:
        """One look at the lease (a consistent GetItem): take it when there is none, when it
        was released, or when its version has not moved for one full duration since this
        process first saw it. True when it is ours now."""
        started = self._clock()
        item = self.client.get_item(TableName=self.table, Key=self._key,
                                    ConsistentRead=True).get("Item")
        seen_at = self._clock()  # after the read: the version we saw was written before it
        if item is None:
            self.seen_holder = None
            return self._take(None, 0, started)
        version, holder = int(item["version"]["N"]), item.get("holder", {}).get("S", "")
        epoch = int(item.get("epoch", {}).get("N", "0"))
        self.seen_holder = holder or None
        if holder == "":
            return self._take(version, epoch, started)
        if self._seen is None or self._seen[0] != version:
            self._seen = (version, seen_at)
            return False
        # A holder configured with a longer lease is waited for as long as it says.
        wait = max(self.duration, float(item.get("duration", {}).get("N", "0")))
        if started - self._seen[1] >= wait:
            return self._take(version, epoch, started)
        return False

    def renew(self) -> bool:
        """Extend the lease (an UpdateItem conditional on our version). False: deposed."""
        assert self.version is not None
        started = self._clock()
        new = self.version + 1
        try:
            self.client.update_item(
                TableName=self.table, Key=self._key,
                UpdateExpression="SET #v = :new, expires_at = :exp",
                ConditionExpression="#v = :mine AND holder = :me",
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues={":new": {"N": str(new)},
                                           ":mine": {"N": str(self.version)},
                                           ":me": {"S": self.holder},
                                           ":exp": {"N": f"{time.time() + self.duration:.3f}"}})
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                self.deposed()
                return False
            raise
        self.version = new
        self._trusted_until = started + self.duration - self.margin
        return True

    def release(self) -> None:
        """Hand the lease back (a clean shutdown): a standby takes it at its next look."""
        if self.version is None:
            return
        mine = self.version
        self.deposed()
        try:
            self.client.update_item(
                TableName=self.table, Key=self._key,
                UpdateExpression="SET #v = :new, holder = :none",
                ConditionExpression="#v = :mine AND holder = :me",
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues={":new": {"N": str(mine + 1)},
                                           ":mine": {"N": str(mine)}, ":me": {"S": self.holder},
                                           ":none": {"S": ""}})
        except ClientError as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise  # already someone else's: nothing to give back

    def _take(self, expected: int | None, epoch: int, started: float) -> bool:
        version = 1 if expected is None else expected + 1
        condition = ("attribute_not_exists(pk)" if expected is None else "#v = :expected")
        values = {} if expected is None else {":expected": {"N": str(expected)}}
        try:
            self.client.put_item(
                TableName=self.table, ConditionExpression=condition,
                Item={**self._key, "holder": {"S": self.holder}, "version": {"N": str(version)},
                      "epoch": {"N": str(epoch + 1)}, "duration": {"N": f"{self.duration:g}"},
                      "expires_at": {"N": f"{time.time() + self.duration:.3f}"}},
                **({"ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": values} if values else {}))
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                self._seen = None  # someone else was quicker: watch the new version
                return False
            raise
        self.version, self.epoch, self._seen = version, epoch + 1, None
        self._trusted_until = started + self.duration - self.margin
        self.seen_holder = self.holder
        return True


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def acquire_for_command(lease: Lease, say: Callable[[str], None],
                        sleep: Callable[[float], None] = time.sleep) -> None:
    """Take the lease for one CLI run. A live holder renews within duration/3: fail naming it
    as soon as its version moves; one that does not move for a full duration is dead and is
    taken over."""
    if lease.try_acquire():
        return
    holder = lease.seen_holder
    first = lease.seen_version
    say(f"the lease of owner {lease.owner} is held by {holder}; waiting up to "
        f"{lease.duration:g}s to see whether it is still alive")
    while True:
        sleep(lease.duration / 10)
        if lease.try_acquire():
            say(f"took over the lease from {holder}, which did not renew it")
            return
        if lease.seen_version not in (None, first):
            raise ReconcilerError(
                f"the lease of owner {lease.owner} in table {lease.table} is held by "
                f"{lease.seen_holder}, which is alive (it renewed the lease): a worker is "
                "active for this owner; let it apply, or stop it first")
