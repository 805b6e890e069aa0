"""A new revision's scope: changed resources, their dependents and their dependencies."""

from __future__ import annotations

import textwrap
from pathlib import Path

from reconciler.engine.scope import changed_scope
from reconciler.kinds.registry import catalog
from reconciler.template.loader import load_tree
from reconciler.template.model import Template

BASE = """
Parameters:
  Env: {Type: String, Default: prod}
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties: {Description: key}
  Alias:
    Type: AWS::KMS::Alias
    Properties: {AliasName: alias/a, TargetKeyId: !Ref Key}
  Other:
    Type: AWS::S3::Bucket
    Properties: {BucketName: other-bucket}
  Lonely:
    Type: AWS::S3::Bucket
    Properties: {BucketName: lonely-bucket}
"""


def load(tmp_path: Path, name: str, text: str) -> Template:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "t.yaml").write_text(textwrap.dedent(text))
    return load_tree(folder, {}, catalog(), pseudo={"AWS::Region": "us-east-1"})


def test_unchanged_tree_has_an_empty_scope(tmp_path: Path) -> None:
    assert changed_scope(load(tmp_path, "a", BASE), load(tmp_path, "b", BASE)) == frozenset()


def test_changed_resource_brings_its_dependents_and_their_dependencies(tmp_path: Path) -> None:
    new = BASE.replace("{Description: key}", "{Description: changed}")
    scope = changed_scope(load(tmp_path, "a", BASE), load(tmp_path, "b", new))
    assert scope == {"Key", "Alias"}


def test_changed_dependent_brings_what_it_references(tmp_path: Path) -> None:
    new = BASE.replace("alias/a", "alias/b")
    assert changed_scope(load(tmp_path, "a", BASE), load(tmp_path, "b", new)) == {"Alias", "Key"}


def test_added_and_removed_resources_are_in_scope(tmp_path: Path) -> None:
    new = BASE.replace("""  Lonely:
    Type: AWS::S3::Bucket
    Properties: {BucketName: lonely-bucket}
""", """  Added:
    Type: AWS::S3::Bucket
    Properties: {BucketName: added-bucket}
""")
    scope = changed_scope(load(tmp_path, "a", BASE), load(tmp_path, "b", new))
    assert scope == {"Added", "Lonely"}


def test_a_parameter_change_puts_everything_in_scope(tmp_path: Path) -> None:
    new = BASE.replace("Default: prod", "Default: dev")
    assert changed_scope(load(tmp_path, "a", BASE), load(tmp_path, "b", new)) is None


def test_a_dotted_attribute_is_a_member_of_an_attribute() -> None:
    from reconciler.engine.context import RunLookup
    from reconciler.kinds.base import Observation
    from reconciler.kinds.registry import kind_class
    from reconciler.template.model import Unknown

    lookup = RunLookup()
    lookup.observations["Db"] = Observation("db-1", {}, attributes={
        "Endpoint": {"Address": "db.example", "Port": 5432}})
    assert lookup.get_att("Db", "Endpoint.Address") == "db.example"
    assert lookup.get_att("Db", "Endpoint.Port") == 5432
    assert lookup.get_att("Db", "Endpoint.Nope") == Unknown("Db.Endpoint.Nope")
    cluster = kind_class("AWS::RDS::DBCluster")
    assert cluster is not None
    nested = cluster.type_schema().nested_attributes
    assert {"Endpoint.Address", "Endpoint.Port", "ReadEndpoint.Address"} <= nested
