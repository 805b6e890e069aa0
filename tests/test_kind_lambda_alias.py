"""What is particular to AWS::Lambda::Alias (the contract suite covers its round trip): an
alias moved to another version out of band, and routing weights, over moto; provisioned
concurrency (PutProvisionedConcurrencyConfig and kin), which moto lacks (HTTP 404), with
Stubber, including Pending until AWS reports it READY."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from reconciler.kinds.base import Observation
from reconciler.kinds.lambda_alias import LambdaAlias, ProvisionedConcurrencyFailed
from tests.harness import Stack
from tests.lambda_stack import function_tree

ALIAS = """
  One:
    Type: AWS::Lambda::Version
    Properties: {FunctionName: !Ref Function}
  Live:
    Type: AWS::Lambda::Alias
    Properties:
      FunctionName: !Ref Function
      FunctionVersion: !GetAtt One.Version
      Name: live
      RoutingConfig:
        AdditionalVersionWeights: [{FunctionVersion: "1", FunctionWeight: 0.25}]
"""


def test_an_alias_moved_to_another_version_out_of_band_is_moved_back(stack: Stack) -> None:
    stack.write("tree.yaml", function_tree(resources=ALIAS))
    assert stack.apply().code == 0
    assert stack.plan().code == 0  # routing weights read back in CloudFormation's shape
    client = boto3.client("lambda")
    client.update_function_configuration(FunctionName="lambda-tests", MemorySize=512)
    other = client.publish_version(FunctionName="lambda-tests")["Version"]
    client.update_function_configuration(FunctionName="lambda-tests", MemorySize=128)
    client.update_alias(FunctionName="lambda-tests", Name="live", FunctionVersion=other)

    drifted = stack.plan().change("Live")
    assert (drifted["action"], drifted["diff"]) == ("update", [
        {"path": "/FunctionVersion", "old": other, "new": "1"}])
    assert stack.apply().code == 0
    assert client.get_alias(FunctionName="lambda-tests", Name="live")["FunctionVersion"] == "1"
    assert stack.plan().code == 0


# --- provisioned concurrency, with Stubber (moto has none) --------------------------------

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:api"
DESIRED = {"FunctionName": "api", "Name": "live", "FunctionVersion": "3",
           "ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": 5}}


def _stubbed() -> tuple[LambdaAlias, Stubber]:
    from tests.stubbing import OneClient

    client = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    return LambdaAlias(OneClient(client)), Stubber(client)


def _alias(stub: Stubber, version: str = "3") -> None:
    stub.add_response("get_alias", {"AliasArn": f"{FUNCTION}:live", "Name": "live",
                                    "FunctionVersion": version},
                      {"FunctionName": "api", "Name": "live"})


def _allocation(stub: Stubber, status: str, requested: int = 5, **extra: Any) -> None:
    stub.add_response("get_provisioned_concurrency_config", {
        "RequestedProvisionedConcurrentExecutions": requested, "Status": status, **extra},
        {"FunctionName": "api", "Qualifier": "live"})


def test_create_puts_provisioned_concurrency_and_is_pending_until_ready_stubbed() -> None:
    kind, stub = _stubbed()
    stub.add_response("create_alias", {"AliasArn": f"{FUNCTION}:live"},
                      {"FunctionName": "api", "Name": "live", "FunctionVersion": "3"})
    stub.add_response("put_provisioned_concurrency_config", {"Status": "IN_PROGRESS"},
                      {"FunctionName": "api", "Qualifier": "live",
                       "ProvisionedConcurrentExecutions": 5})
    _alias(stub)
    _allocation(stub, "IN_PROGRESS", AllocatedProvisionedConcurrentExecutions=0)
    _alias(stub)
    _allocation(stub, "READY", AllocatedProvisionedConcurrentExecutions=5)
    with stub:
        created = kind.create(DESIRED, {})
        ready = kind.observe("api:live", DESIRED)
        stub.assert_no_pending_responses()
    assert created.physical_id == "api:live"
    assert created.pending == "provisioned concurrency IN_PROGRESS"
    assert created.attributes["Ref"] == f"{FUNCTION}:live"
    assert ready is not None and ready.pending is None
    assert ready.properties["ProvisionedConcurrencyConfig"] == {
        "ProvisionedConcurrentExecutions": 5}


def test_a_failed_allocation_is_an_error_with_aws_reason_stubbed() -> None:
    kind, stub = _stubbed()
    _alias(stub)
    _allocation(stub, "FAILED", StatusReason="Account concurrency limit exceeded")
    with stub, pytest.raises(ProvisionedConcurrencyFailed, match="concurrency limit"):
        kind.observe("api:live", DESIRED)
    # A new value declared after the failure is drift to correct, not the same error again.
    kind, stub = _stubbed()
    _alias(stub)
    _allocation(stub, "FAILED", requested=50, StatusReason="limit")
    with stub:
        observed = kind.observe("api:live", DESIRED)
    assert observed is not None and observed.properties["ProvisionedConcurrencyConfig"] == {
        "ProvisionedConcurrentExecutions": 50}


def test_none_configured_reads_as_zero_and_zero_deletes_it_stubbed() -> None:
    kind, stub = _stubbed()
    _alias(stub)
    stub.add_client_error("get_provisioned_concurrency_config",
                          "ProvisionedConcurrencyConfigNotFoundException", "No config", 404)
    stub.add_response("delete_provisioned_concurrency_config", {},
                      {"FunctionName": "api", "Qualifier": "live"})
    _alias(stub)
    stub.add_client_error("get_provisioned_concurrency_config",
                          "ProvisionedConcurrencyConfigNotFoundException", "No config", 404)
    zero = {**DESIRED, "ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": 0}}
    with stub:
        observed = kind.observe("api:live", DESIRED)
        assert observed is not None
        assert observed.properties["ProvisionedConcurrencyConfig"] == {
            "ProvisionedConcurrentExecutions": 0}
        after = kind.update("api:live", zero, Observation("api:live", observed.properties),
                            frozenset({"ProvisionedConcurrencyConfig"}))
        stub.assert_no_pending_responses()
    assert after is not None and after.pending is None


def test_moving_the_version_reallocates_and_is_pending_stubbed() -> None:
    kind, stub = _stubbed()
    stub.add_response("update_alias", {}, {"FunctionName": "api", "Name": "live",
                                           "FunctionVersion": "3"})
    _alias(stub)
    _allocation(stub, "IN_PROGRESS")
    with stub:
        after = kind.update("api:live", DESIRED, Observation("api:live", {}),
                            frozenset({"FunctionVersion"}))
    assert after is not None and after.pending == "provisioned concurrency IN_PROGRESS"


@pytest.mark.parametrize(("props", "pointer"), [
    ({"FunctionVersion": "$LATEST",
      "ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": 2}},
     "/ProvisionedConcurrencyConfig"),
    ({"ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": -1}},
     "/ProvisionedConcurrencyConfig/ProvisionedConcurrentExecutions"),
    ({"RoutingConfig": {"AdditionalVersionWeights": [
        {"FunctionVersion": "1", "FunctionWeight": 1.5}]}},
     "/RoutingConfig/AdditionalVersionWeights/0/FunctionWeight"),
])
def test_what_aws_refuses_is_refused_at_validate(props: dict[str, Any], pointer: str) -> None:
    assert pointer in [p for p, _ in LambdaAlias.validate(props)]
