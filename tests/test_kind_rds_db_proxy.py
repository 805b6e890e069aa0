"""What is particular to AWS::RDS::DBProxy: ModifyDBProxy and Pending.

moto does not implement ModifyDBProxy (HTTP 500) and makes a proxy available at once, so
both are tested with ``botocore.stub.Stubber`` (requests checked against the RDS model).
"""

from __future__ import annotations

import datetime
from typing import Any

import boto3
from botocore.stub import ANY, Stubber

from reconciler.aws.normalize import OWNER_TAG
from reconciler.kinds.base import Observation
from reconciler.kinds.rds_db_proxy import DBProxy
from tests.stubbing import OneClient

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:aurora-AbCdEf"
AUTH = [{"AuthScheme": "SECRETS", "SecretArn": SECRET, "IAMAuth": "REQUIRED"}]
DESIRED = {"DBProxyName": "px", "EngineFamily": "POSTGRESQL", "Auth": AUTH,
           "RoleArn": "arn:aws:iam::123456789012:role/proxy", "VpcSubnetIds": ["s-1", "s-2"],
           "VpcSecurityGroupIds": ["sg-1"], "RequireTLS": True, "IdleClientTimeout": 1800,
           "DebugLogging": False}


def _client() -> Any:
    return boto3.client("rds", region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x")


def _answer(status: str) -> dict[str, Any]:
    return {"DBProxyName": "px", "Status": status, "EngineFamily": "POSTGRESQL",
            "DBProxyArn": "arn:aws:rds:us-east-1:123456789012:db-proxy:prx-1",
            "VpcSubnetIds": ["s-1", "s-2"], "VpcSecurityGroupIds": ["sg-1"],
            "Auth": AUTH, "RoleArn": DESIRED["RoleArn"], "RequireTLS": True,
            "IdleClientTimeout": 1800, "DebugLogging": False,
            "CreatedDate": datetime.datetime(2026, 1, 1)}


def test_a_proxy_being_created_is_pending_stubbed() -> None:
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("create_db_proxy", {"DBProxy": _answer("creating")},
                          {**DESIRED, "Tags": ANY})
        stub.add_response("describe_db_proxies", {"DBProxies": [_answer("creating")]},
                          {"DBProxyName": "px"})
        stub.add_response("list_tags_for_resource", {"TagList": []},
                          {"ResourceName": _answer("creating")["DBProxyArn"]})
        created = DBProxy(OneClient(client)).create(DESIRED, {OWNER_TAG: "reconciler"})
        stub.assert_no_pending_responses()
    assert created.pending == "Status creating"


def test_modify_db_proxy_sends_every_change_in_one_call_stubbed() -> None:
    """Stubbed (moto lacks ModifyDBProxy): security groups go as ``SecurityGroups``; the
    answer's ``modifying`` is pending."""
    client = _client()
    observed = Observation("px", {**DESIRED, "RequireTLS": False, "IdleClientTimeout": 600,
                                  "VpcSecurityGroupIds": ["sg-0"]})
    changed = frozenset({"RequireTLS", "IdleClientTimeout", "VpcSecurityGroupIds", "Auth"})
    with Stubber(client) as stub:
        stub.add_response("modify_db_proxy", {"DBProxy": _answer("modifying")}, {
            "DBProxyName": "px", "RequireTLS": True, "IdleClientTimeout": 1800,
            "SecurityGroups": ["sg-1"], "Auth": AUTH})
        after = DBProxy(OneClient(client)).update("px", DESIRED, observed, changed)
        stub.assert_no_pending_responses()
    assert after is not None and after.pending == "Status modifying"


def test_a_secrets_auth_entry_needs_its_secret() -> None:
    found = DBProxy.validate({"Auth": [{"AuthScheme": "SECRETS", "IAMAuth": "REQUIRED"}]})
    assert found[0][0] == "/Auth/0/SecretArn"
    assert DBProxy.validate({"Auth": AUTH}) == []
