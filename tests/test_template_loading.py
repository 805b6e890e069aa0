"""Loading valid trees: merging, parameters, conditions, dependencies and order."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.kinds.base import Kind
from reconciler.template.intrinsics import resolve
from reconciler.template.loader import load_tree
from reconciler.template.model import ReconcilerSettings, ResourceLookup, Template


class FakeKey(Kind):
    """Stands in for the real KMS key kind (kinds are tested on their own)."""

    type_name = "AWS::KMS::Key"
    schema_file = "aws-kms-key.json"
    managed_properties = frozenset({"Description", "EnableKeyRotation", "KeyPolicy",
                                    "PendingWindowInDays", "Tags"})
    attributes = frozenset({"Arn", "KeyId"})


class FakeTable(Kind):
    type_name = "AWS::DynamoDB::Table"
    schema_file = "aws-dynamodb-table.json"
    managed_properties = frozenset({"TableName", "BillingMode", "AttributeDefinitions",
                                    "KeySchema", "SSESpecification", "TimeToLiveSpecification"})
    attributes = frozenset({"Arn", "StreamArn"})


CATALOG = {kind.type_name: kind for kind in (FakeKey, FakeTable)}
PSEUDO = {"AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012",
          "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}

DESIGN_EXAMPLE = """\
Parameters:
  Env: {Type: String, Default: prod}
Resources:
  DataKey:
    Type: AWS::KMS::Key
    Properties:
      Description: !Sub "toron data key (${Env})"
      EnableKeyRotation: true
  CacheTable:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain
    Metadata:
      Reconciler:
        Mode: enforce            # enforce | detect | observe
        IgnoreDrift: [/ProvisionedThroughput]
    Properties:
      TableName: !Sub "toron-cache-${Env}"
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      TimeToLiveSpecification: {AttributeName: expires_at, Enabled: true}
      SSESpecification: {SSEEnabled: true, SSEType: KMS, KMSMasterKeyId: !Ref DataKey}
"""

Load = Callable[..., Template]


class FakeLookup(ResourceLookup):
    """Answers like the engine would after observing: ARNs derived from the logical ID."""

    def ref(self, logical_id: str) -> Any:
        return f"id-{logical_id}"

    def get_att(self, logical_id: str, attribute: str) -> Any:
        return f"arn:{logical_id}:{attribute}"


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Load:
    monkeypatch.chdir(tmp_path)

    def load(files: dict[str, str], parameters: dict[str, str] | None = None,
             path: str = "desired", **options: Any) -> Template:
        for name, content in files.items():
            file = tmp_path / "desired" / name
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(content)
        return load_tree(path, parameters or {}, CATALOG, **options)

    return load


def test_design_example(tree: Load) -> None:
    template = tree({"stack.yaml": DESIGN_EXAMPLE})
    assert template.order == ["DataKey", "CacheTable"]
    assert template.files == ["desired/stack.yaml"]
    table = template.resources["CacheTable"]
    assert (table.file, table.line, table.type) == ("desired/stack.yaml", 9,
                                                    "AWS::DynamoDB::Table")
    assert table.depends_on == ("DataKey",)
    assert table.deletion_policy == "Retain"
    assert table.update_replace_policy is None
    assert table.settings == ReconcilerSettings(mode="enforce",
                                                ignore_drift=("/ProvisionedThroughput",))
    assert table.properties["SSESpecification"]["KMSMasterKeyId"] == {"Ref": "DataKey"}
    resolved = resolve(table.properties, template, FakeLookup(), PSEUDO)
    assert resolved["TableName"] == "toron-cache-prod"
    assert resolved["SSESpecification"]["KMSMasterKeyId"] == "id-DataKey"


def test_settings_default_when_no_metadata(tree: Load) -> None:
    template = tree({"a.yaml": "Resources:\n  K:\n    Type: AWS::KMS::Key\n    Metadata:\n"
                               "      Owner: team-a\n      Reconciler: {Adopt: true, "
                               "AllowReplace: true, Mode: observe}\n"})
    assert template.resources["K"].settings == ReconcilerSettings(
        mode="observe", adopt=True, allow_replace=True)


def test_parameters_defaults_and_overrides(tree: Load) -> None:
    template = tree({"params.yaml": """\
Parameters:
  Env: {Type: String, Default: prod, AllowedValues: [prod, dev]}
  Days: {Type: Number, Default: 7, MinValue: 7, MaxValue: 30}
  Ratio: {Type: Number, Default: "0.5"}
  Names: {Type: CommaDelimitedList, Default: "a, b,c"}
  Sizes: {Type: List<Number>, Default: "1,2.5"}
  Secret: {Type: String, NoEcho: true}
"""}, {"Env": "dev", "Days": "10", "Secret": "s3cr3t"})
    assert template.parameters == {"Env": "dev", "Days": 10, "Ratio": 0.5,
                                   "Names": ["a", "b", "c"], "Sizes": [1, 2.5],
                                   "Secret": "s3cr3t"}
    assert template.no_echo_parameters == frozenset({"Secret"})


def test_conditions_exclude_resources_and_pick_branches(tree: Load) -> None:
    template = tree({"a.yaml": """\
Parameters:
  Env: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  InIreland: !Equals [!Ref "AWS::Region", eu-west-1]
  DevInIreland: !And [!Condition IsDev, !Condition InIreland]
