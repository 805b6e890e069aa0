"""What is particular to AWS::RDS::DBProxyTargetGroup, on moto (with the local emulator's
fixes for target-group tags and unknown proxies, reconciler/aws/local_server.py): the
resource is the default group's registration, which AWS keeps with the proxy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from reconciler.kinds.rds_db_proxy_target_group import DBProxyTargetGroup
from reconciler.template.yaml_source import parse
from tests.harness import Stack

# The contract example's tree: a proxy, a cluster and the target group (Subject).
_EXAMPLE, _ = parse((Path(__file__).parent / "contract" / "rds_db_proxy_target_group.yaml")
                    .read_text())
TREE = json.dumps(json.loads(json.dumps(_EXAMPLE))["Template"])


def _targets() -> list[str]:
    answer = boto3.client("rds").describe_db_proxy_targets(DBProxyName="contract-target-proxy")
    return [t["RdsResourceId"] for t in answer["Targets"] if t["Type"] == "TRACKED_CLUSTER"]


def test_targets_deregistered_out_of_band_are_registered_again(stack: Stack) -> None:
    stack.write("tg.json", TREE)
    assert stack.apply().code == 0
    assert _targets() == ["contract-proxied"]
    boto3.client("rds").deregister_db_proxy_targets(
        DBProxyName="contract-target-proxy", DBClusterIdentifiers=["contract-proxied"])
    plan = stack.plan()
    assert plan.change("Subject")["status"] == "Missing"
    assert stack.apply().code == 0
    assert _targets() == ["contract-proxied"]
    assert stack.plan().code == 0


def test_the_group_of_a_proxy_that_does_not_exist_is_not_there(clients: Any) -> None:
    assert DBProxyTargetGroup(clients).observe("no-such-proxy|default", {}) is None


def test_a_target_group_names_its_clusters() -> None:
    assert DBProxyTargetGroup.validate({"DBProxyName": "p"})[0][0] == "/DBClusterIdentifiers"
    assert DBProxyTargetGroup.validate({"DBClusterIdentifiers": ["c"]}) == []
