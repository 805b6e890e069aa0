"""The SQLite store on real files: owners sharing one store, the migration from the
one-tree schema, history trimming, and a damaged file named as such."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from reconciler.state import dynamodb_items as items
from reconciler.state.base import HistoryLimit, InventoryRow, StatusRow, Store
from reconciler.state.open import open_store
from reconciler.state.store import SCHEMA_VERSION, CorruptStore, StateStore


def _row(lid: str, physical: str) -> InventoryRow:
    return InventoryRow(lid, "AWS::S3::Bucket", physical, "x", "rev1", "present", "Delete")


@pytest.fixture(params=["sqlite", "dynamodb"])
def store_at(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], Store]:
    """Either store, opened for an owner: SQLite in a directory, or a table on moto."""
    if request.param == "sqlite":
        return lambda owner: StateStore(tmp_path, owner)
    request.getfixturevalue("aws")
    return lambda owner: open_store("dynamodb://reconciler-state", owner)


def test_owners_sharing_a_store_see_only_their_own(store_at: Callable[[str], Store]) -> None:
    a, b = store_at("team-a"), store_at("team-b")
    a.put_inventory(_row("Bucket", "a-bucket"))
    b.put_inventory(_row("Bucket", "b-bucket"))
    a.set_meta("outputs", '{"Name": {"value": "a"}}')
    b.set_meta("applied_revision", "r2")
    run = b.start_run("apply", "r2")
    b.put_statuses([StatusRow("Bucket", "AWS::S3::Bucket", "b-bucket", "InSync", "none",
                              False, None, [], "r2", time.time())], run, replace_all=True)
    a.put_statuses([], None, replace_all=True)  # replacing a's statuses leaves b's alone

    assert a.inventory()["Bucket"].physical_id == "a-bucket"
    assert b.inventory()["Bucket"].physical_id == "b-bucket"
    assert b.inventory()["Bucket"].owner == "team-b"
    assert a.get_meta("applied_revision") is None and b.get_meta("outputs") is None
    assert [s.logical_id for s in b.statuses()] == ["Bucket"] and a.statuses() == []
    assert a.runs() == [] and [r["id"] for r in b.runs()] == [run]
    assert a.meta_of_owners("outputs") == {"team-a": '{"Name": {"value": "a"}}'}
    assert a.owners() == ["team-a", "team-b"]
    a.drop_inventory("Bucket")
    assert a.inventory() == {} and "Bucket" in b.inventory()


_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE inventory (logical_id TEXT PRIMARY KEY, type TEXT NOT NULL, physical_id TEXT,
    owner TEXT NOT NULL, revision TEXT, state TEXT NOT NULL, deletion_policy TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT 'enforce', properties TEXT NOT NULL DEFAULT '{}',
    depends_on TEXT NOT NULL DEFAULT '[]', updated_at REAL NOT NULL);
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, command TEXT NOT NULL, revision TEXT,
    started_at REAL NOT NULL, finished_at REAL, result TEXT, summary TEXT);
CREATE TABLE changes (run_id INTEGER NOT NULL REFERENCES runs(id), logical_id TEXT NOT NULL,
    type TEXT NOT NULL, action TEXT NOT NULL, result TEXT NOT NULL, reason TEXT,
    diff TEXT NOT NULL DEFAULT '[]', at REAL NOT NULL);
CREATE INDEX changes_by_run ON changes(run_id);
CREATE TABLE resource_status (logical_id TEXT PRIMARY KEY, type TEXT NOT NULL,
    physical_id TEXT, status TEXT NOT NULL, action TEXT NOT NULL, blocked INTEGER NOT NULL,
    reason TEXT, diff TEXT NOT NULL DEFAULT '[]', revision TEXT, run_id INTEGER,
    observed_at REAL NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1'), ('applied_revision', 'abc');
INSERT INTO inventory VALUES ('Logs', 'AWS::Logs::LogGroup', '/app', 'prod', 'abc', 'present',
    'Delete', 'enforce', '{"RetentionInDays": 7}', '[]', 1.0);
INSERT INTO runs VALUES (1, 'apply', 'abc', 1.0, 2.0, 'success', '{}');
INSERT INTO changes VALUES (1, 'Logs', 'AWS::Logs::LogGroup', 'create', 'success', NULL,
    '[]', 1.5);
INSERT INTO resource_status VALUES ('Logs', 'AWS::Logs::LogGroup', '/app', 'InSync', 'none',
    0, NULL, '[]', 'abc', 1, 2.0);
"""