Resources:
  ProdKey:
    Type: AWS::KMS::Key
    Condition: IsProd
  Key:
    Type: AWS::KMS::Key
    Properties:
      Description: !If [IsProd, !GetAtt ProdKey.Arn, development]
      PendingWindowInDays: !If [DevInIreland, 7, !Ref "AWS::NoValue"]
      EnableKeyRotation: !If [IsProd, true, !Ref "AWS::NoValue"]
"""}, pseudo=PSEUDO)
    assert template.conditions == {"IsProd": False, "IsDev": True, "InIreland": True,
                                   "DevInIreland": True}
    assert list(template.resources) == ["Key"]
    # The untaken branch names ProdKey, which is left out: not an error, not a dependency.
    assert template.resources["Key"].depends_on == ()
    resolved = resolve(template.resources["Key"].properties, template, FakeLookup(), PSEUDO)
    assert resolved == {"Description": "development", "PendingWindowInDays": 7}


def test_condition_override_flips_the_tree(tree: Load) -> None:
    files = {"a.yaml": "Parameters:\n  Env: {Type: String, Default: dev}\nConditions:\n"
                       "  IsProd: !Equals [prod, !Ref Env]\nResources:\n  ProdKey:\n"
                       "    Type: AWS::KMS::Key\n    Condition: IsProd\n"}
    assert tree(files).resources == {}
    assert list(tree(files, {"Env": "prod"}).resources) == ["ProdKey"]


def test_cross_file_references_and_explicit_depends_on(tree: Load) -> None:
    template = tree({
        "keys/data.yaml": "Resources:\n  DataKey:\n    Type: AWS::KMS::Key\n",
        "keys/logs.yaml": "Resources:\n  LogKey:\n    Type: AWS::KMS::Key\n",
        "tables.yaml": "Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n"
                       "    DependsOn: LogKey\n    Properties:\n"
                       "      KeySchema: [{AttributeName: pk, KeyType: HASH}]\n"
                       "      SSESpecification:\n        SSEEnabled: true\n        SSEType: KMS\n"
                       "        KMSMasterKeyId: !Sub '${DataKey.Arn}'\n",
    })
    assert template.files == ["desired/keys/data.yaml", "desired/keys/logs.yaml",
                              "desired/tables.yaml"]
    assert template.resources["Table"].depends_on == ("DataKey", "LogKey")
    assert template.resources["DataKey"].file == "desired/keys/data.yaml"


def test_topological_order_is_dependencies_first_then_by_name(tree: Load) -> None:
    resources = "\n".join(
        f"  {name}:\n    Type: AWS::KMS::Key\n    DependsOn: [{', '.join(deps)}]"
        for name, deps in [("Zeta", []), ("Alpha", ["Mid"]), ("Mid", ["Zeta", "Beta"]),
                           ("Beta", []), ("Omega", [])])
    template = tree({"a.yaml": "Resources:\n" + resources + "\n"})
    assert template.order == ["Beta", "Omega", "Zeta", "Mid", "Alpha"]


def test_sub_variants(tree: Load) -> None:
    template = tree({"a.yaml": """\
Parameters:
  Env: {Type: String, Default: prod}
Resources:
  Other:
    Type: AWS::KMS::Key
  Key:
    Type: AWS::KMS::Key
    Properties:
      Description: !Sub
        - "${Env}|${Other}|${Other.Arn}|${AWS::Region}|${AWS::AccountId}|${!Literal}|${Local}"
        - Local: !GetAtt Other.KeyId
"""}, pseudo=PSEUDO)
    key = template.resources["Key"]
    assert key.depends_on == ("Other",)
    assert resolve(key.properties, template, FakeLookup(), PSEUDO)["Description"] == (
        "prod|id-Other|arn:Other:Arn|eu-west-1|123456789012|${Literal}|arn:Other:KeyId")


def test_json_fragment_has_lines(tree: Load) -> None:
    fragment = {"Resources": {"Key": {"Type": "AWS::KMS::Key",
                                      "Properties": {"Description": "from json"}}}}
    template = tree({"a.json": json.dumps(fragment, indent="\t")})
    key = template.resources["Key"]
    assert key.line == 3
    assert key.properties.key_lines == {"Description": 6}


def test_single_file_path_empty_files_and_skipped_files(tree: Load, tmp_path: Path) -> None:
    files = {"a.yaml": DESIGN_EXAMPLE, "empty.yml": "", "notes.yaml": "Description: none\n",
             ".hidden/x.yaml": "not: [valid", ".github/ci.yaml": "on: push\nOutputs: {}\n",
             "README.md": "# not a template"}
    assert tree(files).files == ["desired/a.yaml", "desired/empty.yml", "desired/notes.yaml"]
    assert tree({}, path="desired/a.yaml").files == ["desired/a.yaml"]
    assert tree({}, path=str(tmp_path / "desired" / "empty.yml")).resources == {}


def test_a_thousand_resources_load_quickly(tree: Load) -> None:
    lines = ["Resources:"]
    for index in range(1000):
        lines += [f"  Key{index}:", "    Type: AWS::KMS::Key", "    Properties:",
                  f"      Description: !Sub 'key ${{Key{max(index - 1, 0)}.Arn}}'",
                  "      EnableKeyRotation: true", "      PendingWindowInDays: 7",
                  "      Tags: [{Key: team, Value: data}]"]
    lines[4] = "      Description: first"
    tree({"warmup.yaml": "Resources: {}\n"})
    started = time.perf_counter()
    template = tree({"many.yaml": "\n".join(lines) + "\n"})
    elapsed = time.perf_counter() - started
    assert len(template.order) == 1000
    assert template.order[:2] == ["Key0", "Key1"]
    assert elapsed < 2.0, elapsed
