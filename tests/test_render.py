"""`reconciler render`: the tree as one CloudFormation template that the loader and cfn-lint
read as the tree itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli import main
from reconciler.kinds.registry import catalog
from reconciler.template.files import discover, read_fragment
from reconciler.template.loader import load_tree
from reconciler.template.model import Template

ROOT = Path(__file__).resolve().parent.parent
DESIRED = ROOT / "desired"
LAYER = "PostgresDriverLayerArn=arn:aws:lambda:us-east-1:123456789012:layer:pg8000:1"
# desired/'s conditions read the account (the local emulator has no provisioned concurrency):
# the CLI asks the emulator here (the ``aws`` fixture), the loader is told.
PSEUDO = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"}


def render(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["render", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def load(path: Path, parameters: dict[str, str]) -> Template:
    return load_tree(path, parameters, catalog(), pseudo=PSEUDO)


def resources(template: Template) -> dict[str, Any]:
    return {name: (r.type, r.properties, r.depends_on, r.deletion_policy,
                   r.update_replace_policy, r.settings)
            for name, r in template.resources.items()}


@pytest.mark.parametrize(("output", "suffix"), [("yaml", ".yaml"), ("json", ".json")])
@pytest.mark.parametrize("parameters", [{}, dict([LAYER.split("=", 1)])])
def test_the_rendered_file_loads_as_the_tree(output: str, suffix: str,
                                             parameters: dict[str, str], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             aws: Any) -> None:
    flags = [f"--parameter={k}={v}" for k, v in parameters.items()]
    code, out, err = render(capsys, str(DESIRED), "--output", output, *flags)
    assert code == 0, err
    single = tmp_path / f"rendered{suffix}"
    single.write_text(out)
    tree, rendered = load(DESIRED, parameters), load(single, parameters)
    assert resources(rendered) == resources(tree)
    assert rendered.order == tree.order
    assert (rendered.parameters, rendered.conditions) == (tree.parameters, tree.conditions)
    assert rendered.conditions["HasPostgresDriverLayer"] is bool(parameters)
    assert rendered.conditions["OnLocalEmulator"] is True


def test_sections_are_as_written_in_long_form(capsys: pytest.CaptureFixture[str],
                                              aws: Any) -> None:
    code, out, _ = render(capsys, str(DESIRED), f"--parameter={LAYER}")
    assert code == 0
    template = yaml.safe_load(out)  # no CloudFormation tags: any YAML tool reads it
    assert list(template) == ["AWSTemplateFormatVersion", "Description", "Parameters",
                              "Mappings", "Conditions", "Resources"]
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    # Declarations, not the values given: CloudFormation tools check declarations.
    assert template["Parameters"]["PostgresDriverLayerArn"]["Default"] == ""
    assert template["Conditions"]["IsProd"] == {"Fn::Equals": [{"Ref": "Env"}, "prod"]}
    resources = template["Resources"]
    assert resources["DataKeyAlias"]["Properties"]["TargetKeyId"] == {"Ref": "DataKey"}
    encryption = resources["CloudTrailLogBucket"]["Properties"]["BucketEncryption"]
    default = encryption["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert default["KMSMasterKeyID"] == {"Fn::GetAtt": ["AuditLogKey", "Arn"]}
    assert resources["ToronTier3Cache"]["Metadata"] == {
        "Reconciler": {"IgnoreDrift": ["/ProvisionedThroughput"]}}
    # A value under a condition is part of the template, with its Fn::If.
    concurrency = resources["ToronApiLiveAlias"]["Properties"]["ProvisionedConcurrencyConfig"]
    assert concurrency["Fn::If"][0] == "HasProvisionedConcurrency"
    assert list(resources) == _declared_in_file_order()


def _declared_in_file_order() -> list[str]:
    names: list[str] = []
    for source in discover(DESIRED)[0]:
        document, _ = read_fragment(source)
        names += list((document or {}).get("Resources") or {})
    return names


def test_an_invalid_tree_fails_like_validate(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.yaml").write_text(
        "Resources:\n  Thing:\n    Type: AWS::KMS::Key\n    Properties:\n"
        "      Description: !Ref Nowhere\n")
    code, out, err = render(capsys, str(tmp_path))
    assert code == 1
    assert out == ""
    assert f"{tmp_path}/bad.yaml:5: resource 'Thing'" in err and "Nowhere" in err


def test_cfn_lint_finds_no_errors_in_the_rendered_desired_tree(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], aws: Any) -> None:
    code, out, _ = render(capsys, str(DESIRED), f"--parameter={LAYER}")
    assert code == 0
    rendered = tmp_path / "desired.yaml"
    rendered.write_text(out)
    # The same template with a reference broken, to show cfn-lint reads what we print.
    broken = tmp_path / "broken.yaml"
    broken.write_text(out.replace("Ref: DataKey\n", "Ref: NoSuchKey\n", 1))
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run([str(cfn_lint), "--format", "json", str(rendered), str(broken)],
                            capture_output=True, text=True, timeout=300)
    findings = json.loads(result.stdout)
    errors = [f for f in findings if f["Level"] == "Error"]
    assert [f["Filename"] for f in errors] == [str(broken)], json.dumps(errors, indent=1)
    assert "NoSuchKey" in errors[0]["Message"]
