"""The SQLite store's schema, its migration from older versions, and the check at open."""

from __future__ import annotations

import sqlite3

from reconciler.errors import ReconcilerError

# 1: one tree per store. 2: every row scoped by owner, so that trees share a store.
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    owner TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (owner, key));
CREATE TABLE IF NOT EXISTS inventory (
    owner TEXT NOT NULL,
    logical_id TEXT NOT NULL,
    type TEXT NOT NULL,
    physical_id TEXT,
    revision TEXT,
    state TEXT NOT NULL,            -- 'pending-create' (intent recorded) or 'present'
    deletion_policy TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT 'enforce',
    properties TEXT NOT NULL DEFAULT '{}',   -- last applied properties, secrets masked
    depends_on TEXT NOT NULL DEFAULT '[]',
    updated_at REAL NOT NULL,
    PRIMARY KEY (owner, logical_id)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL,
    command TEXT NOT NULL,
    revision TEXT,
    started_at REAL NOT NULL,
    finished_at REAL,
    result TEXT,
    summary TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_owner ON runs(owner, id);
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
    owner TEXT NOT NULL,
    logical_id TEXT NOT NULL,
    type TEXT NOT NULL,
    physical_id TEXT,
    status TEXT NOT NULL,
    action TEXT NOT NULL,
    blocked INTEGER NOT NULL,
    reason TEXT,
    diff TEXT NOT NULL DEFAULT '[]',
    revision TEXT,
    run_id INTEGER,
    observed_at REAL NOT NULL,
    PRIMARY KEY (owner, logical_id)
);
"""


def prepare(db: sqlite3.Connection, owner: str) -> None:
    """Check the file, bring its schema to this version, refuse a newer one. A damaged
    file raises sqlite3.DatabaseError (the caller reports it and can rebuild)."""
    check = db.execute("PRAGMA quick_check").fetchone()
    if check is None or check[0] != "ok":
        raise sqlite3.DatabaseError(f"integrity check: {check[0] if check else 'no answer'}")
    version = _version(db)
    if version is not None and version > SCHEMA_VERSION:
        raise ReconcilerError(
            f"state store written by a newer reconciler (schema {version}, this one knows "
            f"{SCHEMA_VERSION})")
    db.execute("BEGIN IMMEDIATE")
    try:
        if version == 1:
            _from_v1(db, owner)
        _create(db)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('', 'schema_version', ?)",
                   (str(SCHEMA_VERSION),))
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _version(db: sqlite3.Connection) -> int | None:
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "meta" not in tables:
        return None
    columns = {r[1] for r in db.execute("PRAGMA table_info(meta)")}
    if "owner" not in columns:
        return 1
    row = db.execute("SELECT value FROM meta WHERE owner='' AND key='schema_version'"
                     ).fetchone()
    return None if row is None else int(row[0])


def _from_v1(db: sqlite3.Connection, opener: str) -> None:
    """A version 1 store held one tree: its rows become its owner's (the owner recorded in
    its inventory, else the owner opening it)."""
    owners = [r[0] for r in db.execute("SELECT DISTINCT owner FROM inventory")]
    owner = owners[0] if len(owners) == 1 else opener
    for table in ("meta", "inventory", "runs", "resource_status"):
        db.execute(f"ALTER TABLE {table} RENAME TO {table}_v1")
    db.execute("DROP INDEX IF EXISTS changes_by_run")
    _create(db)
    db.execute("INSERT INTO meta SELECT ?, key, value FROM meta_v1 WHERE key<>'schema_version'",
               (owner,))
    db.execute("INSERT INTO inventory SELECT ?, logical_id, type, physical_id, revision, state,"
               " deletion_policy, mode, properties, depends_on, updated_at FROM inventory_v1",
               (owner,))
    db.execute("INSERT INTO runs SELECT id, ?, command, revision, started_at, finished_at,"
               " result, summary FROM runs_v1", (owner,))
    db.execute("INSERT INTO resource_status SELECT ?, * FROM resource_status_v1", (owner,))
    for table in ("meta", "inventory", "runs", "resource_status"):
        db.execute(f"DROP TABLE {table}_v1")


def _create(db: sqlite3.Connection) -> None:
    # Statement by statement: executescript would commit the transaction this runs in.
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
