"""Slow operations through the CLI over the moto server: the status Pending, dependents that
wait and then proceed, ``apply`` waiting (and timing out), TransientError retry times.

moto makes every resource ready at once, so the slow resource is the fake
``SlowParameter`` (tests/fake_kinds.py): a real SSM parameter that the fake reports
pending for a number of observations, or until a tag flips.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler.aws.clients import AwsClients
from reconciler.engine import reconcile
from reconciler.engine.context import EngineSettings
from reconciler.engine.model import Result, Status
from reconciler.kinds import registry
from reconciler.runtime import build_kinds
from reconciler.state.store import StateStore
from reconciler.template.intrinsics import resolve
from reconciler.template.loader import load_tree
from tests.fake_kinds import READY_TAG, SlowParameter, register
from tests.harness import Stack


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[SlowParameter]]:
    kinds = dict(registry._KINDS)
    register(kinds)
    monkeypatch.setattr(registry, "_KINDS", kinds)
    SlowParameter.reset()
    yield SlowParameter
    SlowParameter.reset()


def tree(slow_settings: str) -> str:
    """Slow, a bucket that depends on it (through a Ref), and an independent parameter."""
    return f"""
    Resources:
      Slow:
        Type: Test::Fake::SlowParameter
        Properties:
          Name: slow-param
          Value: v1
          {slow_settings}
      Dependent:
        Type: AWS::S3::Bucket
        DeletionPolicy: Delete
        Properties:
          BucketName: !Sub "${{Slow}}-dependent"
      Independent:
        Type: Test::Fake::SlowParameter
        Properties: {{Name: independent-param, Value: v1}}
    """


def buckets() -> set[str]:
    return {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}


def statuses(stack: Stack) -> dict[str, dict[str, Any]]:
    result = stack.cli("status", "--state", str(stack.state), "--output", "json")
    assert result.code == 0, result.err
    return {r["resource"]: r for r in result.json["resources"]}


def test_pending_resource_holds_only_its_dependents_and_shows_everywhere(
        stack: Stack, slow: type[SlowParameter]) -> None:
    stack.write("tree.yaml", tree("PendingObservations: 2"))

    first = stack.apply("--output", "json", "--wait-timeout", "0")

    assert first.code == 1, first.out + first.err
    assert (first.change("Slow")["status"], first.change("Slow")["result"]) == (
        "Pending", "pending")
    assert first.change("Slow")["reason"] == "pending: state pending (creating)"
    dependent = first.change("Dependent")
    assert (dependent["status"], dependent["action"], dependent["result"]) == (
        "Missing", "create", "skipped")
    assert dependent["reason"] == "waiting for Slow (pending: state pending (creating))"
    assert first.change("Independent")["result"] == "success"  # never held up
    assert first.json["summary"]["pending"] == 1
    assert "not waiting (--wait-timeout 0)" in first.err
    assert "Slow (state pending (creating))" in first.err
    assert "slow-param-dependent" not in buckets()

    # While the observation is pending, plan attempts nothing and says why dependents wait.
    plan = stack.plan()
    assert plan.code == 2, plan.out
    assert (plan.change("Slow")["status"], plan.change("Slow")["action"]) == ("Pending", "none")
    assert plan.change("Slow")["reason"] == "pending: state pending (observation 1)"
    assert plan.change("Dependent")["reason"] == (
        "waiting for Slow (pending: state pending (observation 1))")
    text = stack.cli("plan", str(stack.desired), "--state", str(stack.state))
    assert "    Slow (Test::Fake::SlowParameter): Pending" in text.out
    assert "reason: pending: state pending (observation 2)" in text.out
    assert re.search(r"Plan: 1 to create, .*; 0 blocked, 1 pending, 0 errors\.", text.out)

    status = statuses(stack)
    assert status["Slow"]["status"] == "Pending" and status["Slow"]["action"] == "none"
    assert status["Dependent"]["status"] == "Missing"
    assert status["Dependent"]["reason"].startswith("waiting for Slow")
    assert status["Independent"]["status"] == "InSync"
    status_text = stack.cli("status", "--state", str(stack.state)).out
    assert re.search(r"^Slow +Test::Fake::SlowParameter +Pending$", status_text, re.M)

    # The history keeps the pending create and the run's outcome.
    with sqlite3.connect(stack.state / "state.sqlite") as db:
        runs = db.execute("SELECT result FROM runs ORDER BY id").fetchall()
        slow_changes = db.execute(
            "SELECT action, result, reason FROM changes WHERE logical_id='Slow'").fetchall()
    assert runs == [("pending",)]
    assert slow_changes == [("create", "pending", "pending: state pending (creating)")]

    # Ready at the third observation (the two plans made the others): the dependent follows.
    second = stack.apply("--output", "json")
    assert second.code == 0, second.out + second.err
    assert second.change("Slow")["status"] == "InSync"
    assert second.change("Dependent")["result"] == "success"
    assert "slow-param-dependent" in buckets()
    assert {r["status"] for r in statuses(stack).values()} == {"InSync"}


def test_apply_waits_for_pending_resources_then_exits_0(stack: Stack,
                                                        slow: type[SlowParameter]) -> None:
    stack.write("tree.yaml", tree("PendingObservations: 2"))

    applied = stack.apply("--output", "json", "--pending-interval", "0.2s")

    assert applied.code == 0, applied.out + applied.err
    progress = [line for line in applied.err.splitlines() if line.startswith("waiting for")]
    assert progress[0] == ("waiting for 1 pending resource: Slow (state pending (creating)); "
                           "0s elapsed")
    assert len(progress) == 3  # created, then two pending observations
    assert (applied.change("Slow")["action"], applied.change("Slow")["result"],
            applied.change("Slow")["status"]) == ("create", "success", "InSync")
    assert applied.change("Dependent")["result"] == "success"
    assert applied.change("Independent")["result"] == "success"
    assert applied.json["summary"]["pending"] == 0
    assert "slow-param-dependent" in buckets()
    assert stack.plan().code == 0


def test_apply_times_out_naming_what_is_still_pending(stack: Stack,
                                                      slow: type[SlowParameter]) -> None:
    stack.write("tree.yaml", tree("PendingUntilTagged: true"))
    started = time.monotonic()

    applied = stack.apply("--wait-timeout", "1.5s", "--pending-interval", "0.5s")

    assert applied.code == 1, applied.out + applied.err
    assert 1.5 <= time.monotonic() - started < 10
    assert re.search(r"^error: timed out after 1\.5s, still waiting for 1 pending resource: "
                     r"Slow \(waiting for its slow:ready tag\)$", applied.err, re.M), applied.err
    assert "  + Slow (Test::Fake::SlowParameter): create [pending]" in applied.out
    assert "waiting for Slow (pending: waiting for its slow:ready tag)" in applied.out
    assert "slow-param-dependent" not in buckets()

    # Tagged ready out of band: the next apply converges without waiting.
    boto3.client("ssm").add_tags_to_resource(ResourceType="Parameter", ResourceId="slow-param",
                                             Tags=[{"Key": READY_TAG, "Value": "true"}])
    assert stack.apply().code == 0
    assert "slow-param-dependent" in buckets()


def test_transient_error_is_retried_after_its_delay_and_not_before(
        stack: Stack, slow: type[SlowParameter]) -> None:
    stack.write("tree.yaml", tree("TransientFailures: 1\n          TransientDelay: 1.5"))

    applied = stack.apply("--output", "json", "--pending-interval", "0.1s")

    assert applied.code == 0, applied.out + applied.err
    first, second = SlowParameter.attempts["slow-param"]
    assert second - first >= 1.5  # the loop looked every 0.1 s, the retry waited its delay
    assert applied.err.splitlines() == [
        "waiting for 1 pending resource: Slow (slow-param: not yet (attempt 1)); 0s elapsed"]
    assert applied.change("Slow")["result"] == "success"
    assert applied.change("Dependent")["result"] == "success"


def test_engine_holds_a_deferred_change_until_its_retry_time(
        aws: Any, tmp_path: Path, slow: type[SlowParameter]) -> None:
    """The engine alone: a TransientError's delay becomes a hold that keeps the change
    Pending (not attempted) until its time, whoever runs the next pass."""
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "tree.yaml").write_text(
        "Resources:\n  Slow:\n    Type: Test::Fake::SlowParameter\n    Properties:\n"
        "      {Name: held, Value: v, TransientFailures: 1, TransientDelay: 30}\n")
    template = load_tree(desired, {}, registry.catalog(), pseudo={"AWS::Region": "us-east-1"})
    store = StateStore(tmp_path / "state")
    kinds = build_kinds(AwsClients())
    now = time.time()

    def run(holds: dict[str, tuple[float, str]] | None) -> Any:
        return reconcile.apply(template, store, kinds, resolve, {}, EngineSettings(),
                               holds=holds)

    first = run(None)
    change = first.by_id()["Slow"]
    assert (change.status, change.result) == (Status.PENDING, Result.PENDING)
    assert change.not_before is not None and now + 30 <= change.not_before < now + 40
    assert change.reason == "pending: held: not yet (attempt 1); retrying in 30s"
    holds = reconcile.holds_of(first)

    early = run(holds).by_id()["Slow"]
    assert early.status == Status.PENDING and early.result == Result.NOT_RUN
    assert len(SlowParameter.attempts["held"]) == 1  # not before its time

    due = {lid: (time.time() - 1, text) for lid, (_, text) in holds.items()}
    late = run(due).by_id()["Slow"]
    assert late.result == Result.SUCCESS and late.status == Status.MISSING
    assert len(SlowParameter.attempts["held"]) == 2
    store.close()
