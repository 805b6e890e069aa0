"""Ownership, adoption, orphaning, deletion and the deletion guards, end to end on moto."""

from __future__ import annotations

import boto3
import pytest

from tests.harness import Stack

BUCKET = """
Resources:
  Logs:
    Type: AWS::S3::Bucket
    {extra}
    Properties:
      BucketName: {name}
      VersioningConfiguration: {{Status: Enabled}}
"""


def _tags(bucket: str) -> dict[str, str]:
    s3 = boto3.client("s3")
    try:
        tag_set = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    except s3.exceptions.ClientError:
        return {}
    return {t["Key"]: t["Value"] for t in tag_set}


def _buckets() -> set[str]:
    return {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}


def test_existing_unowned_resource_is_a_conflict_left_untouched(stack: Stack) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="someone-elses")
    stack.write("b.yaml", BUCKET.format(name="someone-elses", extra=""))

    plan = stack.plan()
    assert plan.code == 2
    change = plan.change("Logs")
    assert (change["status"], change["blocked"]) == ("Conflict", True)
    assert "Adopt" in change["reason"]

    assert stack.apply().code == 1
    assert s3.get_bucket_versioning(Bucket="someone-elses").get("Status") is None
    assert "reconciler:owner" not in _tags("someone-elses")


def test_adopt_takes_over_and_tags_the_resource(stack: Stack) -> None:
    boto3.client("s3").create_bucket(Bucket="adopt-me")
    stack.write("b.yaml", BUCKET.format(
        name="adopt-me", extra="Metadata: {Reconciler: {Adopt: true}}"))

    change = stack.plan().change("Logs")
    assert (change["status"], change["action"], change["blocked"]) == ("Drifted", "update", False)

    assert stack.apply().code == 0
    assert _tags("adopt-me") == {"reconciler:owner": "reconciler",
                                 "reconciler:logical-id": "Logs"}
    assert stack.plan().code == 0


def test_resource_owned_by_another_instance_is_a_conflict_even_with_adopt(stack: Stack) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="theirs")
    s3.put_bucket_tagging(Bucket="theirs", Tagging={"TagSet": [
        {"Key": "reconciler:owner", "Value": "other-team"},
        {"Key": "reconciler:logical-id", "Value": "Logs"}]})
    stack.write("b.yaml", BUCKET.format(
        name="theirs", extra="Metadata: {Reconciler: {Adopt: true}}"))
    change = stack.plan().change("Logs")
    assert change["status"] == "Conflict"
    assert "other-team" in change["reason"]


def test_stripped_ownership_tags_are_restored(stack: Stack) -> None:
    stack.write("b.yaml", BUCKET.format(name="owned-bucket", extra=""))
    assert stack.apply().code == 0
    boto3.client("s3").delete_bucket_tagging(Bucket="owned-bucket")

    plan = stack.plan()
    assert plan.code == 2
    change = plan.change("Logs")
    assert change["status"] == "Drifted"
    assert {d["path"] for d in change["diff"]} == {"/Tags/reconciler:owner",
                                                   "/Tags/reconciler:logical-id"}
    assert stack.apply().code == 0
    assert _tags("owned-bucket")["reconciler:owner"] == "reconciler"
    assert stack.plan().code == 0


def test_removed_bucket_is_orphaned_by_default(stack: Stack) -> None:
    stack.write("b.yaml", BUCKET.format(name="keep-my-data", extra=""))
    stack.write("other.yaml", BUCKET.format(name="second-bucket", extra="").replace(
        "Logs:", "Second:"))
    assert stack.apply().code == 0
    stack.remove("b.yaml")

    change = stack.plan().change("Logs")
    assert (change["action"], change["blocked"]) == ("orphan", False)
    assert stack.apply().code == 0
    assert "keep-my-data" in _buckets()
    assert "reconciler:owner" not in _tags("keep-my-data")
    plan = stack.plan()
    assert plan.code == 0
    assert [c["resource"] for c in plan.json["changes"]] == ["Second"]


def test_removed_resource_with_deletion_policy_delete_is_deleted(stack: Stack) -> None:
    stack.write("b.yaml", BUCKET.format(name="scratch-bucket", extra="DeletionPolicy: Delete"))
    stack.write("other.yaml", BUCKET.format(name="second-bucket", extra="").replace(
        "Logs:", "Second:"))
    assert stack.apply().code == 0
    stack.remove("b.yaml")
    assert stack.plan().change("Logs")["action"] == "delete"
    assert stack.apply().code == 0
    assert "scratch-bucket" not in _buckets()


