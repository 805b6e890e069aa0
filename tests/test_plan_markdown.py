"""``plan --output markdown``: a pull-request comment. One real plan of a drifted, created,
deleted and blocked mix against the moto server; escaping and the size bound on plans built
as values."""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import yaml

from reconciler.engine.model import MASK, Action, Change, DiffEntry, Plan, Status
from reconciler.output.plan_markdown import LIMIT, MARKER, cell, fenced, render_markdown
from tests.harness import Stack

TREE = """
Parameters:
  Token: {Type: String, NoEcho: true}
Resources:
  Drifty:
    Type: AWS::S3::Bucket
    DeletionPolicy: Delete
    Properties:
      BucketName: md-drifty
      VersioningConfiguration: {Status: Enabled}
      Tags: [{Key: token, Value: !Sub "t-${Token}"}]
  DataKey:
    Type: AWS::KMS::Key
    Properties:
      Description: markdown test key
      KeySpec: SPEC
  Quiet:
    Type: AWS::S3::Bucket
    DeletionPolicy: Delete
    Properties:
      BucketName: md-quiet
"""
GONE = """
Resources:
  Gone:
    Type: AWS::S3::Bucket
    DeletionPolicy: Delete
    Properties:
      BucketName: md-gone
"""


def test_a_mixed_plan_as_a_comment(stack: Stack) -> None:
    stack.write("main.yaml", TREE.replace("SPEC", "SYMMETRIC_DEFAULT"))
    stack.write("gone.yaml", GONE)
    assert stack.apply("--parameter", "Token=hush3141").code == 0
    boto3.client("s3").put_bucket_versioning(
        Bucket="md-drifty", VersioningConfiguration={"Status": "Suspended"})
    stack.remove("gone.yaml")
    stack.write("main.yaml", TREE.replace("SPEC", "RSA_2048") + """
  Fresh:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: md-fresh
""")
    result = stack.cli("plan", str(stack.desired), "--state", str(stack.state), "--output",
                       "markdown", "--parameter", "Token=hush2718")
    assert result.code == 2, result.err
    out = result.out
    assert out.startswith(MARKER + "\n### reconciler plan: Plan: 1 to create, 1 to update, "
                          "0 to replace, 1 to delete")
    assert "| InSync | 1 |" in out and "| Drifted | 2 |" in out and "| Missing | 1 |" in out
    assert "| Blocked | 1 |" in out and "| blocked | 1 |" in out
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `[^`]+` \| (\w+) \|.*$", out,
                                                         re.M)}
    assert set(rows) == {"Drifty", "DataKey", "Fresh", "Gone"}  # Quiet is in sync
    assert "| `~` | Drifty | AWS::S3::Bucket | Drifted | update |" in rows["Drifty"]
    assert "| `+` | Fresh |" in rows["Fresh"] and "| `-` | Gone |" in rows["Gone"]
    assert "**blocked**" in rows["DataKey"] and "AllowReplace" in rows["DataKey"]
    assert out.count("<details>") == 4 and out.count("</details>") == 4
    drifty = out[out.index("<summary><code>~ Drifty</code>"):]
    drifty = drifty[:drifty.index("</details>")]
    assert "```diff\n" in drifty
    assert '  /VersioningConfiguration/Status\n- "Suspended"\n+ "Enabled"' in drifty
    assert f'  /Tags/token\n- "{MASK}"\n+ "{MASK}"' in drifty
    assert '+ /BucketName: "md-fresh"' in out
    assert "hush" not in out and "hush" not in result.err


def plan_of(*changes: Change) -> Plan:
    return Plan(list(changes), revision="abc123")


