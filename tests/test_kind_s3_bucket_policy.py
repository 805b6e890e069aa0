"""AWS::S3::BucketPolicy against the moto server over HTTP: the kind alone, then through
the CLI."""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pytest

from reconciler.aws.clients import AwsClients
from reconciler.aws.normalize import canonical_policy
from reconciler.kinds.s3_bucket_policy import S3BucketPolicy

needs_cli = pytest.mark.skipif(importlib.util.find_spec("reconciler.cli") is None,
                               reason="reconciler.cli is not written yet")

BUCKET = "policy-kind-bucket"


def _policy(action: Any = "s3:GetObject", bucket: str = BUCKET) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ReadOnly",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": action,
            "Resource": f"arn:aws:s3:::{bucket}/*",
        }],
    }


# --- the kind on its own -------------------------------------------------------------------

def test_create_observe_update_delete(clients: AwsClients) -> None:
    clients.client("s3").create_bucket(Bucket=BUCKET)
    kind = S3BucketPolicy(clients)
    desired = {"Bucket": BUCKET, "PolicyDocument": _policy()}
    assert kind.physical_id(desired) == BUCKET
    assert kind.observe(BUCKET, desired) is None  # bucket without a policy

    created = kind.create(desired, tags={"reconciler:owner": "t"})
    assert (created.physical_id, created.attributes) == (BUCKET, {"Ref": BUCKET})

    observed = kind.observe(BUCKET, desired)
    assert observed is not None and observed.tags is None
    assert observed.properties == {"Bucket": BUCKET, "PolicyDocument": _policy()}
    assert observed.attributes == {"Ref": BUCKET}

    changed = {"Bucket": BUCKET, "PolicyDocument": _policy(["s3:GetObject", "s3:PutObject"])}
    kind.update(BUCKET, changed, observed, frozenset({"PolicyDocument"}))
    after = kind.observe(BUCKET, changed)
    assert after is not None and after.properties["PolicyDocument"] == changed["PolicyDocument"]

    kind.set_tags(BUCKET, {"a": "b"}, [])  # not taggable: a no-op, no error
    kind.delete(BUCKET, changed)
    assert kind.observe(BUCKET, changed) is None
    kind.delete(BUCKET, changed)  # no policy any more: still fine


def test_policy_given_as_json_text_is_observed_as_a_document(clients: AwsClients) -> None:
    clients.client("s3").create_bucket(Bucket=BUCKET)
    kind = S3BucketPolicy(clients)
    kind.create({"Bucket": BUCKET, "PolicyDocument": json.dumps(_policy())}, tags={})
    observed = kind.observe(BUCKET, {})
    assert observed is not None and observed.properties["PolicyDocument"] == _policy()


def test_missing_bucket_is_none_and_delete_is_quiet(clients: AwsClients) -> None:
    kind = S3BucketPolicy(clients)
    assert kind.observe("no-such-bucket-here", {}) is None
    kind.delete("no-such-bucket-here", {})


def test_declarations() -> None:
    assert S3BucketPolicy.taggable is False
    assert S3BucketPolicy.policy_paths == frozenset({"/PolicyDocument"})
    assert S3BucketPolicy.create_only() == frozenset({"Bucket"})


def _with_statement(**changes: Any) -> dict[str, Any]:
    statement = {**_policy()["Statement"][0], **changes}
    return {"Version": "2012-10-17",
            "Statement": [{k: v for k, v in statement.items() if v is not None}]}


