"""Scrape-level checks of the worker's metrics: what Prometheus would read from /metrics."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable

import pytest
from prometheus_client.parser import text_string_to_metric_families

from reconciler.daemon.metrics import STATUSES, Metrics
from tests.test_alert_rules import promtool_path

Labels = frozenset[tuple[str, str]]


def scrape(metrics: Metrics) -> dict[str, dict[Labels, float]]:
    """Sample name -> {label set -> value}, from the rendered exposition text."""
    body, content_type = metrics.render()
    assert content_type == "text/plain; version=0.0.4; charset=utf-8"
    samples: dict[str, dict[Labels, float]] = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[frozenset(sample.labels.items())] = sample.value
    return samples


def labels(**values: str) -> Labels:
    return frozenset(values.items())


def families(metrics: Metrics) -> dict[str, str]:
    """Family name -> type, as the exposition declares them."""
    body, _ = metrics.render()
    return {f.name: f.type for f in text_string_to_metric_families(body.decode())}


KMS, TABLE = "AWS::KMS::Key", "AWS::DynamoDB::Table"


def test_every_design_metric_is_declared_with_its_type() -> None:
    declared = families(Metrics())
    # The parser names counters without _total; the exposition spells it out.
    assert declared == {
        "reconciler_resource_drifted": "gauge",
        "reconciler_resource_status": "gauge",
        "reconciler_drift_detected": "counter",
        "reconciler_drift_corrected": "counter",
        "reconciler_apply": "counter",
        "reconciler_reconcile_duration_seconds": "histogram",
        "reconciler_last_reconcile_timestamp_seconds": "gauge",
        "reconciler_last_successful_reconcile_timestamp_seconds": "gauge",
        "reconciler_source_revision_info": "gauge",
        "reconciler_applied_revision_info": "gauge",
        "reconciler_source_fetch": "counter",
        "reconciler_desired_valid": "gauge",
        "reconciler_aws_api_calls": "counter",
        "reconciler_aws_api_throttled": "counter",
        "reconciler_aws_reachable": "gauge",
        "reconciler_leader": "gauge",
        "reconciler_deletions_blocked": "counter",
        "reconciler_notifications": "counter",
    }


def test_label_less_series_exist_at_zero_before_any_event() -> None:
    s = scrape(Metrics())
    for name in ("reconciler_last_reconcile_timestamp_seconds",
                 "reconciler_last_successful_reconcile_timestamp_seconds",
                 "reconciler_desired_valid", "reconciler_deletions_blocked_total",
                 "reconciler_reconcile_duration_seconds_count"):
        assert s[name] == {labels(): 0.0}, name
    assert s["reconciler_source_fetch_total"] == {
        labels(result="success"): 0.0, labels(result="error"): 0.0}
    assert s["reconciler_notifications_total"] == {
        labels(result=r): 0.0 for r in ("sent", "failed", "dropped")}
    # No revision fetched yet: the info gauges have no series at all.
    assert "reconciler_source_revision_info" not in s
    assert "reconciler_applied_revision_info" not in s


def test_set_resources_reports_status_one_hot_and_drift() -> None:
    m = Metrics()
    m.set_resources([(KMS, "DataKey", "InSync", False), (TABLE, "CacheTable", "Drifted", True)])
    s = scrape(m)
    assert s["reconciler_resource_drifted"] == {
        labels(type=KMS, resource="DataKey"): 0.0,
        labels(type=TABLE, resource="CacheTable"): 1.0,
    }
    status = s["reconciler_resource_status"]
    # DESIGN's status vocabulary, in its order.
    assert STATUSES == ("InSync", "Drifted", "Missing", "Conflict", "Blocked", "Pending",
                        "Error")
    assert len(status) == 2 * len(STATUSES) == 14
    for name in STATUSES:
        assert status[labels(type=TABLE, resource="CacheTable", status=name)] == (
            1.0 if name == "Drifted" else 0.0)
        assert status[labels(type=KMS, resource="DataKey", status=name)] == (
            1.0 if name == "InSync" else 0.0)


def test_a_resource_that_leaves_the_tree_stops_reporting() -> None:
    m = Metrics()
    m.set_resources([(KMS, "DataKey", "InSync", False), (TABLE, "CacheTable", "Drifted", True)])
    m.set_resources([(TABLE, "CacheTable", "InSync", False)])
    s = scrape(m)
    assert s["reconciler_resource_drifted"] == {labels(type=TABLE, resource="CacheTable"): 0.0}
    assert {dict(k)["resource"] for k in s["reconciler_resource_status"]} == {"CacheTable"}
    assert s["reconciler_resource_status"][
        labels(type=TABLE, resource="CacheTable", status="InSync")] == 1.0
    m.set_resources([])
    s = scrape(m)
    assert "reconciler_resource_drifted" not in s
    assert "reconciler_resource_status" not in s


def test_drift_counters_exist_at_zero_for_every_reported_type() -> None:
    """increase() cannot see a counter series born at its first drift, so the per-type
    drift counters (ReconcilerAuditTrailNotLogging alerts on one) start at 0 as soon as a
    type is reported, and stay when its resources leave the tree (counters never go back)."""
    m = Metrics()
    m.set_resources([(KMS, "DataKey", "InSync", False), (KMS, "AuditKey", "InSync", False)])
    s = scrape(m)
    assert s["reconciler_drift_detected_total"] == {labels(type=KMS): 0.0}
    assert s["reconciler_drift_corrected_total"] == {labels(type=KMS): 0.0}
    m.drift_detected(KMS)
    m.set_resources([(TABLE, "CacheTable", "InSync", False)])
    assert scrape(m)["reconciler_drift_detected_total"] == {labels(type=KMS): 1.0,
                                                            labels(type=TABLE): 0.0}


def test_unknown_status_is_refused_without_touching_the_series() -> None:
    m = Metrics()
    m.set_resources([(KMS, "DataKey", "InSync", False)])
    with pytest.raises(ValueError, match="Exploded"):
        m.set_resources([(TABLE, "CacheTable", "Exploded", True)])
    assert set(scrape(m)["reconciler_resource_drifted"]) == {labels(type=KMS, resource="DataKey")}


def test_counters_move_by_label() -> None:
    m = Metrics()
    m.drift_detected(TABLE)
    m.drift_detected(TABLE)
    m.drift_corrected(TABLE)
    m.applied(TABLE, "update", "success")
    m.applied(TABLE, "update", "success")
    m.applied(KMS, "create", "error")
    m.source_fetched(True)
    m.source_fetched(False)
    m.source_fetched(False)
    m.aws_call("dynamodb", "DescribeTable", "success")
    m.aws_call("dynamodb", "DescribeTable", "success")
    m.aws_call("kms", "CreateKey", "error")
    m.aws_throttled("dynamodb")
    m.deletions_blocked(3)
    m.deletions_blocked(0)
    s = scrape(m)
    assert s["reconciler_drift_detected_total"] == {labels(type=TABLE): 2.0}
    assert s["reconciler_drift_corrected_total"] == {labels(type=TABLE): 1.0}
    assert s["reconciler_apply_total"] == {
        labels(type=TABLE, action="update", result="success"): 2.0,
        labels(type=KMS, action="create", result="error"): 1.0,
    }
    assert s["reconciler_source_fetch_total"] == {
        labels(result="success"): 1.0, labels(result="error"): 2.0}
    assert s["reconciler_aws_api_calls_total"] == {
        labels(service="dynamodb", operation="DescribeTable", result="success"): 2.0,
        labels(service="kms", operation="CreateKey", result="error"): 1.0,
    }
    assert s["reconciler_aws_api_throttled_total"] == {labels(service="dynamodb"): 1.0}
    assert s["reconciler_deletions_blocked_total"] == {labels(): 3.0}


def test_reconcile_finished_sets_timestamps_and_histogram() -> None:
    m = Metrics()
    m.reconcile_finished(0.3, succeeded=True, at=1_700_000_000.0)
    m.reconcile_finished(1500.0, succeeded=False, at=1_700_001_500.0)
    s = scrape(m)
    assert s["reconciler_last_reconcile_timestamp_seconds"][labels()] == 1_700_001_500.0
    assert s["reconciler_last_successful_reconcile_timestamp_seconds"][labels()] == (
        1_700_000_000.0)
    assert s["reconciler_reconcile_duration_seconds_count"][labels()] == 2.0
    assert s["reconciler_reconcile_duration_seconds_sum"][labels()] == 1500.3
    buckets = {dict(k)["le"]: v for k, v in s["reconciler_reconcile_duration_seconds_bucket"]
               .items()}
    assert buckets["0.5"] == 1.0  # the quick no-op cycle
    assert buckets["1200.0"] == 1.0
    assert buckets["1800.0"] == 2.0  # the 25-minute cycle still lands in a finite bucket
    assert buckets["+Inf"] == 2.0


@pytest.mark.parametrize(("setter", "name"), [
    ("set_source_revision", "reconciler_source_revision_info"),
    ("set_applied_revision", "reconciler_applied_revision_info"),
])
def test_revision_info_keeps_only_the_current_revision(setter: str, name: str) -> None:
    m = Metrics()
    set_revision = getattr(m, setter)
    set_revision("0a1b2c3")
    assert scrape(m)[name] == {labels(revision="0a1b2c3"): 1.0}
    set_revision("0a1b2c3")  # unchanged: still exactly one series
    assert scrape(m)[name] == {labels(revision="0a1b2c3"): 1.0}
    set_revision("d4e5f60")
    assert scrape(m)[name] == {labels(revision="d4e5f60"): 1.0}
    set_revision(None)
    assert name not in scrape(m)


def test_source_and_applied_revisions_are_independent() -> None:
    m = Metrics()
    m.set_source_revision("new")
    m.set_applied_revision("old")
    s = scrape(m)
    assert s["reconciler_source_revision_info"] == {labels(revision="new"): 1.0}
    assert s["reconciler_applied_revision_info"] == {labels(revision="old"): 1.0}


def test_desired_valid_flips() -> None:
    m = Metrics()
    m.set_desired_valid(True)
    assert scrape(m)["reconciler_desired_valid"] == {labels(): 1.0}
    m.set_desired_valid(False)
    assert scrape(m)["reconciler_desired_valid"] == {labels(): 0.0}


def test_instances_do_not_share_series() -> None:
    first, second = Metrics(), Metrics()
    first.drift_detected(KMS)
    assert "reconciler_drift_detected_total" in scrape(first)
    assert "reconciler_drift_detected_total" not in scrape(second)


def test_concurrent_updates_keep_series_consistent() -> None:
    m = Metrics()
    rounds = 200
    errors: list[BaseException] = []

    def resources(worker: int) -> None:
        for i in range(rounds):
            m.set_resources([(KMS, f"Key{worker}-{i % 3}", "InSync", False)])

    def revisions(worker: int) -> None:
        for i in range(rounds):
            m.set_source_revision(f"rev{worker}-{i}")
            m.aws_call("kms", "DescribeKey", "success")

    def guarded(target: Callable[[int], None], worker: int) -> None:
        # An exception in a thread does not fail the test by itself; collect it.
        try:
            target(worker)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(f, w)) for w in range(4)
               for f in (resources, revisions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    s = scrape(m)
    # Whatever the interleaving, one resource and one revision survive, and no call is lost.
    assert len(s["reconciler_resource_drifted"]) == 1
    assert len(s["reconciler_resource_status"]) == len(STATUSES)
    assert len(s["reconciler_source_revision_info"]) == 1
    assert s["reconciler_aws_api_calls_total"][
        labels(service="kms", operation="DescribeKey", result="success")] == 4.0 * rounds


def test_a_populated_scrape_passes_promtool_lint() -> None:
    m = Metrics()
    m.set_resources([(KMS, "DataKey", "Drifted", True)])
    m.drift_detected(KMS)
    m.drift_corrected(KMS)
    m.applied(KMS, "update", "success")
    m.reconcile_finished(2.0, succeeded=True, at=1_700_000_000.0)
    m.set_source_revision("0a1b2c3")
    m.set_applied_revision("0a1b2c3")
    m.source_fetched(True)
    m.aws_call("kms", "DescribeKey", "success")
    m.aws_throttled("kms")
    m.deletions_blocked(1)
    body, _ = m.render()
    # `promtool check metrics` flags naming problems (counters without _total, bad units).
    result = subprocess.run([promtool_path(), "check", "metrics"], input=body,
                            capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, (result.stdout + result.stderr).decode()
    assert result.stdout + result.stderr == b""


def test_leader_is_1_without_a_lease_and_follows_the_lease_with_one() -> None:
    metrics = Metrics()  # a state directory: no lease, this worker is the one
    assert scrape(metrics)["reconciler_leader"] == {labels(): 1.0}
    metrics.set_leader(False)
    assert scrape(metrics)["reconciler_leader"] == {labels(): 0.0}
