"""DeletionPolicy (and UpdateReplacePolicy) Snapshot: accepted by the loader for kinds that
declare ``supports_snapshot``, an error naming file and line for any other kind. What a
snapshot deletion does is each kind's (tests/test_kind_rds_db_cluster.py,
tests/test_kind_rds_db_instance.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ValidationFailed
from reconciler.kinds.registry import catalog
from reconciler.template.loader import load_tree

TREE = """Resources:
  Cluster:
    Type: AWS::RDS::DBCluster
    DeletionPolicy: Snapshot
    UpdateReplacePolicy: Snapshot
    Properties: {Engine: aurora-postgresql, MasterUsername: admin1}
  Logs:
    Type: AWS::Logs::LogGroup
    DeletionPolicy: Snapshot
    UpdateReplacePolicy: Snapshot
    Properties: {RetentionInDays: 7}
  Other:
    Type: AWS::Logs::LogGroup
    DeletionPolicy: Snapshots
"""


def test_snapshot_only_where_the_kind_supports_it(tmp_path: Path) -> None:
    (tmp_path / "tree.yaml").write_text(TREE)
    with pytest.raises(ValidationFailed) as failed:
        load_tree(tmp_path, {}, catalog())
    messages = {f"{i.line}: {i.message}" for i in failed.value.issues}
    assert messages == {
        "14: resource 'Other': DeletionPolicy must be one of Delete, Retain, Snapshot",
        "9: resource 'Logs': DeletionPolicy Snapshot is not supported by AWS::Logs::LogGroup "
        "(Delete or Retain)",
        "10: resource 'Logs': UpdateReplacePolicy Snapshot is not supported by "
        "AWS::Logs::LogGroup (Delete or Retain)",
    }
    assert all(str(i.file).endswith("tree.yaml") for i in failed.value.issues)
    assert not [m for m in messages if "'Cluster'" in m]


def test_the_kinds_that_take_a_snapshot() -> None:
    kinds = catalog()
    assert {t for t in kinds if kinds[t].supports_snapshot} == {
        "AWS::RDS::DBCluster", "AWS::RDS::DBInstance"}