@pytest.mark.parametrize(("document", "paths"), [
    (_policy(), []),
    (json.dumps(_policy()), []),
    ({"Statement": {**_policy()["Statement"][0]}}, []),  # one statement, not a list
    (_with_statement(Action=None, NotAction="s3:DeleteObject"), []),
    (_with_statement(Resource={"Fn::Sub": "${Bucket.Arn}/*"}), []),
    ({"Fn::Join": ["", []]}, []),
    ("garbage", ["/PolicyDocument"]),
    (["not", "an", "object"], ["/PolicyDocument"]),
    ({"Version": "2012-10-17"}, ["/PolicyDocument/Statement"]),
    ({"Version": "2012-10-17", "Statement": []}, ["/PolicyDocument/Statement"]),
    ({**_policy(), "Version": "2020-01-01"}, ["/PolicyDocument/Version"]),
    (_with_statement(Effect="Permit"), ["/PolicyDocument/Statement/0/Effect"]),
    (_with_statement(Action=None), ["/PolicyDocument/Statement/0"]),
    (_with_statement(NotAction="s3:*"), ["/PolicyDocument/Statement/0"]),
    (_with_statement(Resource=None), ["/PolicyDocument/Statement/0"]),
    (_with_statement(Principal=None), ["/PolicyDocument/Statement/0"]),
    (_with_statement(Action=[]), ["/PolicyDocument/Statement/0/Action"]),
    ({"Statement": ["text"]}, ["/PolicyDocument/Statement/0"]),
], ids=["dict", "json-text", "single-statement", "not-action", "intrinsic-resource",
        "intrinsic-document", "not-json", "not-object", "no-statement", "empty-statement",
        "bad-version", "bad-effect", "no-action", "action-and-not-action", "no-resource",
        "no-principal", "empty-action", "statement-not-object"])
def test_validate(document: Any, paths: list[str]) -> None:
    found = S3BucketPolicy.validate({"Bucket": BUCKET, "PolicyDocument": document})
    assert [path for path, _ in found] == paths


# --- through the CLI -----------------------------------------------------------------------

TEMPLATE = """\
Resources:
  Site:
    Type: AWS::S3::Bucket
    DeletionPolicy: Delete
    Properties:
      BucketName: roundtrip-policy-site
  SitePolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Site
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Sid: Read
            Effect: Allow
            Principal: {AWS: "arn:aws:iam::123456789012:root"}
            Action: s3:GetObject
            Resource: !Sub "${Site.Arn}/*"
"""


@needs_cli
def test_round_trip_policy_drift_is_found_and_corrected(stack: Any,
                                                        clients: AwsClients) -> None:
    stack.write("site.yaml", TEMPLATE)
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    clean = stack.plan()
    assert clean.code == 0, clean.out + clean.err
    assert {c["status"] for c in clean.json["changes"]} == {"InSync"}

    s3 = clients.client("s3")
    replaced = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Read", "Effect": "Allow",
                       "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                       "Action": "s3:*", "Resource": "arn:aws:s3:::roundtrip-policy-site/*"}],
    }
    s3.put_bucket_policy(Bucket="roundtrip-policy-site", Policy=json.dumps(replaced))

    drifted = stack.plan()
    assert drifted.code == 2, drifted.out + drifted.err
    change = drifted.change("SitePolicy")
    assert (change["status"], change["action"]) == ("Drifted", "update")
    # Statements are compared as an unordered whole, in canonical form (lists everywhere).
    declared = {**replaced, "Statement": [{**replaced["Statement"][0], "Action": "s3:GetObject"}]}
    assert change["diff"] == [{
        "path": "/PolicyDocument/Statement",
        "old": canonical_policy(replaced)["Statement"],
        "new": canonical_policy(declared)["Statement"],
    }]
    assert drifted.change("Site")["status"] == "InSync"

    fixed = stack.apply()
    assert fixed.code == 0, fixed.out + fixed.err
    again = stack.plan()
    assert again.code == 0, again.out + again.err


@needs_cli
def test_round_trip_policy_written_differently_is_in_sync(stack: Any,
                                                          clients: AwsClients) -> None:
    stack.write("site.yaml", TEMPLATE)
    assert stack.apply().code == 0
    # Out of band, the same policy in another spelling: Action as a one-item list,
    # other key order and spacing, Principal's value as a list.
    same = ('{"Statement":[{"Resource":"arn:aws:s3:::roundtrip-policy-site/*",'
            '"Action":["s3:GetObject"],"Principal":{"AWS":["arn:aws:iam::123456789012:root"]},'
            '"Effect":"Allow","Sid":"Read"}],"Version":"2012-10-17"}')
    clients.client("s3").put_bucket_policy(Bucket="roundtrip-policy-site", Policy=same)
    plan = stack.plan()
    assert plan.code == 0, plan.out + plan.err
    assert plan.change("SitePolicy")["status"] == "InSync"