def test_values_from_the_tree_cannot_inject_markdown_or_html() -> None:
    hostile = "<script>alert(1)</script> | *bold* [link](http://x) `code` @team"
    change = Change("Web", "AWS::S3::Bucket", Status.BLOCKED, Action.REPLACE, blocked=True,
                    reason=hostile,
                    diff=[DiffEntry("/Tags/k", "a```b", "</details><b>x</b>\n```\nout")])
    out = render_markdown(plan_of(change))
    outside_code = re.sub(r"````diff\n.*?\n````", "", out, flags=re.S)
    assert "<script>" not in outside_code and "<b>x</b>" not in outside_code
    row = next(line for line in out.splitlines() if line.startswith("| `-/+` | Web"))
    assert "&lt;script&gt;" in row and r"\| \*bold\* \[link\]\(http://x\) \`code\`" in row
    assert row.count(" | ") == 5  # the pipe in the reason did not open a column
    # The diff's fence is longer than any backtick run inside it, so nothing escapes it.
    assert "\n````diff\n" in out and "\n````\n\n</details>" in out
    assert outside_code.count("</details>") == 1  # the value's own stays inside the code
    assert cell("a\nb\tc") == "a b c"
    assert fenced(["x ``` y"]).startswith("````\n")


def test_the_comment_stays_within_githubs_limit_and_says_what_it_left_out() -> None:
    changes = [Change(f"Res{i:04d}", "AWS::S3::Bucket", Status.DRIFTED, Action.UPDATE,
                      diff=[DiffEntry(f"/Tags/k{j}", "x" * 40, "y" * 40) for j in range(5)])
               for i in range(800)]
    out = render_markdown(plan_of(*changes))
    assert len(out) <= LIMIT
    details = out.count("<details>")
    assert 0 < details < 800
    assert f"_{800 - details} of 800 resource diff(s) not shown: the comment is limited to " \
           f"{LIMIT} characters." in out
    assert out.rstrip().endswith("for the whole plan._")

    many = [Change(f"R{i}", "AWS::S3::Bucket", Status.MISSING, Action.CREATE)
            for i in range(5000)]
    out = render_markdown(plan_of(*many))
    assert len(out) <= LIMIT
    listed = len(re.findall(r"^\| `\+` \|", out, re.M))
    assert 0 < listed < 5000
    assert f"_{5000 - listed} more resource(s) not listed" in out


def test_one_huge_diff_is_cut_inside_its_section() -> None:
    change = Change("Big", "AWS::S3::Bucket", Status.DRIFTED, Action.UPDATE,
                    diff=[DiffEntry(f"/Tags/k{j}", "x" * 100, "y" * 100) for j in range(2000)])
    out = render_markdown(plan_of(change))
    assert len(out) <= LIMIT and out.count("<details>") == 1
    assert re.search(r"… \d+ more line\(s\) not shown", out)


def test_nothing_to_do() -> None:
    out = render_markdown(plan_of(Change("A", "AWS::S3::Bucket", Status.IN_SYNC)))
    assert out == (f"{MARKER}\n### reconciler plan: Plan: 0 to create, 0 to update, 0 to "
                   "replace, 0 to delete, 0 to orphan; 0 blocked, 0 errors.\n\n"
                   "Revision `abc123`\n\nNo changes. 1 resource(s) in sync.\n")


def test_the_readme_shows_the_committed_workflow() -> None:
    root = Path(__file__).resolve().parents[1]
    committed = (root / "deploy/github/plan-comment.yml").read_text()
    assert f"```yaml\n{committed}```" in (root / "README.md").read_text()
    workflow = yaml.safe_load(committed)
    assert workflow["permissions"]["id-token"] == "write"  # OIDC, no stored AWS keys
    steps = workflow["jobs"]["plan"]["steps"]
    run = next(s for s in steps if s.get("id") == "plan")
    assert 'reconciler plan desired --output markdown --base "origin/${BASE_REF}"' in run["run"]
    assert run["env"]["BASE_REF"] == "${{ github.base_ref }}"
    script = next(s for s in steps if "github-script" in s.get("uses", ""))["with"]["script"]
    assert MARKER in script and "updateComment" in script
