"""AWS's eventual consistency as transient errors, tested with botocore's Stubber.

moto applies every change at once, so it can never answer "not propagated yet";
these tests script those answers with ``botocore.stub.Stubber`` (which still checks
each request against the real service model). A kind answers them with a
TransientError the engine retries later; nothing sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber

from reconciler.aws import eventual
from reconciler.kinds.base import TransientError
from reconciler.kinds.iam_role import IamRole
from reconciler.kinds.kms_key import KmsKey

ROLE_ARN = "arn:aws:iam::123456789012:role/app"
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": ROLE_ARN}, "Action": "kms:*", "Resource": "*"}]}


class StubbedClients:
    """A stand-in for AwsClients handing out stubbed clients (no network at all)."""

    region = "us-east-1"

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}
        self.stubbers: dict[str, Stubber] = {}

    def client(self, service: str, retries: bool = True) -> Any:
        if service not in self._clients:
            client = boto3.client(service, region_name=self.region, aws_access_key_id="x",
                                  aws_secret_access_key="x", aws_session_token="x")
            self._clients[service] = client
            self.stubbers[service] = Stubber(client)
            self.stubbers[service].activate()
        return self._clients[service]

    def stub(self, service: str) -> Stubber:
        self.client(service)
        return self.stubbers[service]


@pytest.fixture
def stubbed() -> Iterator[StubbedClients]:
    clients = StubbedClients()
    yield clients
    for stubber in clients.stubbers.values():
        stubber.assert_no_pending_responses()


def _role_response() -> dict[str, Any]:
    return {"Role": {"Path": "/", "RoleName": "app", "RoleId": "AROAEXAMPLEEXAMPLE1",
                     "Arn": ROLE_ARN, "CreateDate": "2024-01-01T00:00:00Z"}}


def test_is_not_found_knows_the_usual_codes() -> None:
    def error(code: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": ""}}, "Op")

    assert eventual.is_not_found(error("NoSuchEntity"))
    assert eventual.is_not_found(error("ResourceNotFoundException"))
    assert not eventual.is_not_found(error("AccessDenied"))
    assert eventual.is_not_found(error("Custom"), "Custom")
    assert not eventual.is_not_found(ValueError("NoSuchEntity"))


# --- the kinds' use of it -------------------------------------------------------------------

def _key_metadata() -> dict[str, Any]:
    return {"KeyMetadata": {"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
                            "Arn": "arn:aws:kms:us-east-1:123456789012:key/"
                                   "1234abcd-12ab-34cd-56ef-1234567890ab"}}


def test_kms_key_create_is_transient_while_the_role_in_its_policy_propagates(
        stubbed: StubbedClients) -> None:
    """KMS refuses a key policy naming a role IAM has not propagated yet: a TransientError the
    engine retries later, not a sleep inside the kind."""
    stub = stubbed.stub("kms")
    expected = {"Policy": json.dumps(POLICY), "Description": "data", "Tags": ANY}
    stub.add_client_error("create_key", "MalformedPolicyDocumentException",
                          "Policy contains a statement with one or more invalid principals.",
                          expected_params=expected)
    with pytest.raises(TransientError, match="invalid principals"):
        KmsKey(stubbed).create({"Description": "data", "KeyPolicy": POLICY}, {"o": "t"})


@pytest.mark.parametrize(("code", "message"), [
    ("LimitExceededException", "too many"),
    # A policy that is wrong in itself will not get better by waiting.
    ("MalformedPolicyDocumentException", "Policy has a syntax error"),
])
def test_kms_key_create_does_not_treat_other_errors_as_transient(
        stubbed: StubbedClients, code: str, message: str) -> None:
    stubbed.stub("kms").add_client_error("create_key", code, message)
    with pytest.raises(ClientError) as caught:
        KmsKey(stubbed).create({"Description": "data"}, {})
    assert not isinstance(caught.value, TransientError)


TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
     "Action": "sts:AssumeRole"}]}
INLINE = {"Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def test_iam_role_create_is_transient_while_the_new_role_is_not_visible(
        stubbed: StubbedClients) -> None:
    """Right after CreateRole, IAM may still answer NoSuchEntity for the new role: a
    TransientError (the engine comes back later and finds the role by its name), no sleep."""
    stub = stubbed.stub("iam")
    stub.add_response("create_role", _role_response(), {
        "RoleName": "app", "AssumeRolePolicyDocument": json.dumps(TRUST), "Tags": ANY})
    put = {"RoleName": "app", "PolicyName": "read", "PolicyDocument": json.dumps(INLINE)}
    stub.add_client_error("put_role_policy", "NoSuchEntity",
                          "The role with name app cannot be found.",
                          http_status_code=404, expected_params=put)
    desired = {"RoleName": "app", "AssumeRolePolicyDocument": TRUST,
               "Policies": [{"PolicyName": "read", "PolicyDocument": INLINE}]}
    with pytest.raises(TransientError, match="cannot be found"):
        IamRole(stubbed).create(desired, {"reconciler:owner": "t"})


def test_iam_role_create_is_transient_for_a_trust_policy_naming_a_new_principal(
        stubbed: StubbedClients) -> None:
    """A trust policy naming a role created seconds ago is "Invalid principal" for a while."""
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ROLE_ARN}, "Action": "sts:AssumeRole"}]}
    stub = stubbed.stub("iam")
    stub.add_client_error("create_role", "MalformedPolicyDocument",
                          "Invalid principal in policy: \"AWS\":\"" + ROLE_ARN + "\"")
    with pytest.raises(TransientError, match="Invalid principal"):
        IamRole(stubbed).create({"RoleName": "app", "AssumeRolePolicyDocument": trust}, {})


def test_a_missing_managed_policy_is_an_error_at_once(stubbed: StubbedClients) -> None:
    """Only the role itself may be missing for a while; a typo'd policy ARN is not transient."""
    stub = stubbed.stub("iam")
    stub.add_response("create_role", _role_response())
    stub.add_client_error("attach_role_policy", "NoSuchEntity",
                          "Policy arn:aws:iam::aws:policy/Typo does not exist or is not "
                          "attachable.", http_status_code=404)
    with pytest.raises(ClientError) as raised:
        IamRole(stubbed).create({"RoleName": "app", "AssumeRolePolicyDocument": TRUST,
                                 "ManagedPolicyArns": ["arn:aws:iam::aws:policy/Typo"]}, {})
    assert not isinstance(raised.value, TransientError)
