"""The shared state store: ``--state dynamodb://TABLE``. The same rows as the SQLite store
(inventory, metadata, last status, a bounded run history with its changes), per owner, in one
DynamoDB table (layout: ``dynamodb_items.py``), so that several workers of one owner on
different hosts share them; one of them is active under a lease (``lease.py``).

With a lease attached (``fence_with``), every write is a TransactWriteItems whose first item
is a ConditionCheck that the lease is still ours: a deposed holder's write fails with
Fenced and changes nothing. Reads are strongly consistent, so a worker that just took over
sees every write of the one before. AWS calls go through ``AwsClients`` (adaptive retries
on throttling and 5xx, call metrics).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.clients import AwsClients
from reconciler.errors import ReconcilerError
from reconciler.state import dynamodb_items as items
from reconciler.state import dynamodb_table
from reconciler.state.base import Fenced, HistoryLimit, InventoryRow, StatusRow
from reconciler.state.lease import Lease

# Transient reasons a transaction is cancelled for (another transaction on the same item,
# throttling): tried again at once, a few times, before giving up.
_RETRY_REASONS = frozenset({"TransactionConflict", "ThrottlingError",
                            "ProvisionedThroughputExceeded", "RequestLimitExceeded"})
_TRANSACTION_TRIES = 5


class DynamoStore:
    """One owner's rows in a DynamoDB table. Safe to share between threads (boto3 clients
    are; the run-change sequence has a lock)."""

    def __init__(self, location: str, owner: str = "reconciler",
                 clients: AwsClients | None = None):
        self.table = dynamodb_table.table_name(location)
        self.owner = owner
        self.location = location
        self.clients = clients or AwsClients()
        self.client = self.clients.client("dynamodb")
        self.lease: Lease | None = None
        self._pk = items.owner_pk(owner)
        self._lock = threading.Lock()
        self._change_seq: dict[int, int] = {}
        self._registered: set[str] = set()  # owner-index flags written by this process
        dynamodb_table.ensure(self.client, self.table)

    def fence_with(self, lease: Lease | None) -> None:
        """From now on every write is conditional on ``lease`` (None: plain writes)."""
        self.lease = lease

    def new_lease(self, duration: float) -> Lease:
        return Lease(self.client, self.table, self.owner, duration)

    def close(self) -> None:
        pass  # nothing held open: boto3 pools connections per client

    # --- inventory ------------------------------------------------------------------------

    def inventory(self) -> dict[str, InventoryRow]:
        rows = {}
        for item in self._query("inv#"):
            d = items.decode(item)
            rows[d["logical_id"]] = InventoryRow(
                d["logical_id"], d["type"], d.get("physical_id"), self.owner, d.get("revision"),
                d["state"], d["deletion_policy"], d.get("mode", "enforce"),
                d.get("properties", {}), d.get("depends_on", []))
        return dict(sorted(rows.items()))

    def put_inventory(self, row: InventoryRow) -> None:
        data = {"logical_id": row.logical_id, "type": row.type, "physical_id": row.physical_id,
                "revision": row.revision, "state": row.state,
                "deletion_policy": row.deletion_policy, "mode": row.mode,
                "properties": row.properties, "depends_on": row.depends_on,
                "updated_at": time.time()}
        item = items.encode(self._pk, f"inv#{row.logical_id}", data,
                            f"the inventory row of {row.logical_id}")
        self._write([_put(self.table, item)], register="data")

    def drop_inventory(self, logical_id: str) -> None:
        self._write([self._delete(f"inv#{logical_id}")])

    # --- runs and change history ----------------------------------------------------------

    def start_run(self, command: str, revision: str | None) -> int:
        # The counter needs its value back, which a transaction cannot give: a deposed holder
        # may burn a number (a gap in the IDs), never write a run.
        if self.lease is not None:
            self.lease.check()
        reply = self.client.update_item(
            TableName=self.table, Key=_key(self._pk, items.RUN_COUNTER_SK),
            UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW")
        run_id = int(reply["Attributes"]["n"]["N"])
        data = {"id": run_id, "command": command, "revision": revision,
                "started_at": time.time(), "finished_at": None, "result": None, "summary": {}}
        item = items.encode(self._pk, items.run_sk(run_id), data, f"run {run_id}")
        self._write([_put(self.table, item)], register="data")
        return run_id

    def finish_run(self, run_id: int, result: str, summary: dict[str, Any]) -> None:
        found = self._get(items.run_sk(run_id))
        if found is None:
            return  # trimmed meanwhile, as the SQLite UPDATE of no row
        data = {**items.decode(found), "finished_at": time.time(), "result": result,
                "summary": summary}
        self._write([_put(self.table, items.encode(self._pk, items.run_sk(run_id), data,
                                                   f"run {run_id}"))])

    def record_change(self, run_id: int, logical_id: str, type_name: str, action: str,
                      result: str, reason: str | None, diff: list[dict[str, Any]]) -> None:
        with self._lock:
            seq = self._change_seq.get(run_id, 0) + 1
            self._change_seq = {run_id: seq}  # one run at a time records changes
        data = {"resource": logical_id, "type": type_name, "action": action, "result": result,
                "reason": items.cut_reason(reason), "diff": items.fit_diff(diff),
                "at": time.time()}
        item = items.encode(self._pk, items.change_sk(run_id, seq), data,
                            f"the change of {logical_id} in run {run_id}")
        self._write([_put(self.table, item)])

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        found = self._query("run#", newest_first=True, limit=limit)
        return [_run(items.decode(item)) for item in found]

    def changes(self, run_id: int) -> list[dict[str, Any]]:
        return [{k: d.get(k) for k in ("resource", "type", "action", "result", "reason",
                                       "diff")}
                for d in map(items.decode, self._query(items.change_prefix(run_id)))]

    def trim_history(self, limit: HistoryLimit) -> int:
        """Drop this owner's runs (and their changes) beyond the newest ``limit.runs`` or
        older than ``limit.days``; returns how many runs went."""
        cutoff = time.time() - limit.days * 86400
        runs = [items.decode(item) for item in self._query("run#", newest_first=True)]
        keep = max(limit.runs, 1)
        doomed = [r["id"] for index, r in enumerate(runs)
                  if index >= keep or r["started_at"] < cutoff]
        for run_id in doomed:
            keys = [item["sk"]["S"] for item in self._query(items.change_prefix(run_id),
                                                            keys_only=True)]
            # Changes first: a crash half-way leaves a run without some changes, never
            # changes of no run.
            self._write([self._delete(sk) for sk in [*keys, items.run_sk(run_id)]])
        return len(doomed)

    # --- last status ----------------------------------------------------------------------

    def put_statuses(self, rows: list[StatusRow], run_id: int | None, replace_all: bool) -> None:
        writes = []
        for s in rows:
            data = {"logical_id": s.logical_id, "type": s.type, "physical_id": s.physical_id,
                    "status": s.status, "action": s.action, "blocked": s.blocked,
                    "reason": items.cut_reason(s.reason), "diff": items.fit_diff(s.diff),
                    "revision": s.revision, "run_id": run_id, "observed_at": s.observed_at}
            writes.append(_put(self.table, items.encode(
                self._pk, f"status#{s.logical_id}", data, f"the status of {s.logical_id}")))
        if replace_all:
            kept = {f"status#{s.logical_id}" for s in rows}
            writes += [self._delete(item["sk"]["S"])
                       for item in self._query("status#", keys_only=True)
                       if item["sk"]["S"] not in kept]
        self._write(writes)

    def drop_statuses(self, logical_ids: list[str]) -> None:
        self._write([self._delete(f"status#{lid}") for lid in logical_ids])

    def statuses(self) -> list[StatusRow]:
        rows = [items.decode(item) for item in self._query("status#")]
        return sorted((StatusRow(d["logical_id"], d["type"], d.get("physical_id"), d["status"],
                                 d["action"], bool(d["blocked"]), d.get("reason"),
                                 d.get("diff", []), d.get("revision"), d["observed_at"])
                       for d in rows), key=lambda s: s.logical_id)

    # --- small key/value facts (revisions, last errors, outputs) --------------------------

    def get_meta(self, key: str) -> str | None:
        item = self._get(f"meta#{key}")
        return None if item is None else str(items.decode(item)["value"])

    def set_meta(self, key: str, value: str) -> None:
        item = items.encode(self._pk, f"meta#{key}", {"value": value}, f"the value of {key}")
        self._write([_put(self.table, item)], register="meta")

    def meta_of_owners(self, key: str) -> dict[str, str]:
        """``key`` for every owner of this table (the outputs other trees export)."""
        owners = [item["sk"]["S"] for item in self._query_pk(items.OWNERS_PK, "", False)]
        keys = [_key(items.owner_pk(o), f"meta#{key}") for o in owners]
        found: dict[str, str] = {}
        for start in range(0, len(keys), 100):
            request = {self.table: {"Keys": keys[start:start + 100], "ConsistentRead": True}}
            while request:
                reply = self.client.batch_get_item(RequestItems=request)
                for item in reply["Responses"].get(self.table, []):
                    found[item["pk"]["S"].removeprefix("owner#")] = str(
                        items.decode(item)["value"])
                request = reply.get("UnprocessedKeys") or {}
        return dict(sorted(found.items()))

    def owners(self) -> list[str]:
        """Owners with an inventory or runs here (as SQLite: not those with metadata only)."""
        return [item["sk"]["S"] for item in self._query_pk(items.OWNERS_PK, "", False)
                if "data" in item]

    # --- DynamoDB calls -------------------------------------------------------------------

    def _register(self, flag: str | None) -> list[dict[str, Any]]:
        """The owner-index update the first write of this kind carries (none after that)."""
        if flag is None or flag in self._registered:
            return []
        return [{"Update": {"TableName": self.table, "Key": _key(items.OWNERS_PK, self.owner),
                            "UpdateExpression": "SET #f = :t",
                            "ExpressionAttributeNames": {"#f": flag},
                            "ExpressionAttributeValues": {":t": {"BOOL": True}}}}]

    def _delete(self, sk: str) -> dict[str, Any]:
        return {"Delete": {"TableName": self.table, "Key": _key(self._pk, sk)}}

    def _get(self, sk: str) -> dict[str, Any] | None:
        reply = self.client.get_item(TableName=self.table, Key=_key(self._pk, sk),
                                     ConsistentRead=True)
        return reply.get("Item")

    def _query(self, prefix: str, newest_first: bool = False, limit: int | None = None,
               keys_only: bool = False) -> list[dict[str, Any]]:
        return list(self._query_pk(self._pk, prefix, newest_first, limit, keys_only))

    def _query_pk(self, pk: str, prefix: str, newest_first: bool, limit: int | None = None,
                  keys_only: bool = False) -> Iterator[dict[str, Any]]:
        args: dict[str, Any] = {
            "TableName": self.table, "ConsistentRead": True,
            "ScanIndexForward": not newest_first,
            "KeyConditionExpression": "pk = :pk" + (" AND begins_with(sk, :p)" if prefix else ""),
            "ExpressionAttributeValues": {":pk": {"S": pk},
                                          **({":p": {"S": prefix}} if prefix else {})}}
        if keys_only:
            args["ProjectionExpression"] = "pk, sk"
        left = limit
        while True:
            if left is not None:
                args["Limit"] = left
            reply = self.client.query(**args)
            yield from reply.get("Items", [])
            if left is not None:
                left -= len(reply.get("Items", []))
                if left <= 0:
                    return
            if "LastEvaluatedKey" not in reply:
                return
            args["ExclusiveStartKey"] = reply["LastEvaluatedKey"]

    def _write(self, writes: list[dict[str, Any]], register: str | None = None) -> None:
        """Carry out ``writes`` in transactions of at most 100 items and 4 MB, each fenced by
        the lease when one is attached (then its ConditionCheck takes one of the places).
        ``register`` flags this owner in the owners' index with the first such write."""
        writes = [*writes, *self._register(register)]
        if not writes:
            return
        lease = self.lease
        room = items.TRANSACTION_ITEMS - (1 if lease is not None else 0)
        batch: list[dict[str, Any]] = []
        size = 0
        for write in writes:
            write_size = _size(write)
            if batch and (len(batch) >= room or size + write_size > items.TRANSACTION_BYTES):
                self._transact(batch, lease)
                batch, size = [], 0
            batch.append(write)
            size += write_size
        self._transact(batch, lease)
        if register is not None:
            self._registered.add(register)

    def _transact(self, batch: list[dict[str, Any]], lease: Lease | None) -> None:
        if lease is None and len(batch) == 1 and "Put" in batch[0]:
            self.client.put_item(**batch[0]["Put"])  # half the cost of a transaction
            return
        for attempt in range(1, _TRANSACTION_TRIES + 1):
            fence = [lease.condition_check()] if lease is not None else []  # Fenced if lost
            try:
                self.client.transact_write_items(TransactItems=[*fence, *batch])
                return
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code", "None") for r in
                           exc.response.get("CancellationReasons", [])]
                if fence and reasons and reasons[0] == "ConditionalCheckFailed":
                    assert lease is not None
                    lease.deposed()
                    raise Fenced(f"the lease of owner {self.owner} in table {self.table} is "
                                 f"held by another process now: nothing more is written "
                                 f"by {lease.holder}") from None
                if attempt == _TRANSACTION_TRIES or not set(reasons) & _RETRY_REASONS:
                    raise ReconcilerError(f"state table {self.table}: write cancelled "
                                          f"({', '.join(reasons)})") from None
                time.sleep(0.05 * attempt)  # another writer on the same item, briefly


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _put(table: str, item: dict[str, Any]) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": item}}


def _size(write: dict[str, Any]) -> int:
    (body,) = write.values()
    return items.size_of(body.get("Item") or body["Key"])


def _run(d: dict[str, Any]) -> dict[str, Any]:
    return {"id": d["id"], "command": d["command"], "revision": d.get("revision"),
            "started_at": d["started_at"], "finished_at": d.get("finished_at"),
            "result": d.get("result"), "summary": d.get("summary") or {}}


def table_exists(location: str) -> bool:
    """Whether the table of ``dynamodb://TABLE`` exists (nothing is created)."""
    clients = AwsClients()
    return dynamodb_table.describe(clients.client("dynamodb"),
                                   dynamodb_table.table_name(location)) is not None