def test_a_one_tree_store_becomes_its_owners(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "state.sqlite") as db:
        db.executescript(_V1)
    store = StateStore(tmp_path, "someone-else")  # the inventory says whose it was
    assert store.inventory() == {}
    store.close()

    prod = StateStore(tmp_path, "prod")
    row = prod.inventory()["Logs"]
    assert (row.physical_id, row.properties, row.owner) == ("/app", {"RetentionInDays": 7},
                                                            "prod")
    assert prod.get_meta("applied_revision") == "abc"
    assert [r["id"] for r in prod.runs()] == [1]
    assert prod.changes(1)[0]["action"] == "create"
    assert prod.statuses()[0].status == "InSync"
    with sqlite3.connect(tmp_path / "state.sqlite") as db:
        version = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchall()
    assert version == [(str(SCHEMA_VERSION),)]


def test_a_store_from_a_newer_reconciler_is_refused(tmp_path: Path) -> None:
    StateStore(tmp_path).close()
    with sqlite3.connect(tmp_path / "state.sqlite") as db:
        db.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    with pytest.raises(Exception, match="newer reconciler .schema 99"):
        StateStore(tmp_path)


def _age_run(store: Store, run_id: int, days: float) -> None:
    """Make a recorded run ``days`` older, behind the store's back."""
    if isinstance(store, StateStore):
        with sqlite3.connect(store.path) as db:
            db.execute("UPDATE runs SET started_at=started_at - ? WHERE id=?",
                       (days * 86400, run_id))
        return
    client = boto3.client("dynamodb")
    key = {"pk": {"S": items.owner_pk(store.owner)}, "sk": {"S": items.run_sk(run_id)}}
    table = store.table  # type: ignore[attr-defined]
    data = items.decode(client.get_item(TableName=table, Key=key)["Item"])
    data["started_at"] -= days * 86400
    client.put_item(TableName=table, Item=items.encode(key["pk"]["S"], key["sk"]["S"], data,
                                                       "run"))


def test_history_is_trimmed_by_count_and_age(store_at: Callable[[str], Store]) -> None:
    store, other = store_at("a"), store_at("b")
    ids = [store.start_run("plan", None) for _ in range(5)]
    for run_id in ids:
        store.record_change(run_id, "X", "AWS::S3::Bucket", "none", "success", None, [])
    kept_elsewhere = other.start_run("plan", None)
    assert store.trim_history(HistoryLimit(runs=2, days=30)) == 3
    assert [r["id"] for r in store.runs()] == ids[:1:-1][:2]
    assert store.changes(ids[0]) == [] and len(store.changes(ids[-1])) == 1
    assert [r["id"] for r in other.runs()] == [kept_elsewhere]
    _age_run(store, ids[-2], days=40)
    assert store.trim_history(HistoryLimit(runs=10, days=30)) == 1
    assert [r["id"] for r in store.runs()] == [ids[-1]]


def test_a_damaged_file_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "state.sqlite").write_bytes(b"this is not a database" * 200)
    with pytest.raises(CorruptStore, match=r"state.sqlite is damaged"):
        StateStore(tmp_path)


def test_writers_in_two_processes_take_turns(tmp_path: Path) -> None:
    """A second process writing while this one holds a write transaction waits (the busy
    timeout) instead of failing with 'database is locked'."""
    store = StateStore(tmp_path, "a")
    script = ("import sys; from reconciler.state.store import StateStore; "
              "s = StateStore(sys.argv[1], 'b'); s.set_meta('k', 'v'); print('written')")
    with store._tx():  # hold the write lock while the other process tries
        child = subprocess.Popen(["python", "-c", script, str(tmp_path)],
                                 stdout=subprocess.PIPE, text=True)
        time.sleep(0.5)
        assert child.poll() is None
    out, _ = child.communicate(timeout=30)
    assert child.returncode == 0 and out.strip() == "written"
    assert StateStore(tmp_path, "b").get_meta("k") == "v"


def test_apply_keeps_only_the_history_asked_for(stack) -> None:  # type: ignore[no-untyped-def]
    stack.write("logs.yaml", "Resources:\n  Logs:\n    Type: AWS::Logs::LogGroup\n"
                "    Properties: {RetentionInDays: 7}\n")
    for _ in range(3):
        assert stack.apply("--history-keep", "2").code == 0
    store = StateStore(stack.state)
    assert len(store.runs(limit=10)) == 2
    with pytest.raises(SystemExit) as refused:
        stack.apply("--history-keep", "2,forever")
    assert refused.value.code == 1  # a usage error, like any other error
    assert "'forever' is neither a number of runs" in stack.capsys.readouterr().err
