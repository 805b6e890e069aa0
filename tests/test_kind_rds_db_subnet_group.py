"""What is particular to AWS::RDS::DBSubnetGroup: its modification.

moto's ModifyDBSubnetGroup deletes the group (a moto bug), so the update is tested with
``botocore.stub.Stubber``, which checks the request against the RDS model.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import Stubber

from reconciler.kinds.base import Observation
from reconciler.kinds.rds_db_subnet_group import DBSubnetGroup
from tests.stubbing import OneClient

OBSERVED = Observation("ryuzen-db", {"DBSubnetGroupName": "ryuzen-db",
                                     "DBSubnetGroupDescription": "old",
                                     "SubnetIds": ["subnet-a", "subnet-b"]})


def _client() -> Any:
    return boto3.client("rds", region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x")


def _answer(description: str, subnets: list[str]) -> dict[str, Any]:
    return {"DBSubnetGroup": {"DBSubnetGroupName": "ryuzen-db",
                              "DBSubnetGroupDescription": description,
                              "Subnets": [{"SubnetIdentifier": s} for s in subnets]}}


def test_a_description_change_sends_the_current_subnets_too_stubbed() -> None:
    """ModifyDBSubnetGroup requires SubnetIds even when only the description changes."""
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("modify_db_subnet_group", _answer("new", ["subnet-a", "subnet-b"]), {
            "DBSubnetGroupName": "ryuzen-db", "DBSubnetGroupDescription": "new",
            "SubnetIds": ["subnet-a", "subnet-b"]})
        DBSubnetGroup(OneClient(client)).update(
            "ryuzen-db", {**OBSERVED.properties, "DBSubnetGroupDescription": "new"}, OBSERVED,
            frozenset({"DBSubnetGroupDescription"}))
        stub.assert_no_pending_responses()


def test_a_subnet_and_description_change_is_one_call_stubbed() -> None:
    client = _client()
    desired = {"DBSubnetGroupName": "ryuzen-db", "DBSubnetGroupDescription": "both",
               "SubnetIds": ["subnet-a", "subnet-c"]}
    with Stubber(client) as stub:
        stub.add_response("modify_db_subnet_group", _answer("both", ["subnet-a", "subnet-c"]), {
            "DBSubnetGroupName": "ryuzen-db", "DBSubnetGroupDescription": "both",
            "SubnetIds": ["subnet-a", "subnet-c"]})
        DBSubnetGroup(OneClient(client)).update(
            "ryuzen-db", desired, OBSERVED, frozenset({"DBSubnetGroupDescription", "SubnetIds"}))
        stub.assert_no_pending_responses()


def test_generated_names_take_the_form_rds_keeps() -> None:
    name = DBSubnetGroup(OneClient(None)).generated_name("AuroraSubnets", "Team_A")[
        "DBSubnetGroupName"]
    assert name.startswith("team-a-aurorasubnets-") and name == name.lower()