def _many(stack: Stack, count: int) -> None:
    body = "Resources:\n" + "".join(
        f"  Scratch{i}:\n    Type: AWS::S3::Bucket\n    DeletionPolicy: Delete\n"
        f"    Properties: {{BucketName: scratch-{i}}}\n" for i in range(count))
    stack.write("many.yaml", body)


def test_mass_deletion_guard_blocks_deletes_but_applies_the_rest(stack: Stack) -> None:
    _many(stack, 12)
    assert stack.apply().code == 0
    stack.remove("many.yaml")
    stack.write("keep.yaml", BUCKET.format(name="new-bucket", extra=""))

    plan = stack.plan()
    deletes = [c for c in plan.json["changes"] if c["action"] == "delete"]
    assert len(deletes) == 12
    assert all(c["blocked"] and c["status"] == "Blocked" for c in deletes)
    assert "mass-deletion guard" in deletes[0]["reason"]

    assert stack.apply().code == 1  # blocked deletions are not convergence
    assert "new-bucket" in _buckets()  # the rest of the revision applied
    assert {f"scratch-{i}" for i in range(12)} <= _buckets()

    assert stack.apply("--allow-mass-delete").code == 0
    assert not {f"scratch-{i}" for i in range(12)} & _buckets()


def test_empty_tree_removes_nothing_until_allowed(stack: Stack) -> None:
    stack.write("b.yaml", BUCKET.format(name="only-bucket", extra="DeletionPolicy: Delete"))
    assert stack.apply().code == 0
    stack.remove("b.yaml")

    change = stack.plan().change("Logs")
    assert change["blocked"] and "empty-tree guard" in change["reason"]
    assert stack.apply().code == 1
    assert "only-bucket" in _buckets()
    assert stack.apply("--allow-empty").code == 0
    assert "only-bucket" not in _buckets()


@pytest.mark.parametrize("mode", ["detect", "observe"])
def test_detect_and_observe_modes_change_nothing(stack: Stack, mode: str) -> None:
    s3 = boto3.client("s3")
    stack.write("b.yaml", BUCKET.format(name="watched", extra=""))
    assert stack.apply().code == 0
    s3.put_bucket_versioning(Bucket="watched", VersioningConfiguration={"Status": "Suspended"})
    stack.write("b.yaml", BUCKET.format(
        name="watched", extra=f"Metadata: {{Reconciler: {{Mode: {mode}}}}}"))

    change = stack.plan().change("Logs")
    assert (change["status"], change["blocked"]) == ("Drifted", True)
    assert stack.apply().code == 1
    assert s3.get_bucket_versioning(Bucket="watched")["Status"] == "Suspended"


def test_command_line_detect_mode_reports_missing_without_creating(stack: Stack) -> None:
    stack.write("b.yaml", BUCKET.format(name="not-yet", extra=""))
    change = stack.plan("--mode", "detect").change("Logs")
    assert (change["status"], change["action"], change["blocked"]) == ("Missing", "create", True)
    assert stack.apply("--mode", "detect").code == 1
    assert "not-yet" not in _buckets()


def test_no_echo_parameter_values_are_masked_in_plans_and_state(stack: Stack) -> None:
    """NoEcho values are masked in properties and tags (a name is an identity, not a secret)."""
    stack.write("b.yaml", """
        Parameters:
          Suffix: {Type: String, NoEcho: true}
        Resources:
          Logs:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: quiet-bucket
              Tags: [{Key: token, Value: !Sub "t-${Suffix}"}]
        """)
    plan = stack.plan("--parameter", "Suffix=hush7731")
    assert "hush7731" not in plan.out
    assert plan.change("Logs")["status"] == "Missing"
    assert stack.apply("--parameter", "Suffix=hush7731").code == 0
    assert _tags("quiet-bucket")["token"] == "t-hush7731"
    for path in stack.state.rglob("*"):
        if path.is_file():
            assert b"hush7731" not in path.read_bytes(), path


