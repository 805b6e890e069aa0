"""What is particular to the WAFv2 web ACL and its association (the contract suite covers
each one's round trip): rules compared by name (loosened, added, removed out of band), the
LockToken of the read carried by the update and a stale one retried once, and the ARNs
AWS refuses to associate. On moto (which enforces the LockToken) except where a test says
it is stubbed.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from reconciler.kinds.base import TransientError
from reconciler.kinds.wafv2_web_acl import WebAcl, WebAclObservation
from reconciler.kinds.wafv2_web_acl_association import WebAclAssociation
from tests.harness import Stack
from tests.stubbing import OneClient


def _visibility(name: str) -> str:
    return (f"{{SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, "
            f"MetricName: {name}}}")


ACL = f"""
Resources:
  Acl:
    Type: AWS::WAFv2::WebACL
    Properties:
      Name: toron-test
      Scope: REGIONAL
      Description: rate limit and managed rules
      DefaultAction: {{Allow: {{}}}}
      VisibilityConfig: {_visibility("toron-test")}
      Rules:
        - Name: rate-limit
          Priority: 0
          Action: {{Block: {{}}}}
          Statement: {{RateBasedStatement: {{Limit: 2000, AggregateKeyType: IP}}}}
          VisibilityConfig: {_visibility("rate-limit")}
        - Name: aws-common
          Priority: 1
          OverrideAction: {{None: {{}}}}
          Statement:
            ManagedRuleGroupStatement: {{VendorName: AWS, Name: AWSManagedRulesCommonRuleSet}}
          VisibilityConfig: {_visibility("aws-common")}
        - Name: aws-sqli
          Priority: 2
          OverrideAction: {{None: {{}}}}
          Statement:
            ManagedRuleGroupStatement: {{VendorName: AWS, Name: AWSManagedRulesSQLiRuleSet}}
          VisibilityConfig: {_visibility("aws-sqli")}
