"""The default state store: one SQLite file in the state directory holding, for each owner
that uses the directory, the inventory, the run history and the last status.

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
from pathlib import Path
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.state.base import HistoryLimit, InventoryRow, StatusRow
from reconciler.state.sqlite_schema import SCHEMA_VERSION, prepare
from reconciler.state.sqlite_wal import in_use, wal_damage

__all__ = ["InventoryRow", "StateStore", "StatusRow"]


class StateStore:
    """SQLite under the state directory, scoped to one owner; safe to share between
    threads (one lock). WAL lets ``status`` and ``plan`` read while a worker writes, and the
    busy timeout lets two writers take turns instead of failing."""

    FILE_NAME = "state.sqlite"

    def __init__(self, directory: str | Path, owner: str = "reconciler"):
        self.directory = Path(directory)
        self.owner = owner
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ReconcilerError(f"state directory {self.directory}: {exc.strerror}") from exc
        self.path = self.directory / self.FILE_NAME
        self.location = str(self.path)
        self._lock = threading.RLock()
        damage = file_damage(self.path)
        if damage is not None:
            raise CorruptStore(self.path, damage)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None,
                                       timeout=30)
            self._db.execute("PRAGMA busy_timeout=30000")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            prepare(self._db, owner)
            self._check_rows()
        except (sqlite3.DatabaseError, ValueError) as exc:
            self._db.close()
            raise CorruptStore(self.path, str(exc)) from exc
        except ReconcilerError:
            self._db.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _check_rows(self) -> None:
        """Damage inside a value passes SQLite's check: every inventory row must parse."""
        for properties, depends_on in self._db.execute(
                "SELECT properties, depends_on FROM inventory"):
            json.loads(properties)
            json.loads(depends_on)

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

    def _rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, (self.owner, *args)).fetchall()

    # --- inventory ------------------------------------------------------------------------------

    def inventory(self) -> dict[str, InventoryRow]:
        rows = self._rows(
            "SELECT logical_id, type, physical_id, owner, revision, state, deletion_policy,"
            " mode, properties, depends_on FROM inventory WHERE owner=? ORDER BY logical_id")
        return {
            r[0]: InventoryRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
                               json.loads(r[8]), json.loads(r[9]))
            for r in rows
        }

    def put_inventory(self, row: InventoryRow) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO inventory VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (self.owner, row.logical_id, row.type, row.physical_id, row.revision,
                 row.state, row.deletion_policy, row.mode,
                 json.dumps(row.properties, default=str), json.dumps(row.depends_on),
                 time.time()),
            )

    def drop_inventory(self, logical_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM inventory WHERE owner=? AND logical_id=?",
                       (self.owner, logical_id))

    # --- runs and change history ----------------------------------------------------------------

    def start_run(self, command: str, revision: str | None) -> int:
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO runs (owner, command, revision, started_at) VALUES (?,?,?,?)",
                (self.owner, command, revision, time.time()))
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
        rows = self._rows(
            "SELECT id, command, revision, started_at, finished_at, result, summary"
            " FROM runs WHERE owner=? ORDER BY id DESC LIMIT ?", limit)
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

    def trim_history(self, limit: HistoryLimit) -> int:
        """Drop this owner's runs (and their changes) beyond the newest ``limit.runs`` or
        older than ``limit.days``; returns how many runs went."""
        cutoff = time.time() - limit.days * 86400
        with self._tx() as db:
            doomed = [r[0] for r in db.execute(
                "SELECT id FROM runs WHERE owner=? AND (started_at < ? OR id NOT IN"
                " (SELECT id FROM runs WHERE owner=? ORDER BY id DESC LIMIT ?))",
                (self.owner, cutoff, self.owner, max(limit.runs, 1))).fetchall()]
            db.executemany("DELETE FROM changes WHERE run_id=?", [(i,) for i in doomed])
            db.executemany("DELETE FROM runs WHERE id=?", [(i,) for i in doomed])
        return len(doomed)

    # --- last status ----------------------------------------------------------------------------

    def put_statuses(self, rows: list[StatusRow], run_id: int | None, replace_all: bool) -> None:
        with self._tx() as db:
            if replace_all:
                db.execute("DELETE FROM resource_status WHERE owner=?", (self.owner,))
            for s in rows:
                db.execute(
                    "INSERT OR REPLACE INTO resource_status VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (self.owner, s.logical_id, s.type, s.physical_id, s.status, s.action,
                     int(s.blocked), s.reason, json.dumps(s.diff, default=str), s.revision,
                     run_id, s.observed_at))

    def drop_statuses(self, logical_ids: list[str]) -> None:
        with self._tx() as db:
            db.executemany("DELETE FROM resource_status WHERE owner=? AND logical_id=?",
                           [(self.owner, lid) for lid in logical_ids])

    def statuses(self) -> list[StatusRow]:
        rows = self._rows(
            "SELECT logical_id, type, physical_id, status, action, blocked, reason, diff,"
            " revision, observed_at FROM resource_status WHERE owner=? ORDER BY logical_id")
        return [StatusRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], json.loads(r[7]),
                          r[8], r[9]) for r in rows]

    # --- small key/value facts (revisions, last errors, outputs) ------------------------------

    def get_meta(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM meta WHERE owner=? AND key=?", key)
        return None if not rows else str(rows[0][0])

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?,?,?)", (self.owner, key, value))

    def meta_of_owners(self, key: str) -> dict[str, str]:
        """``key`` for every owner of this store (the outputs other trees export)."""
        with self._lock:
            rows = self._db.execute("SELECT owner, value FROM meta WHERE key=? AND owner<>''",
                                    (key,)).fetchall()
        return {str(owner): str(value) for owner, value in rows}

    def owners(self) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT owner FROM runs UNION SELECT DISTINCT"
                                    " owner FROM inventory ORDER BY 1").fetchall()
        return [str(r[0]) for r in rows]


class CorruptStore(ReconcilerError):
    def __init__(self, path: Path, detail: str):
        super().__init__(f"state store {path} is damaged ({detail})")
        self.path = path
        self.detail = detail


def file_damage(path: Path) -> str | None:
    """Damage SQLite would not report: an emptied file, a write-ahead log it would drop."""
    wal = Path(f"{path}-wal")
    if path.exists() and path.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size):
        return "the file is empty: truncated"
    if in_use(path):
        return None  # another process writes the log now: it is not ours to judge
    return wal_damage(path)


__all__ += ["CorruptStore", "SCHEMA_VERSION"]