def test_a_changed_no_echo_value_is_masked_on_both_sides_and_in_history(stack: Stack) -> None:
    """The value AWS holds where a NoEcho parameter goes is that parameter's old value."""
    stack.write("b.yaml", """
        Parameters:
          Suffix: {Type: String, NoEcho: true}
        Resources:
          Logs:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: quiet-bucket
              Tags: [{Key: token, Value: !Sub "t-${Suffix}"}]
        """)
    assert stack.apply("--parameter", "Suffix=oldhush4411").code == 0
    plan = stack.plan("--parameter", "Suffix=newhush9922")
    assert plan.code == 2
    assert plan.change("Logs")["diff"] == [
        {"path": "/Tags/token", "old": "(sensitive value)", "new": "(sensitive value)"}]
    text = stack.cli("plan", str(stack.desired), "--state", str(stack.state),
                     "--parameter", "Suffix=newhush9922")
    applied = stack.apply("--parameter", "Suffix=newhush9922", "--output", "json")
    assert applied.code == 0
    assert _tags("quiet-bucket")["token"] == "t-newhush9922"
    status = stack.cli("status", "--state", str(stack.state), "--output", "json")
    for output in (plan.out, text.out, text.err, applied.out, applied.err, status.out):
        assert "hush" not in output
    for path in stack.state.rglob("*"):
        if path.is_file():
            assert b"hush" not in path.read_bytes(), path


def test_validate_warns_of_a_no_echo_value_in_a_tag(stack: Stack) -> None:
    stack.write("b.yaml", """
        Parameters:
          Suffix: {Type: String, NoEcho: true, Default: quiet}
          Plain: {Type: String, Default: loud}
        Resources:
          Logs:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: !Sub "b-${Suffix}"
              Tags:
                - {Key: token, Value: !Sub "t-${Suffix}"}
                - {Key: plain, Value: !Ref Plain}
        """)
    result = stack.cli("validate", str(stack.desired))
    assert result.code == 0
    warnings = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "b.yaml:10: Logs: NoEcho parameter Suffix in a tag" in \
        warnings[0], result.err


def test_removals_run_dependents_first_and_keys_are_only_scheduled(stack: Stack) -> None:
    stack.write("keep.yaml", BUCKET.format(name="kept-bucket", extra=""))
    stack.write("kms.yaml", """
        Resources:
          AKey:
            Type: AWS::KMS::Key
            DeletionPolicy: Delete
            Properties: {Description: goes away, PendingWindowInDays: 7}
          ZAlias:
            Type: AWS::KMS::Alias
            Properties: {AliasName: alias/goes-away, TargetKeyId: !Ref AKey}
        """)
    assert stack.apply().code == 0
    key_id = stack.plan().change("AKey")["physical_id"]
    stack.remove("kms.yaml")

    plan = stack.plan()
    removals = [c["resource"] for c in plan.json["changes"] if c["action"] == "delete"]
    assert removals == ["ZAlias", "AKey"]  # the alias goes before the key it points at
    assert stack.apply("--allow-mass-delete").code == 0  # 2 of 3 is over the 25 % guard
    kms = boto3.client("kms")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert all(a["AliasName"] != "alias/goes-away" for a in kms.list_aliases()["Aliases"])


def test_ignore_drift_on_tags_leaves_user_tags_but_restores_ownership(stack: Stack) -> None:
    stack.write("b.yaml", BUCKET.format(
        name="tag-ignored", extra="Metadata: {Reconciler: {IgnoreDrift: [/Tags]}}").replace(
        "VersioningConfiguration: {Status: Enabled}",
        "VersioningConfiguration: {Status: Enabled}\n      Tags: [{Key: team, Value: a}]"))
    assert stack.apply().code == 0
    s3 = boto3.client("s3")
    owner_tags = [{"Key": k, "Value": v} for k, v in _tags("tag-ignored").items()
                  if k.startswith("reconciler:")]
    s3.put_bucket_tagging(Bucket="tag-ignored", Tagging={"TagSet": [
        *owner_tags, {"Key": "team", "Value": "b"}, {"Key": "extra", "Value": "x"}]})
    assert stack.plan().code == 0  # the user's tags are ignored...
    s3.put_bucket_tagging(Bucket="tag-ignored", Tagging={"TagSet": [
        {"Key": "team", "Value": "b"}, {"Key": "extra", "Value": "x"}]})
    change = stack.plan().change("Logs")  # ...but stripped ownership tags are not
    assert {d["path"] for d in change["diff"]} == {"/Tags/reconciler:owner",
                                                   "/Tags/reconciler:logical-id"}
    s3.put_bucket_versioning(Bucket="tag-ignored",
                             VersioningConfiguration={"Status": "Suspended"})
    assert stack.apply().code == 0
    tags = _tags("tag-ignored")
    assert tags["team"] == "b" and tags["extra"] == "x"  # left as they are
    assert tags["reconciler:owner"] == "reconciler"  # ownership is never ignored
