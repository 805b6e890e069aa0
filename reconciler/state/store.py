"""The state store: one SQLite file holding the inventory, run history and last status.

Every AWS change is followed by a committed write, so a process killed at any
moment loses at most the bookkeeping of the one call in flight, and the
create intent written before that call lets the next run find the resource.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.errors import ReconcilerError

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inventory (
    logical_id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    physical_id TEXT,
    owner TEXT NOT NULL,
    revision TEXT,
    state TEXT NOT NULL,            -- 'pending-create' (intent recorded) or 'present'
    deletion_policy TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT 'enforce',
    properties TEXT NOT NULL DEFAULT '{}',   -- last applied properties, secrets masked
    depends_on TEXT NOT NULL DEFAULT '[]',
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    command TEXT NOT NULL,
    revision TEXT,
    started_at REAL NOT NULL,
    finished_at REAL,
    result TEXT,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS changes (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    logical_id TEXT NOT NULL,
    type TEXT NOT NULL,
    action TEXT NOT NULL,
    result TEXT NOT NULL,
    reason TEXT,
    diff TEXT NOT NULL DEFAULT '[]',
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_by_run ON changes(run_id);
CREATE TABLE IF NOT EXISTS resource_status (
    logical_id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    physical_id TEXT,
    status TEXT NOT NULL,
    action TEXT NOT NULL,
    blocked INTEGER NOT NULL,
    reason TEXT,
    diff TEXT NOT NULL DEFAULT '[]',
    revision TEXT,
    run_id INTEGER,
    observed_at REAL NOT NULL
);
"""


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


class StateStore:
    """SQLite under the state directory; safe to share between threads (one lock)."""

    FILE_NAME = "state.sqlite"

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ReconcilerError(f"state directory {self.directory}: {exc.strerror}") from exc
        self.path = self.directory / self.FILE_NAME
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ReconcilerError(f"state store {self.path}: {exc}") from exc
        self._check_version()

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)",
                             (str(SCHEMA_VERSION),))
        elif int(row[0]) > SCHEMA_VERSION:
            raise ReconcilerError(
                f"state store {self.path} was written by a newer reconciler "
                f"(schema {row[0]}, this one knows {SCHEMA_VERSION})")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # --- inventory ------------------------------------------------------------------------------

    def inventory(self) -> dict[str, InventoryRow]:
        with self._lock:
            rows = self._db.execute(
                "SELECT logical_id, type, physical_id, owner, revision, state, deletion_policy,"
                " mode, properties, depends_on FROM inventory ORDER BY logical_id").fetchall()
        return {
            r[0]: InventoryRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
                               json.loads(r[8]), json.loads(r[9]))
            for r in rows
        }

    def put_inventory(self, row: InventoryRow) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO inventory VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (row.logical_id, row.type, row.physical_id, row.owner, row.revision, row.state,
                 row.deletion_policy, row.mode, json.dumps(row.properties, default=str),
                 json.dumps(row.depends_on), time.time()),
            )

    def drop_inventory(self, logical_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM inventory WHERE logical_id=?", (logical_id,))

    # --- runs and change history ----------------------------------------------------------------

    def start_run(self, command: str, revision: str | None) -> int:
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO runs (command, revision, started_at) VALUES (?,?,?)",
                (command, revision, time.time()))
            return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, result: str, summary: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute("UPDATE runs SET finished_at=?, result=?, summary=? WHERE id=?",
                       (time.time(), result, json.dumps(summary), run_id))

    def record_change(self, run_id: int, logical_id: str, type_name: str, action: str,
                      result: str, reason: str | None, diff: list[dict[str, Any]]) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO changes VALUES (?,?,?,?,?,?,?,?)",
                       (run_id, logical_id, type_name, action, result, reason,
                        json.dumps(diff, default=str), time.time()))

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, command, revision, started_at, finished_at, result, summary"
                " FROM runs ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [
            {"id": r[0], "command": r[1], "revision": r[2], "started_at": r[3],
             "finished_at": r[4], "result": r[5], "summary": json.loads(r[6] or "{}")}
            for r in rows
        ]

    def changes(self, run_id: int) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT logical_id, type, action, result, reason, diff FROM changes"
                " WHERE run_id=? ORDER BY rowid", (run_id,)).fetchall()
        return [{"resource": r[0], "type": r[1], "action": r[2], "result": r[3],
                 "reason": r[4], "diff": json.loads(r[5])} for r in rows]

    # --- last status ----------------------------------------------------------------------------

    def put_statuses(self, rows: list[StatusRow], run_id: int | None, replace_all: bool) -> None:
        with self._tx() as db:
            if replace_all:
                db.execute("DELETE FROM resource_status")
            for s in rows:
                db.execute(
                    "INSERT OR REPLACE INTO resource_status VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (s.logical_id, s.type, s.physical_id, s.status, s.action, int(s.blocked),
                     s.reason, json.dumps(s.diff, default=str), s.revision, run_id,
                     s.observed_at))

    def drop_statuses(self, logical_ids: list[str]) -> None:
        with self._tx() as db:
            db.executemany("DELETE FROM resource_status WHERE logical_id=?",
                           [(lid,) for lid in logical_ids])

    def statuses(self) -> list[StatusRow]:
        with self._lock:
            rows = self._db.execute(
                "SELECT logical_id, type, physical_id, status, action, blocked, reason, diff,"
                " revision, observed_at FROM resource_status ORDER BY logical_id").fetchall()
        return [StatusRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], json.loads(r[7]),
                          r[8], r[9]) for r in rows]

    # --- small key/value facts (revisions, last errors) ---------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, value))
