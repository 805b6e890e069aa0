"""Text output: Terraform-style plan lines, the summary, and progress lines."""

from __future__ import annotations

import io

from reconciler.engine.model import Action, Change, DiffEntry, Plan, Result, Status
from reconciler.output.plan_text import render_plan
from reconciler.output.progress import ProgressPrinter
from reconciler.template.model import Unknown


def test_plan_marks_each_action_and_shows_old_and_new() -> None:
    plan = Plan([
        Change("New", "AWS::S3::Bucket", Status.MISSING, Action.CREATE,
               diff=[DiffEntry("/BucketName", None, "logs")]),
        Change("Table", "AWS::DynamoDB::Table", Status.DRIFTED, Action.UPDATE,
               physical_id="toron", diff=[DiffEntry("/TimeToLiveSpecification/Enabled", False,
                                                    True)]),
        Change("Key", "AWS::KMS::Key", Status.BLOCKED, Action.REPLACE, blocked=True,
               reason="needs AllowReplace", diff=[DiffEntry("/KeySpec", "A", "B")]),
        Change("Old", "AWS::S3::Bucket", Status.DRIFTED, Action.ORPHAN),
        Change("Alias", "AWS::KMS::Alias", Status.DRIFTED, Action.UPDATE,
               diff=[DiffEntry("/TargetKeyId", "k1", Unknown("Key"))]),
        Change("Same", "AWS::S3::Bucket", Status.IN_SYNC),
    ])
    text = render_plan(plan)
    assert "  + New (AWS::S3::Bucket): create" in text
    assert '      + /BucketName: "logs"' in text
    assert "  ~ Table (AWS::DynamoDB::Table): update" in text
    assert "      ~ /TimeToLiveSpecification/Enabled: false -> true" in text
    assert "-/+ Key (AWS::KMS::Key): replace [blocked]" in text
    assert "      reason: needs AllowReplace" in text
    assert "  - Old (AWS::S3::Bucket): orphan" in text
    assert '~ /TargetKeyId: "k1" -> "(known after apply)"' in text
    assert "Same" not in text
    assert text.rstrip().endswith(
        "Plan: 1 to create, 2 to update, 0 to replace, 0 to delete, 1 to orphan; "
        "1 blocked, 0 errors.")


def test_in_sync_plan_says_so() -> None:
    text = render_plan(Plan([Change("A", "AWS::S3::Bucket", Status.IN_SYNC)]))
    assert text == "No changes. 1 resources in sync.\n"


def test_progress_prints_a_line_per_resource_step() -> None:
    stream = io.StringIO()
    progress = ProgressPrinter(stream)
    change = Change("Logs", "AWS::S3::Bucket", Status.MISSING, Action.CREATE)
    progress(change, "start")
    change.result = Result.SUCCESS
    progress(change, "done")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "Logs (AWS::S3::Bucket): creating..."
    assert lines[1].startswith("Logs: create success (")


def test_pending_resources_and_their_waiting_dependents_read_plainly() -> None:
    plan = Plan([
        Change("Nat", "AWS::EC2::NatGateway", Status.PENDING, Action.CREATE,
               result=Result.PENDING, pending="state pending", reason="pending: state pending"),
        Change("Route", "AWS::EC2::Route", Status.MISSING, Action.CREATE, result=Result.SKIPPED,
               waiting_for=("Nat",), reason="waiting for Nat (pending: state pending)"),
        Change("Db", "AWS::RDS::DBCluster", Status.PENDING, pending="Status modifying",
               reason="pending: Status modifying"),
        Change("Busy", "AWS::DynamoDB::Table", Status.PENDING, Action.UPDATE,
               pending="TableStatus UPDATING", reason="pending: TableStatus UPDATING",
               diff=[DiffEntry("/DeletionProtectionEnabled", False, True)]),
    ])
    text = render_plan(plan, applied=True)
    assert "  + Nat (AWS::EC2::NatGateway): create [pending]" in text
    assert "  + Route (AWS::EC2::Route): create [skipped]" in text
    assert "      reason: waiting for Nat (pending: state pending)" in text
    assert "    Db (AWS::RDS::DBCluster): Pending\n" in text
    assert "  ~ Busy (AWS::DynamoDB::Table): update [pending]" in text  # planned, not tried
    assert text.rstrip().endswith("Apply: 0 created, 0 updated, 0 replaced, 0 deleted, "
                                  "0 orphaned; 0 blocked, 1 skipped, 3 pending, 0 failed.")
    assert plan.summary()["pending"] == 3
    assert [c.resource for c in plan.waiting] == ["Route"]
    assert not plan.converged and plan.settling
