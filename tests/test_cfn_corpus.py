"""The corpus: templates written here in the shapes real CloudFormation stacks take
(tests/corpus/*.yaml), each validated, applied over the shared moto server, planned clean,
and applied again with nothing to do.

Every template is used as it is, with its parameters' defaults. The account they are
applied in holds what accounts hold before such stacks: a customer managed policy
(``corpus-readonly``) that a role template attaches by an ARN built from the partition.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import boto3
import pytest

from tests.harness import Stack

CORPUS = Path(__file__).parent / "corpus"
TEMPLATES = sorted(CORPUS.glob("*.yaml"))


def test_the_corpus_is_there() -> None:
    assert len(TEMPLATES) >= 10, TEMPLATES


def _account_as_found() -> None:
    boto3.client("iam").create_policy(PolicyName="corpus-readonly", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.stem for t in TEMPLATES])
def test_validates_converges_and_stays_converged(stack: Stack, template: Path) -> None:
    shutil.copy(template, stack.desired / template.name)
    _account_as_found()
    stack_name = ("--stack-name", f"corpus-{template.stem[:12].replace('_', '-')}")

    validated = stack.cli("validate", str(stack.desired), *stack_name)
    assert validated.code == 0, validated.err
    assert "warning" not in validated.err, validated.err

    applied = stack.apply(*stack_name, "--output", "json")
    assert applied.code == 0, applied.err + json.dumps(
        [c for c in applied.json["changes"] if c.get("result") != "success"], indent=1)
    created = [c for c in applied.json["changes"] if c["action"] == "create"]
    assert created and all(c["result"] == "success" for c in created)

    plan = stack.plan(*stack_name)
    assert plan.code == 0, [c for c in plan.json["changes"] if c["status"] != "InSync"]
    assert {c["status"] for c in plan.json["changes"]} == {"InSync"}
    declared_outputs = "\nOutputs:" in template.read_text()
    if declared_outputs:
        outputs = plan.json["outputs"]
        assert outputs and all(o.get("value") not in (None, "") for o in outputs.values()), \
            outputs

    again = stack.apply(*stack_name, "--output", "json")
    assert again.code == 0, again.err
    assert {c["action"] for c in again.json["changes"]} == {"none"}


def test_a_template_with_a_transform_is_refused_by_name(stack: Stack) -> None:
    """SAM and macros expand a template into resources nobody declared: refused, not run."""
    text = (CORPUS / "bucket_with_policy.yaml").read_text()
    stack.write("t.yaml", 'Transform: "AWS::Serverless-2016-10-31"\n' + text)
    result = stack.cli("validate", str(stack.desired))
    assert result.code == 1
    assert "t.yaml:1: top-level section 'Transform' is not supported" in result.err, result.err
