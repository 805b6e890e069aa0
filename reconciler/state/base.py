"""What every state store holds, and the interface the engine and the worker use.

Two stores implement it: SQLite in a directory (the default, one host) and DynamoDB
(several workers of one owner, one of them active under a lease). A store is scoped to
one owner: several trees may share a store, each under its own ``--owner``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from reconciler.errors import ReconcilerError

# Runs kept in the history by default (and at most this many days): --history-keep.
DEFAULT_HISTORY_RUNS = 1000
DEFAULT_HISTORY_DAYS = 90.0


class Fenced(ReconcilerError):
    """This process no longer holds the lease: another worker took over. Nothing more
    may be written to the store or applied to AWS."""


@dataclass
class InventoryRow:
    logical_id: str
    type: str
    physical_id: str | None
    owner: str
    revision: str | None
    state: str
    deletion_policy: str
    mode: str = "enforce"
    properties: dict[str, Any] = field(default_factory=dict)
    depends_on: list[str] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        return self.state == "pending-create"


@dataclass
class StatusRow:
    logical_id: str
    type: str
    physical_id: str | None
    status: str
    action: str
    blocked: bool
    reason: str | None
    diff: list[dict[str, Any]]
    revision: str | None
    observed_at: float


@dataclass(frozen=True)
class HistoryLimit:
    """Runs older than ``days`` or beyond the newest ``runs`` are trimmed."""

    runs: int = DEFAULT_HISTORY_RUNS
    days: float = DEFAULT_HISTORY_DAYS


class Store(Protocol):
    owner: str
    location: str  # for messages: the file or the table

    def close(self) -> None: ...

    def inventory(self) -> dict[str, InventoryRow]: ...
    def put_inventory(self, row: InventoryRow) -> None: ...
    def drop_inventory(self, logical_id: str) -> None: ...

    def start_run(self, command: str, revision: str | None) -> int: ...
    def finish_run(self, run_id: int, result: str, summary: dict[str, Any]) -> None: ...
    def record_change(self, run_id: int, logical_id: str, type_name: str, action: str,
                      result: str, reason: str | None, diff: list[dict[str, Any]]) -> None: ...
    def runs(self, limit: int = 20) -> list[dict[str, Any]]: ...
    def changes(self, run_id: int) -> list[dict[str, Any]]: ...
    def trim_history(self, limit: HistoryLimit) -> int: ...

    def put_statuses(self, rows: list[StatusRow], run_id: int | None,
                     replace_all: bool) -> None: ...
    def drop_statuses(self, logical_ids: list[str]) -> None: ...
    def statuses(self) -> list[StatusRow]: ...

    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def meta_of_owners(self, key: str) -> dict[str, str]: ...
    def owners(self) -> list[str]: ...
