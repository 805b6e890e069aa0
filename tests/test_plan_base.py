"""``plan --base REV`` against real git repositories (two commits and more) and the moto
server; the CLI as a subprocess where the exit code and output streams matter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from tests.harness import Stack
from tests.worker_harness import git


def bucket(lid: str, name: str, versioning: str = "Enabled", extra: str = "") -> str:
    return f"""
  {lid}:
    Type: AWS::S3::Bucket
    DeletionPolicy: Delete
    Properties:
      BucketName: {name}
      VersioningConfiguration: {{Status: {versioning}}}{extra}
"""


def commit(stack: Stack, message: str) -> str:
    git(stack.root, "add", "-A")
    git(stack.root, "commit", "-q", "-m", message)
    return git(stack.root, "rev-parse", "HEAD")


@pytest.fixture
def repo(stack: Stack) -> Stack:
    """A work tree whose first commit is applied: A, B and D exist and are owned."""
    git(stack.root, "init", "-q", "-b", "main")
    (stack.root / ".gitignore").write_text("state/\n")
    stack.write("main.yaml", "Resources:" + bucket("A", "base-a") + bucket("B", "base-b")
                + bucket("D", "base-d"))
    commit(stack, "first")
    assert stack.apply().code == 0
    return stack


def test_only_what_the_branch_changes_is_planned(repo: Stack) -> None:
    first = git(repo.root, "rev-parse", "HEAD")
    repo.write("main.yaml", "Resources:" + bucket("B", "base-b", "Suspended")
               + bucket("C", "base-c") + bucket("D", "base-d"))
    commit(repo, "second: change B, add C, remove A")
    # Drift on D, which the branch does not touch: a full plan shows it, --base does not.
    boto3.client("s3").put_bucket_versioning(Bucket="base-d",
                                             VersioningConfiguration={"Status": "Suspended"})
    assert repo.plan().change("D")["status"] == "Drifted"

    result = repo.plan("--base", "HEAD~1")
    assert result.code == 2, result.err
    plan = result.json
    assert {c["resource"]: c["action"] for c in plan["changes"]} == {
        "A": "delete", "B": "update", "C": "create"}
    assert plan["base"] == {"rev": "HEAD~1", "commit": first, "added": ["C"],
                            "changed": ["B"], "removed": ["A"], "omitted": 1,
                            "unreadable": None}
    text = repo.cli("plan", str(repo.desired), "--state", str(repo.state), "--base", first)
    assert text.out.startswith(f"Compared with {first} ({first[:12]}): 1 added, 1 changed, "
                               "1 removed; 1 unchanged resource(s) omitted.\n")
    assert "D (AWS::S3::Bucket)" not in text.out and "~ B (AWS::S3::Bucket)" in text.out


def test_markdown_with_base_from_the_cli(repo: Stack) -> None:
    """The workflow's command line, as a subprocess in the work tree."""
    repo.write("extra.yaml", "Resources:" + bucket("C", "base-c"))
    commit(repo, "second: add C")
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", "desired", "--state", "state", "--output",
         "markdown", "--base", "main~1"], cwd=repo.root, capture_output=True, text=True,
        timeout=120, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert result.returncode == 2, result.stderr
    assert "compared with main\\~1" in result.stdout  # escaped: ~ is markdown
    assert "0 changed, 0 removed; 3 unchanged resource\\(s\\) omitted" in result.stdout
    assert "| `+` | C | AWS::S3::Bucket | Missing | create |" in result.stdout
    assert result.stdout.count("<details>") == 1
    nothing = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", "desired", "--state", "state", "--output",
         "markdown", "--base", "HEAD"], cwd=repo.root, capture_output=True, text=True,
        timeout=120, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert nothing.returncode == 0, nothing.stderr
    assert "No changes. 0 resource(s) in sync." in nothing.stdout


def test_a_parameter_value_changes_the_resources_that_use_it(repo: Stack) -> None:
    repo.write("main.yaml", "Parameters:\n  Mode: {Type: String, Default: Enabled}\n"
               "Resources:" + bucket("A", "base-a") + bucket("B", "base-b", "!Ref Mode")
               + bucket("D", "base-d"))
    commit(repo, "B takes its versioning from a parameter")
    repo.write("main.yaml", "Parameters:\n  Mode: {Type: String, Default: Suspended}\n"
               "Resources:" + bucket("A", "base-a") + bucket("B", "base-b", "!Ref Mode")
               + bucket("D", "base-d"))  # the working tree, not committed: it counts too
    plan = repo.plan("--base", "HEAD").json
    assert [c["resource"] for c in plan["changes"]] == ["B"]
    assert plan["base"]["changed"] == ["B"] and plan["base"]["omitted"] == 2


def test_a_tree_that_did_not_exist_at_rev_is_all_added(stack: Stack) -> None:
    git(stack.root, "init", "-q", "-b", "main")
    (stack.root / "README").write_text("nothing yet\n")
    commit(stack, "first")
    stack.write("main.yaml", "Resources:" + bucket("A", "new-a"))
    plan = stack.plan("--base", "HEAD").json
    assert plan["base"]["added"] == ["A"] and plan["base"]["omitted"] == 0
    assert [c["action"] for c in plan["changes"]] == ["create"]


def test_a_base_that_does_not_load_shows_everything_with_a_warning(repo: Stack) -> None:
    repo.write("broken.yaml", "Resources: {Odd: {Type: AWS::Nope::Thing}}\n")
    commit(repo, "broken")
    repo.remove("broken.yaml")
    result = repo.plan("--base", "HEAD")
    assert result.code == 0
    assert "warning: --base HEAD: the tree at" in result.err and "AWS::Nope::Thing" in result.err
    assert {c["resource"] for c in result.json["changes"]} == {"A", "B", "D"}
    assert result.json["base"]["unreadable"] == "1 error(s)"


def test_errors_name_the_revision_and_the_path(repo: Stack, tmp_path: Path) -> None:
    unknown = repo.plan("--base", "no-such-branch")
    assert unknown.code == 1 and unknown.out == ""
    assert unknown.err.startswith("error: --base no-such-branch: unknown revision in "
                                  f"{repo.root}")
    outside = tmp_path.parent / f"{tmp_path.name}-plain"
    (outside / "desired").mkdir(parents=True)
    (outside / "desired" / "a.yaml").write_text("Resources:" + bucket("A", "plain-a"))
    result = repo.cli("plan", str(outside / "desired"), "--state", str(repo.state),
                      "--base", "HEAD")
    assert result.code == 1
    assert result.err == (f"error: --base: {outside / 'desired'} is not in a git work tree "
                          "(plan --base reads the tree at REV with git)\n")
    assert json.loads(repo.plan().out)["changes"]  # the plain plan is unaffected