"""


def _applied(stack: Stack) -> tuple[str, dict[str, str]]:
    stack.write("waf.yaml", ACL)
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    plan = stack.plan()
    assert plan.code == 0, plan.out
    physical_id = plan.change("Acl")["physical_id"]
    name, acl_id, scope = physical_id.split("|")
    assert (name, scope) == ("toron-test", "REGIONAL")
    return physical_id, {"Name": name, "Id": acl_id, "Scope": scope}


def _out_of_band(key: dict[str, str], change: Any) -> None:
    """Change the web ACL with plain boto3, as someone in the console would."""
    waf = boto3.client("wafv2")
    got = waf.get_web_acl(**key)
    acl = got["WebACL"]
    rules = change(acl["Rules"])
    waf.update_web_acl(**key, DefaultAction=acl["DefaultAction"], Rules=rules,
                       VisibilityConfig=acl["VisibilityConfig"], Description=acl["Description"],
                       LockToken=got["LockToken"])


def _rules(key: dict[str, str]) -> list[dict[str, Any]]:
    return list(boto3.client("wafv2").get_web_acl(**key)["WebACL"]["Rules"])


def _loosen_limit(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rules[0]["Statement"]["RateBasedStatement"]["Limit"] = 20000
    return rules


def _count_common(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rules[1]["OverrideAction"] = {"Count": {}}
    return rules


@pytest.mark.parametrize(("change", "path"), [
    (_loosen_limit, "/Rules/0/Statement/RateBasedStatement/Limit"),
    (_count_common, "/Rules/1/OverrideAction/None"),
])
def test_a_rule_loosened_out_of_band_is_drift_at_its_path_and_corrected(
        stack: Stack, change: Any, path: str) -> None:
    _, key = _applied(stack)
    _out_of_band(key, change)
    drifted = stack.plan()
    assert drifted.code == 2
    assert [d["path"] for d in drifted.change("Acl")["diff"]] == [path]
    fixed = stack.apply()
    assert fixed.code == 0, fixed.out + fixed.err
    assert stack.plan().code == 0
    rules = _rules(key)
    assert rules[0]["Statement"]["RateBasedStatement"]["Limit"] == 2000
    assert rules[1]["OverrideAction"] == {"None": {}}


def _added(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [*rules, {"Name": "allow-office", "Priority": 9, "Action": {"Allow": {}},
                     "Statement": {"GeoMatchStatement": {"CountryCodes": ["JP"]}},
                     "VisibilityConfig": {"SampledRequestsEnabled": False,
                                          "CloudWatchMetricsEnabled": False,
                                          "MetricName": "allow-office"}}]


def _removed(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rules if r["Name"] != "aws-sqli"]


@pytest.mark.parametrize("change", [_added, _removed])
def test_a_rule_added_or_removed_out_of_band_is_drift_and_corrected(stack: Stack,
                                                                    change: Any) -> None:
    _, key = _applied(stack)
    _out_of_band(key, change)
    drifted = stack.plan()
    assert drifted.code == 2
    [entry] = drifted.change("Acl")["diff"]
    assert entry["path"] == "/Rules"
    assert stack.apply().code == 0
    assert stack.plan().code == 0
    assert [r["Name"] for r in _rules(key)] == ["rate-limit", "aws-common", "aws-sqli"]


def test_rules_are_compared_by_name_not_by_position(stack: Stack) -> None:
    """The same rules in another order of the list (priorities unchanged) are no drift."""
    _, key = _applied(stack)
    _out_of_band(key, lambda rules: list(reversed(rules)))
    assert [r["Name"] for r in _rules(key)] == ["aws-sqli", "aws-common", "rate-limit"]
    assert stack.plan().code == 0


def test_an_update_carries_the_observed_lock_token_and_retries_a_stale_one_once(
        stack: Stack, clients: Any) -> None:
    """The token read by observe goes stale when someone updates the web ACL between the
    plan and the update (moto enforces LockToken): one fresh read, one retry, and what they
    changed that the template does not declare stays."""
    physical_id, key = _applied(stack)
    kind = WebAcl(clients)
    desired = {"Name": "toron-test", "Scope": "REGIONAL", "Description": "tightened"}
    observed = kind.observe(physical_id, desired)
    assert isinstance(observed, WebAclObservation) and observed.lock_token
    waf = boto3.client("wafv2")
    got = waf.get_web_acl(**key)
    waf.update_web_acl(**key, DefaultAction={"Block": {}}, Rules=got["WebACL"]["Rules"],
                       VisibilityConfig=got["WebACL"]["VisibilityConfig"],
                       LockToken=got["LockToken"])
    kind.update(physical_id, desired, observed, frozenset({"Description"}))
    after = waf.get_web_acl(**key)["WebACL"]
    assert after["Description"] == "tightened"
    assert after["DefaultAction"] == {"Block": {}}  # from the fresh read, not the stale one
    assert len(after["Rules"]) == 3


def test_a_lock_token_stale_twice_is_transient_stubbed() -> None:
    """Stubbed: two refusals in a row (someone keeps changing the web ACL) are not forced."""
    client = boto3.client("wafv2", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    key = {"Name": "toron", "Id": "a1b2c3", "Scope": "REGIONAL"}
    acl = {"Name": "toron", "Id": "a1b2c3", "ARN": "arn:aws:wafv2:us-east-1:123456789012:"
           "regional/webacl/toron/a1b2c3", "DefaultAction": {"Allow": {}},
           "VisibilityConfig": {"SampledRequestsEnabled": True,
                                "CloudWatchMetricsEnabled": True, "MetricName": "toron"}}
    stale = ("WAFOptimisticLockException", "AWS WAF couldn't save your changes because "
             "someone changed the resource after you started to edit it.")
    with Stubber(client) as stub:
        stub.add_client_error("update_web_acl", *stale)
        stub.add_response("get_web_acl", {"WebACL": acl, "LockToken": "fresh"}, key)
        stub.add_client_error("update_web_acl", *stale)
        observed = WebAclObservation("toron|a1b2c3|REGIONAL", {}, lock_token="old",
                                     current=acl)
        with pytest.raises(TransientError, match="stale LockToken twice"):
            WebAcl(OneClient(client)).update("toron|a1b2c3|REGIONAL", {"Description": "x"},
                                             observed, frozenset({"Description"}))
        stub.assert_no_pending_responses()


def test_the_web_acl_is_found_by_name_and_scope_before_its_id_is_known(
        stack: Stack, clients: Any) -> None:
    physical_id, _ = _applied(stack)
    kind = WebAcl(clients)
    found = kind.observe("toron-test|REGIONAL", {})
    assert found is not None and found.physical_id == physical_id
    assert found.attributes["Ref"] == physical_id
    assert set(found.attributes) >= {"Arn", "Id", "LabelNamespace"}
    assert kind.observe("nobody|REGIONAL", {}) is None


@pytest.mark.parametrize(("rule", "problem"), [
    ({"Name": "a", "Priority": 0, "Action": {"Block": {}},
      "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "X"}}},
     ("/Rules/0/Action", "a rule with a ManagedRuleGroupStatement takes OverrideAction, not "
                         "Action")),
    ({"Name": "a", "Priority": 0, "OverrideAction": {"None": {}},
      "Statement": {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}}},
     ("/Rules/0/OverrideAction", "a rule with a RateBasedStatement takes Action, not "
                                 "OverrideAction")),
    ({"Name": "a", "Priority": 0,
      "Statement": {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}}},
     ("/Rules/0", "a rule with a RateBasedStatement needs Action")),
])
def test_rules_aws_refuses_are_invalid(rule: dict[str, Any], problem: tuple[str, str]) -> None:
    assert WebAcl.validate({"Rules": [rule]}) == [problem]


def test_rule_names_and_priorities_are_unique() -> None:
    rule = {"Name": "a", "Priority": 0, "Action": {"Block": {}},
            "Statement": {"GeoMatchStatement": {"CountryCodes": ["JP"]}}}
    assert WebAcl.validate({"Rules": [rule, dict(rule)]}) == [
        ("/Rules/1/Name", "a is used by another rule"),
        ("/Rules/1/Priority", "0 is used by another rule")]


ALB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/toron/50dc6c495c0c"
REGIONAL = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/toron/a1b2c3"


@pytest.mark.parametrize(("props", "problems"), [
    ({"ResourceArn": ALB, "WebACLArn": REGIONAL}, []),
    ({"ResourceArn": ALB.replace("/app/", "/net/"), "WebACLArn": REGIONAL},
     [("/ResourceArn", "must be the ARN of an application load balancer or another resource "
                       "regional WAF protects")]),
    ({"ResourceArn": ALB, "WebACLArn": REGIONAL.replace(":us-east-1:", ":global:").replace(
        "regional/", "global/")},
     [("/WebACLArn", "must be the ARN of a REGIONAL web ACL")]),
    ({"ResourceArn": {"Ref": "Alb"}, "WebACLArn": {"Fn::GetAtt": ["Acl", "Arn"]}}, []),
])
def test_association_arns_aws_refuses_are_invalid(props: dict[str, Any],
                                                 problems: list[tuple[str, str]]) -> None:
    """moto associates a web ACL with anything, even a load balancer that does not exist."""
    assert WebAclAssociation.validate(props) == problems


def test_an_association_with_another_web_acl_is_missing_and_replaced(stack: Stack,
                                                                     clients: Any) -> None:
    """The association reads the resource's web ACL: another one there means ours is gone."""
    stack.write("waf.yaml", ACL)
    assert stack.apply().code == 0
    arn = boto3.client("wafv2").list_web_acls(Scope="REGIONAL")["WebACLs"][0]["ARN"]
    other = boto3.client("wafv2").create_web_acl(
        Name="other", Scope="REGIONAL", DefaultAction={"Allow": {}},
        VisibilityConfig={"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False,
                          "MetricName": "other"})["Summary"]["ARN"]
    boto3.client("wafv2").associate_web_acl(WebACLArn=other, ResourceArn=ALB)
    kind = WebAclAssociation(clients)
    assert kind.observe(f"{ALB}|{arn}", {}) is None
    seen = kind.observe(f"{ALB}|{other}", {})
    assert seen is not None and seen.properties == {"ResourceArn": ALB, "WebACLArn": other}
    kind.delete(f"{ALB}|{arn}", {})  # not ours: left alone
    assert kind.observe(f"{ALB}|{other}", {}) is not None
