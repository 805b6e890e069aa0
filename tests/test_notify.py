"""Notifications (``--notify``): what is told and when (real SQLite store), and how it is
delivered (a real HTTP receiver on loopback). Plans here are built as values; the worker
test in test_notify_worker.py drives the whole path against the moto server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import structlog
from structlog.testing import capture_logs

from reconciler.daemon.metrics import Metrics
from reconciler.daemon.notify import Delivery, Notifications, check_url, retry_after
from reconciler.daemon.notify_format import as_slack, is_slack, masked_url
from reconciler.engine.model import MASK, Action, Change, DiffEntry, Plan, Result, Status
from reconciler.errors import ReconcilerError
from reconciler.state.store import StateStore
from tests.notify_receiver import TOKEN, Receiver

FAST = Delivery(attempts=3, first_delay=0.01, max_delay=0.05, timeout=5, queue_size=50)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    s = StateStore(tmp_path / "state")
    yield s
    s.close()


def notifier(receiver: Receiver, store: StateStore, metrics: Metrics | None = None,
             delivery: Delivery = FAST, urls: tuple[str, ...] | None = None) -> Notifications:
    return Notifications(urls or (receiver.url,), store, metrics or Metrics(),
                         structlog.get_logger(), "team", delivery)


def drift(lid: str = "Data", status: str = "Suspended", blocked: bool = True) -> Change:
    return Change(lid, "AWS::S3::Bucket", Status.DRIFTED, Action.UPDATE, blocked=blocked,
                  reason="mode detect: drift is reported, not corrected" if blocked else None,
                  diff=[DiffEntry("/VersioningConfiguration/Status", status, "Enabled")],
                  managed=True)


def in_sync(lid: str = "Data") -> Change:
    return Change(lid, "AWS::S3::Bucket", Status.IN_SYNC, managed=True)


def failing(lid: str = "Data") -> Change:
    return Change(lid, "AWS::S3::Bucket", Status.ERROR, reason="AccessDenied: s3:GetBucket")


def cycle(n: Notifications, *changes: Change, applied: bool = False, full: bool = True,
          from_git: frozenset[str] | None = frozenset(),
          secrets: frozenset[str] = frozenset()) -> None:
    """One reconcile as the worker reports it: planned, then (``applied``) the actionable
    changes succeeded."""
    plan = Plan(list(changes), revision="rev1")
    notes = n.cycle(full, from_git, secrets)
    notes.on_plan(plan)
    if applied:
        for change in changes:
            if change.actionable:
                change.result = Result.SUCCESS
    notes.finished(plan)


def sample(metrics: Metrics, result: str) -> float:
    value = metrics.registry.get_sample_value("reconciler_notifications_total",
                                              {"result": result})
    return float(value or 0)


def test_one_message_per_new_condition_and_none_on_a_repeat(receiver: Receiver,
                                                            store: StateStore) -> None:
    n = notifier(receiver, store)
    cycle(n, drift(status="Suspended"))
    cycle(n, drift(status="Suspended"))  # the same diff: already told
    cycle(n, drift(status="Disabled"))  # another diff: a new condition
    cycle(n, in_sync())
    cycle(n, failing())
    cycle(n, failing())
    cycle(n, in_sync())
    cycle(n, in_sync())
    n.close(10)  # delivers everything queued, in order
    assert receiver.events() == ["drift_detected", "drift_detected", "drift_cleared",
                                 "resource_failed", "resource_recovered"]
    bodies = receiver.bodies()
    assert bodies[0]["diff"] == [{"path": "/VersioningConfiguration/Status",
                                  "old": "Suspended", "new": "Enabled"}]
    assert bodies[1]["diff"][0]["old"] == "Disabled"
    assert bodies[3]["reason"] == "AccessDenied: s3:GetBucket"


def test_drift_corrected_in_the_same_cycle_tells_both_once(receiver: Receiver,
                                                           store: StateStore) -> None:
    n = notifier(receiver, store)
    cycle(n, drift(blocked=False), applied=True)
    cycle(n, in_sync())  # nothing left to tell
    cycle(n, drift(blocked=False), applied=True)  # drifted again later: told again
    n.close(10)
    assert receiver.events() == ["drift_detected", "drift_corrected"] * 2


def test_a_restart_does_not_tell_again(receiver: Receiver, tmp_path: Path) -> None:
    first = StateStore(tmp_path / "state")
    n = notifier(receiver, first)
    cycle(n, drift(), failing("Other"))
    n.close(10)
    first.close()
    second = StateStore(tmp_path / "state")
    try:
        n = notifier(receiver, second)
        cycle(n, drift(), failing("Other"))  # the same conditions: already told
        cycle(n, in_sync(), in_sync("Other"))
        n.close(10)
    finally:
        second.close()
    assert receiver.events() == ["drift_detected", "resource_failed", "drift_cleared",
                                 "resource_recovered"]


def test_a_push_is_not_drift_and_scoped_runs_keep_what_they_did_not_see(
        receiver: Receiver, store: StateStore) -> None:
    n = notifier(receiver, store)
    cycle(n, drift("Pushed", blocked=False), applied=True, from_git=frozenset({"Pushed"}))
    cycle(n, drift("Pushed", blocked=False), applied=True, from_git=None)  # parameters changed
    cycle(n, drift("Kept"))
    cycle(n, in_sync("Other"), full=False)  # Kept was not in this run: still drifted
    cycle(n, drift("Kept"))
    cycle(n, full=True)  # Kept is gone from tree and inventory: forgotten, nothing told
    cycle(n, drift("Kept"))
    n.close(10)
    assert receiver.events() == ["drift_detected", "drift_detected"]


def test_blocked_deletions_are_one_notice_per_guard_decision(receiver: Receiver,
                                                             store: StateStore) -> None:
    reason = "deletion guard: this revision deletes 3 of 4 resources (limit 1)"
    blocked = [Change(f"Old{i}", "AWS::S3::Bucket", Status.BLOCKED, Action.DELETE,
                      blocked=True, reason=reason) for i in range(3)]
    n = notifier(receiver, store)
    cycle(n, *blocked)
    cycle(n, *blocked)
    n.close(10)
    [body] = receiver.bodies()
    assert body["event"] == "deletion_blocked" and body["resource"] is None
    assert [r["resource"] for r in body["resources"]] == ["Old0", "Old1", "Old2"]
    assert body["reason"] == reason


def test_invalid_revisions_are_told_once_each_and_their_recovery(receiver: Receiver,
                                                                 store: StateStore) -> None:
    n = notifier(receiver, store)
    n.revision_invalid("bad1", ["desired/a.yaml:3: unknown property Foo"])
    n.revision_invalid("bad1", ["desired/a.yaml:3: unknown property Foo"])  # loaded again
    n.revision_invalid("bad2", ["desired/a.yaml:4: unknown property Bar"])
    n.revision_valid("good")
    n.revision_valid("good")
    n.close(10)
    assert receiver.events() == ["revision_invalid", "revision_invalid", "revision_recovered"]
    first = receiver.bodies()[0]
    assert first["revision"] == "bad1"
    assert first["errors"] == ["desired/a.yaml:3: unknown property Foo"]


def test_the_json_schema_is_stable(receiver: Receiver, store: StateStore) -> None:
    change = Change("Data", "AWS::S3::Bucket", Status.DRIFTED, Action.UPDATE,
                    diff=[DiffEntry("/VersioningConfiguration/Status", "Suspended",
                                    "Enabled")], managed=True,
                    changed_by={"principal": "arn:aws:iam::123456789012:user/mallory",
                                "event": "PutBucketVersioning", "time": "2024-05-01T10:00:00Z"})
    n = notifier(receiver, store)
    cycle(n, change)
    cycle(n, in_sync())
    n.close(10)
    detected, cleared = receiver.bodies()
    assert set(detected) == {"schema", "event", "summary", "owner", "revision", "time",
                             "resource", "type", "status", "action", "reason", "diff",
                             "changed_by", "resources", "errors"}
    assert set(cleared) == set(detected)
    assert detected["schema"] == "reconciler.notification/v1"
    assert (detected["owner"], detected["revision"], detected["status"],
            detected["action"]) == ("team", "rev1", "Drifted", "update")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", detected["time"])
    assert detected["summary"] == "Drift detected: Data (AWS::S3::Bucket)"
    assert detected["changed_by"]["principal"].endswith("user/mallory")
    assert cleared["changed_by"] is None and cleared["diff"] == []
    assert receiver.requests[0]["headers"]["Content-Type"] == "application/json"


def test_secrets_never_reach_a_payload(receiver: Receiver, store: StateStore) -> None:
    change = Change("Db", "AWS::RDS::DBCluster", Status.ERROR,
                    reason="InvalidParameterValue: password hush4417 is too short")
    masked = Change("Logs", "AWS::S3::Bucket", Status.DRIFTED, Action.UPDATE, blocked=True,
                    diff=[DiffEntry("/Tags/token", MASK, MASK)], managed=True)
    n = notifier(receiver, store)
    cycle(n, change, masked, secrets=frozenset({"hush4417"}))
    n.revision_invalid("bad", ["desired/db.yaml:9: MasterUserPassword hush4417 rejected"])
    n.close(10)
    assert len(receiver.requests) == 3
    for request in receiver.requests:
        assert b"hush4417" not in request["body"]
    assert receiver.bodies()[1]["diff"] == [{"path": "/Tags/token", "old": MASK, "new": MASK}]


def test_a_500_is_retried(receiver: Receiver, store: StateStore) -> None:
    metrics = Metrics()
    receiver.script.extend([(500, {}), (503, {})])
    n = notifier(receiver, store, metrics)
    cycle(n, drift())
    n.close(10)
    assert len(receiver.requests) == 3  # two refusals, then delivered
    assert len({r["body"] for r in receiver.requests}) == 1
    assert (sample(metrics, "sent"), sample(metrics, "failed")) == (1, 0)


def test_a_429_waits_as_long_as_retry_after_says(receiver: Receiver,
                                                 store: StateStore) -> None:
    # Backoff alone would wait a minute; the receiver asks for no wait at all.
    metrics = Metrics()
    slow = Delivery(attempts=3, first_delay=60, max_delay=60, timeout=5)
    receiver.script.append((429, {"Retry-After": "0"}))
    n = notifier(receiver, store, metrics, slow)
    cycle(n, drift())
    receiver.wait_for(2, timeout=20)
    n.close(10)
    assert sample(metrics, "sent") == 1


def test_retry_after_takes_seconds_or_a_date() -> None:
    assert retry_after("120") == 120
    assert retry_after(None) is None and retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 80 < (retry_after(later) or 0) <= 90


def test_gives_up_after_the_attempts_and_at_once_on_a_4xx(receiver: Receiver,
                                                          store: StateStore) -> None:
    metrics = Metrics()
    receiver.script.extend([(500, {})] * 3 + [(404, {})])
    n = notifier(receiver, store, metrics)
    with capture_logs() as logs:
        cycle(n, drift())
        cycle(n, failing("Other"))
        n.close(10)
    assert len(receiver.requests) == 4  # three tries of the first, one of the second
    assert (sample(metrics, "sent"), sample(metrics, "failed")) == (0, 2)
    failed = [e for e in logs if e["event"] == "notification failed"]
    assert [e["error"] for e in failed] == ["HTTP 500", "HTTP 404"]
    text = json.dumps(logs, default=str, ensure_ascii=False)
    assert TOKEN not in text and "query-secret" not in text
    assert f"http://127.0.0.1:{receiver.port}/..." in text


def test_a_hanging_receiver_neither_blocks_the_reconcile_nor_grows_memory(
        receiver: Receiver, store: StateStore) -> None:
    metrics = Metrics()
    bounded = Delivery(attempts=1, timeout=30, queue_size=10)
    receiver.hold.clear()
    n = notifier(receiver, store, metrics, bounded)
    cycle(n, drift("First"))
    receiver.wait_for(1)  # in flight, and the receiver does not answer
    cycle(n, *[drift(f"R{i}") for i in range(50)])
    # The cycle returned with the first notice still unanswered: nothing was waited for.
    assert len(receiver.requests) == 1
    assert sample(metrics, "dropped") == 40  # the queue holds 10; the oldest went
    receiver.hold.set()
    n.close(10)
    assert sample(metrics, "sent") == 11
    assert receiver.bodies()[1]["resource"] == "R40"  # the newest were kept


def test_a_dead_receiver_is_given_up_on_at_shutdown(store: StateStore) -> None:
    metrics = Metrics()
    dead = Receiver()
    url = dead.url
    dead.close()  # nothing listens there any more
    patient = Delivery(attempts=10, first_delay=30, max_delay=30, timeout=2)
    n = Notifications((url,), store, metrics, structlog.get_logger(), "team", patient)
    cycle(n, drift("A"), drift("B"))
    n.close(0.5)
    assert sample(metrics, "dropped") == 2 and sample(metrics, "sent") == 0


def test_slack_webhooks_get_slacks_form(receiver: Receiver, store: StateStore,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """hooks.slack.com is reached through the receiver acting as an HTTP proxy."""
    for name in ("no_proxy", "NO_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{receiver.port}")
    url = f"http://hooks.slack.com/services/{TOKEN}"
    n = notifier(receiver, store, urls=(url,))
    change = drift()
    change.reason = "mode detect: <!channel> & *everyone*"
    cycle(n, change)
    n.close(10)
    [request] = receiver.requests
    assert request["path"] == url
    body = json.loads(request["body"])
    assert body["text"] == "Drift detected: Data (AWS::S3::Bucket)"
    texts = json.dumps(body["blocks"])
    assert "&lt;!channel&gt; &amp;" in texts and "<!channel>" not in texts
    assert '/VersioningConfiguration/Status: "Suspended" → "Enabled"' in body["blocks"][-1][
        "text"]["text"]


def test_slack_form_stays_within_block_limits() -> None:
    from reconciler.daemon.notify_conditions import Notice

    diff = tuple({"path": f"/Tags/k{i}", "old": "x" * 50, "new": "y" * 50}
                 for i in range(500))
    body = as_slack(Notice("drift_detected", "rev", 0.0, resource="Big",
                           type="AWS::S3::Bucket", status="Drifted", diff=diff), "team")
    for block in body["blocks"]:
        if "text" in block:
            assert len(block["text"]["text"]) <= 3000
    assert "more line(s)" in json.dumps(body)


def test_urls_are_secrets() -> None:
    assert masked_url(f"https://hooks.slack.com/services/{TOKEN}") == "https://hooks.slack.com/..."
    assert masked_url("http://user:pw@10.0.0.1:8080/x?token=1") == "http://10.0.0.1:8080/..."
    assert masked_url("https://example.com") == "https://example.com"
    assert is_slack("https://hooks.slack.com/services/x") and not is_slack("https://x.com/")
    with pytest.raises(ReconcilerError) as error:
        check_url(f"hooks.slack.com/services/{TOKEN}")
    assert TOKEN not in str(error.value) and "hooks.slack.com/..." in str(error.value)
    with pytest.raises(ReconcilerError, match="not an http"):
        check_url(f"ftp://example.com/{TOKEN}")


def test_without_urls_nothing_is_kept(store: StateStore) -> None:
    n = Notifications((), store, Metrics(), structlog.get_logger(), "team")
    cycle(n, drift())
    n.revision_invalid("bad", ["x"])
    assert store.get_meta("notify_conditions") is None


def test_the_worker_refuses_an_unusable_url_at_start_without_showing_it(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "run", "--repo", str(tmp_path), "--state",
         str(tmp_path / "state"), "--notify", f"hooks.slack.com/services/{TOKEN}"],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr == ("error: --notify (or RECONCILER_NOTIFY) 'hooks.slack.com/...': "
                             "not an http(s) URL (the rest is not shown: webhook URLs are "
                             "secrets)\n")
