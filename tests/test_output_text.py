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
