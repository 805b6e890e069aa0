"""AWS::S3::Bucket's further settings (kept apart from test_kind_s3_bucket.py, which holds the
first ones): AccessControl, LoggingConfiguration, ReplicationConfiguration, object lock,
WebsiteConfiguration, NotificationConfiguration, AccelerateConfiguration,
CorsConfiguration. Each is set, planned clean, changed out of band with plain boto3,
found as drift at exactly its path, fixed by apply and clean again (moto over HTTP).

Where moto differs from S3, Stubber (checked against the real S3 model) or the pure
mapping over an answer shaped as S3 gives it: moto as released answers
``log-delivery-write`` as READ_ACP alone and ``public-read-write`` as READ alone (the
local emulator answers every permission, as S3 does: tested below), drops
``EventBridgeConfiguration`` and ``TargetObjectKeyFormat``, and answers 500 to a
capitalized filter rule name. (Its replication rules' SourceSelectionCriteria, dropped by
moto as released, are answered by the local emulator: reconciler/aws/local_server.py.)
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from reconciler.aws.clients import AwsClients
from reconciler.errors import ReconcilerError
from reconciler.kinds import s3_bucket_settings as settings
from reconciler.kinds.base import Observation
from reconciler.kinds.s3_bucket import S3Bucket
from tests.harness import Stack
from tests.stubbing import OneClient

OWNER_ID = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"
GROUPS = "http://acs.amazonaws.com/groups/"
TAGS = {"reconciler:owner": "test", "reconciler:logical-id": "Site"}
QUEUE = "arn:aws:sqs:us-east-1:123456789012:settings-events"
TOPIC = "arn:aws:sns:us-east-1:123456789012:settings-events"


def _grant(permission: str, group: str | None = None, user: str = OWNER_ID) -> dict[str, Any]:
    grantee = ({"Type": "Group", "URI": GROUPS + group} if group
               else {"Type": "CanonicalUser", "ID": user})
    return {"Grantee": grantee, "Permission": permission}


def _acl(*extra: dict[str, Any]) -> dict[str, Any]:
    """GetBucketAcl as S3 answers it: the owner's FULL_CONTROL and the extra grants."""
    return {"Owner": {"ID": OWNER_ID}, "Grants": [_grant("FULL_CONTROL"), *extra]}


# --- AccessControl: a canned ACL compared by the grants it stands for -----------------------

AS_S3_ANSWERS = [
    ("Private", _acl()),
    ("BucketOwnerRead", _acl()),
    ("BucketOwnerFullControl", _acl()),
    ("PublicRead", _acl(_grant("READ", "global/AllUsers"))),
    ("PublicReadWrite", _acl(_grant("READ", "global/AllUsers"),
                             _grant("WRITE", "global/AllUsers"))),
    ("AuthenticatedRead", _acl(_grant("READ", "global/AuthenticatedUsers"))),
    ("LogDeliveryWrite", _acl(_grant("WRITE", "s3/LogDelivery"),
                              _grant("READ_ACP", "s3/LogDelivery"))),
    ("AwsExecRead", _acl(_grant("READ", user="6aa5a366c34c1cbe25dc49211496e913e0351eb0"))),
]


@pytest.mark.parametrize(("canned", "answer"), AS_S3_ANSWERS, ids=[c for c, _ in AS_S3_ANSWERS])
def test_every_canned_acl_reads_back_as_declared(canned: str, answer: dict[str, Any]) -> None:
    assert settings.acl_from_aws(answer, canned) == canned


def test_other_grants_read_back_as_what_they_are() -> None:
    public = _acl(_grant("READ", "global/AllUsers"))
    assert settings.acl_from_aws(public, "Private") == "PublicRead"
    assert settings.acl_from_aws(_acl(), "PublicRead") == "Private"
    odd = _acl(_grant("WRITE", "global/AllUsers"))
    assert settings.acl_from_aws(odd, "Private") == "grants: AllUsers WRITE"
    assert settings.acl_from_aws({"Owner": {"ID": OWNER_ID}, "Grants": []}, "Private") == \
        "grants: none (owner lacks FULL_CONTROL)"
    # The owner-only ACLs are the same grants on a bucket: equal to one another.
    assert settings.acl_from_aws(_acl(), "BucketOwnerRead") == "BucketOwnerRead"


def test_acl_is_written_after_ownership_and_reset_when_undeclared(clients: AwsClients) -> None:
    kind = S3Bucket(clients)
    desired = {"BucketName": "settings-acl", "AccessControl": "AuthenticatedRead",
               "OwnershipControls": {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}}
    kind.create(dict(desired), TAGS)
    observed = kind.observe("settings-acl", desired)
    assert observed is not None and observed.properties["AccessControl"] == "AuthenticatedRead"
    kind.update("settings-acl", {"BucketName": "settings-acl"}, observed,
                frozenset({"AccessControl"}))
    after = kind.observe("settings-acl", desired)
    assert after is not None and after.properties["AccessControl"] == "Private"


# --- object lock: on at create or later (versioned), never off ------------------------------

LOCKED = {"BucketName": "settings-vault", "ObjectLockEnabled": True,
          "ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled", "Rule": {
              "DefaultRetention": {"Mode": "GOVERNANCE", "Days": 7}}}}


def test_object_lock_at_create_then_its_rule_removed(clients: AwsClients) -> None:
    kind = S3Bucket(clients)
    kind.create(json.loads(json.dumps(LOCKED)), TAGS)
    observed = kind.observe("settings-vault", LOCKED)
    assert observed is not None and observed.properties == LOCKED
    versioning = clients.client("s3").get_bucket_versioning(Bucket="settings-vault")
    assert versioning["Status"] == "Enabled"
    without_rule = {**LOCKED, "ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled"}}
    kind.update("settings-vault", without_rule, observed, frozenset({"ObjectLockConfiguration"}))
    assert kind.observe("settings-vault", without_rule).properties == without_rule  # type: ignore[union-attr]


def test_object_lock_turned_on_in_place_never_off(clients: AwsClients) -> None:
    kind = S3Bucket(clients)
    plain = {"BucketName": "settings-later", "VersioningConfiguration": {"Status": "Enabled"},
             "ObjectLockEnabled": False}
    kind.create(dict(plain), TAGS)
    observed = kind.observe("settings-later", plain)
    assert observed is not None and observed.properties["ObjectLockEnabled"] is False
    locked = {**plain, "ObjectLockEnabled": True}
    kind.update("settings-later", locked, observed, frozenset({"ObjectLockEnabled"}))
    observed = kind.observe("settings-later", locked)
    assert observed is not None and observed.properties["ObjectLockEnabled"] is True
    with pytest.raises(ReconcilerError, match="cannot turn object lock off"):
        kind.update("settings-later", plain, observed, frozenset({"ObjectLockEnabled"}))


# --- what moto cannot show: Stubber and the pure mappings -----------------------------------

def _stubbed() -> tuple[Any, S3Bucket]:
    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    return client, S3Bucket(OneClient(client))


def test_event_bridge_notifications_stubbed() -> None:
    """Stubber: moto drops EventBridgeConfiguration."""
    client, kind = _stubbed()
    config = {"EventBridgeConfiguration": {"EventBridgeEnabled": True},
              "LambdaConfigurations": [{"Event": "s3:ObjectCreated:Put",
                                        "Function": "arn:aws:lambda:us-east-1:1:function:f"}]}
    with Stubber(client) as stub:
        stub.add_response("put_bucket_notification_configuration", {}, {
            "Bucket": "b-1", "NotificationConfiguration": {
                "LambdaFunctionConfigurations": [{
                    "LambdaFunctionArn": "arn:aws:lambda:us-east-1:1:function:f",
                    "Events": ["s3:ObjectCreated:Put"]}],
                "EventBridgeConfiguration": {}}})
        stub.add_response("get_bucket_notification_configuration", {
            "LambdaFunctionConfigurations": [{
                "Id": "made-by-s3", "LambdaFunctionArn": "arn:aws:lambda:us-east-1:1:function:f",
                "Events": ["s3:ObjectCreated:Put"]}],
            "EventBridgeConfiguration": {}}, {"Bucket": "b-1"})
        kind.write_notifications("b-1", {"NotificationConfiguration": config}, None)
        assert kind.read_notifications("b-1", config) == config
        stub.assert_no_pending_responses()
    assert settings.notification_from_aws({}, config)["EventBridgeConfiguration"] == {
        "EventBridgeEnabled": False}


def test_log_object_key_format_stubbed() -> None:
    """Stubber: moto drops TargetObjectKeyFormat."""
    client, kind = _stubbed()
    config = {"LogFilePrefix": "logs/", "TargetObjectKeyFormat": {
        "PartitionedPrefix": {"PartitionDateSource": "EventTime"}}}
    enabled = {"TargetBucket": "b-1", "TargetPrefix": "logs/", "TargetObjectKeyFormat": {
        "PartitionedPrefix": {"PartitionDateSource": "EventTime"}}}
    with Stubber(client) as stub:
        stub.add_response("put_bucket_logging", {}, {
            "Bucket": "b-1", "BucketLoggingStatus": {"LoggingEnabled": enabled}})
        stub.add_response("get_bucket_logging", {"LoggingEnabled": enabled}, {"Bucket": "b-1"})
        kind.write_logging("b-1", {"LoggingConfiguration": config}, None)
        # No destination declared: CloudFormation's default, the bucket itself.
        assert kind.read_logging("b-1", config) == config
        stub.assert_no_pending_responses()
    elsewhere = {"LoggingEnabled": {**enabled, "TargetBucket": "other"}}
    assert settings.logging_from_aws(elsewhere, config, "b-1")["DestinationBucketName"] == \
        "other"


def test_filter_rule_names_compare_in_any_case() -> None:
    """S3 answers Prefix/Suffix capitalized; CloudFormation templates write either."""
    declared = {"QueueConfigurations": [{"Event": "s3:ObjectCreated:*", "Queue": QUEUE,
                                         "Filter": {"S3Key": {"Rules": [
                                             {"Name": "Suffix", "Value": ".csv"}]}}}]}
    sent = settings.notification_to_aws(declared)
    assert sent["QueueConfigurations"][0]["Filter"]["Key"]["FilterRules"] == [
        {"Name": "suffix", "Value": ".csv"}]
    assert settings.notification_from_aws(sent, declared) == declared


VALIDATION: list[tuple[str, dict[str, Any], list[str]]] = [
    ("acl-with-acls-disabled", {"AccessControl": "PublicRead"}, ["/AccessControl"]),
    ("acl-owner-only-is-fine", {"AccessControl": "BucketOwnerFullControl"}, []),
    ("acl-with-object-writer", {"AccessControl": "LogDeliveryWrite", "OwnershipControls": {
        "Rules": [{"ObjectOwnership": "ObjectWriter"}]}}, []),
    ("replication-without-versioning", {"ReplicationConfiguration": {
        "Role": "r", "Rules": [{"Status": "Enabled", "Destination": {"Bucket": "b"}}]}},
     ["/ReplicationConfiguration"]),
    ("replication-filter-without-delete-markers", {
        "VersioningConfiguration": {"Status": "Enabled"}, "ReplicationConfiguration": {
            "Role": "r", "Rules": [{"Status": "Enabled", "Filter": {"Prefix": "x"},
                                    "Destination": {"Bucket": "b"}}]}},
     ["/ReplicationConfiguration/Rules/0/DeleteMarkerReplication"]),
    ("replication-prefix-and-filter", {
        "VersioningConfiguration": {"Status": "Enabled"}, "ReplicationConfiguration": {
            "Role": "r", "Rules": [{"Status": "Enabled", "Prefix": "x", "Filter": {},
                                    "DeleteMarkerReplication": {"Status": "Disabled"},
                                    "Destination": {"Bucket": "b"}}]}},
     ["/ReplicationConfiguration/Rules/0/Prefix"]),
    ("replication-same-priority", {
        "VersioningConfiguration": {"Status": "Enabled"}, "ReplicationConfiguration": {
            "Role": "r", "Rules": [{"Status": "Enabled", "Priority": 1,
                                    "Destination": {"Bucket": "b"}}] * 2}},
     ["/ReplicationConfiguration/Rules/1/Priority"]),
    ("lock-rule-without-lock", {"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled"}},
     ["/ObjectLockEnabled"]),
    ("lock-days-and-years", {**LOCKED, "ObjectLockConfiguration": {"Rule": {
        "DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1, "Years": 1}}}},
     ["/ObjectLockConfiguration/Rule/DefaultRetention"]),
    ("lock-without-mode", {**LOCKED, "ObjectLockConfiguration": {"Rule": {
        "DefaultRetention": {"Days": 1}}}},
     ["/ObjectLockConfiguration/Rule/DefaultRetention/Mode"]),
    ("lock-with-suspended-versioning", {"ObjectLockEnabled": True,
                                        "VersioningConfiguration": {"Status": "Suspended"}},
     ["/VersioningConfiguration/Status"]),
    ("website-redirect-and-index", {"WebsiteConfiguration": {
        "IndexDocument": "i.html", "RedirectAllRequestsTo": {"HostName": "x"}}},
     ["/WebsiteConfiguration/RedirectAllRequestsTo"]),
    ("website-without-index", {"WebsiteConfiguration": {"ErrorDocument": "e.html"}},
     ["/WebsiteConfiguration"]),
    ("filter-rule-name", {"NotificationConfiguration": {"TopicConfigurations": [{
        "Event": "e", "Topic": TOPIC, "Filter": {"S3Key": {"Rules": [
            {"Name": "middle", "Value": "x"}]}}}]}},
     ["/NotificationConfiguration/TopicConfigurations/0/Filter/S3Key/Rules/0/Name"]),
    ("accelerate-dotted-name", {"BucketName": "my.bucket", "AccelerateConfiguration": {
        "AccelerationStatus": "Enabled"}}, ["/AccelerateConfiguration"]),
]


@pytest.mark.parametrize(("props", "paths"), [(p, e) for _, p, e in VALIDATION],
                         ids=[i for i, _, _ in VALIDATION])
def test_validate(props: dict[str, Any], paths: list[str]) -> None:
    assert [path for path, _ in S3Bucket.validate(props)] == paths


def test_every_schema_property_is_managed_or_refused_with_a_reason() -> None:
    facts = S3Bucket.type_schema()
    unmanaged = facts.properties - S3Bucket.managed_properties - facts.attributes
    assert unmanaged == set(S3Bucket.refused)
    assert S3Bucket.readable <= {"/AccessControl"} and "/AccessControl" not in \
        S3Bucket.unobservable


# --- through the CLI: set, clean, changed out of band, drift at its path, fixed ------------

TEMPLATE = f"""\
Resources:
  ReplicationRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: settings-replication
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {{Effect: Allow, Principal: {{Service: s3.amazonaws.com}}, Action: sts:AssumeRole}}
  Logs:
    Type: AWS::S3::Bucket
    DeletionPolicy: Delete
    Properties: {{BucketName: settings-logs}}
  LogsPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Logs
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{Service: logging.s3.amazonaws.com}}
            Action: s3:PutObject
            Resource: !Sub "arn:aws:s3:::${{Logs}}/*"
  Replica:
    Type: AWS::S3::Bucket
    DeletionPolicy: Delete
    Properties:
      BucketName: settings-replica
      VersioningConfiguration: {{Status: Enabled}}
  Site:
    Type: AWS::S3::Bucket
    DeletionPolicy: Delete
    DependsOn: LogsPolicy
    Properties:
      BucketName: settings-site
      VersioningConfiguration: {{Status: Enabled}}
      OwnershipControls: {{Rules: [{{ObjectOwnership: ObjectWriter}}]}}
      AccessControl: PublicRead
      LoggingConfiguration: {{DestinationBucketName: !Ref Logs, LogFilePrefix: site/}}
      ReplicationConfiguration:
        Role: !GetAtt ReplicationRole.Arn
        Rules:
          - Id: everything
            Status: Enabled
            Priority: 1
            Filter: {{Prefix: ""}}
            DeleteMarkerReplication: {{Status: Disabled}}
            SourceSelectionCriteria: {{ReplicaModifications: {{Status: Enabled}}}}
            Destination: {{Bucket: !GetAtt Replica.Arn, StorageClass: STANDARD_IA}}
      WebsiteConfiguration:
        IndexDocument: index.html
        ErrorDocument: error.html
        RoutingRules:
          - RoutingRuleCondition: {{KeyPrefixEquals: docs/}}
            RedirectRule: {{ReplaceKeyPrefixWith: documents/, HttpRedirectCode: "301"}}
      NotificationConfiguration:
        QueueConfigurations:
          - Event: s3:ObjectCreated:*
            Queue: {QUEUE}
            Filter: {{S3Key: {{Rules: [{{Name: prefix, Value: uploads/}},
                                       {{Name: suffix, Value: .csv}}]}}}}
        TopicConfigurations:
          - {{Event: "s3:ObjectRemoved:*", Topic: {TOPIC}}}
      AccelerateConfiguration: {{AccelerationStatus: Enabled}}
      CorsConfiguration:
        CorsRules:
          - Id: web
            AllowedMethods: [GET, HEAD]
            AllowedOrigins: ["https://example.com"]
            AllowedHeaders: ["*"]
            ExposedHeaders: [ETag]
            MaxAge: 600
  Vault:
    Type: AWS::S3::Bucket
    DeletionPolicy: Delete
    Properties:
      BucketName: settings-vault
      ObjectLockEnabled: true
      ObjectLockConfiguration:
        ObjectLockEnabled: Enabled
        Rule: {{DefaultRetention: {{Mode: GOVERNANCE, Days: 7}}}}
"""
_ROLE = "arn:aws:iam::123456789012:role/settings-replication"


def _replicate_to_glacier(s3: Any) -> None:
    s3.put_bucket_replication(Bucket="settings-site", ReplicationConfiguration={
        "Role": _ROLE, "Rules": [{
            "ID": "everything", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "SourceSelectionCriteria": {"ReplicaModifications": {"Status": "Enabled"}},
            "Destination": {"Bucket": "arn:aws:s3:::settings-replica",
                            "StorageClass": "GLACIER"}}]})


def _other_index_document(s3: Any) -> None:
    s3.put_bucket_website(Bucket="settings-site", WebsiteConfiguration={
        "IndexDocument": {"Suffix": "home.html"}, "ErrorDocument": {"Key": "error.html"},
        "RoutingRules": [{"Condition": {"KeyPrefixEquals": "docs/"}, "Redirect": {
            "ReplaceKeyPrefixWith": "documents/", "HttpRedirectCode": "301"}}]})


def _queue_only(s3: Any) -> None:
    s3.put_bucket_notification_configuration(Bucket="settings-site", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"],
                                 "Filter": {"Key": {"FilterRules": [
                                     {"Name": "prefix", "Value": "uploads/"},
                                     {"Name": "suffix", "Value": ".csv"}]}}}]})


def _shorter_cors_max_age(s3: Any) -> None:
    s3.put_bucket_cors(Bucket="settings-site", CORSConfiguration={"CORSRules": [{
        "ID": "web", "AllowedMethods": ["GET", "HEAD"], "AllowedOrigins": ["https://example.com"],
        "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 60}]})


def _shorter_retention(s3: Any) -> None:
    s3.put_object_lock_configuration(Bucket="settings-vault", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {
            "Mode": "GOVERNANCE", "Days": 1}}})


DRIFTS: list[tuple[str, Any, dict[str, Any]]] = [
    ("acl-made-private", lambda s3: s3.put_bucket_acl(Bucket="settings-site", ACL="private"),
     {"path": "/AccessControl", "old": "Private", "new": "PublicRead"}),
    ("logging-prefix", lambda s3: s3.put_bucket_logging(
        Bucket="settings-site", BucketLoggingStatus={"LoggingEnabled": {
            "TargetBucket": "settings-logs", "TargetPrefix": "other/"}}),
     {"path": "/LoggingConfiguration/LogFilePrefix", "old": "other/", "new": "site/"}),
    ("logging-off", lambda s3: s3.put_bucket_logging(
        Bucket="settings-site", BucketLoggingStatus={}),
     {"path": "/LoggingConfiguration", "old": None,
      "new": {"DestinationBucketName": "settings-logs", "LogFilePrefix": "site/"}}),
    ("replication-storage-class", _replicate_to_glacier,
     {"path": "/ReplicationConfiguration/Rules/0/Destination/StorageClass", "old": "GLACIER",
      "new": "STANDARD_IA"}),
    ("website-index", _other_index_document,
     {"path": "/WebsiteConfiguration/IndexDocument", "old": "home.html", "new": "index.html"}),
    ("topic-dropped", _queue_only,
     {"path": "/NotificationConfiguration/TopicConfigurations", "old": [],
      "new": [{"Event": "s3:ObjectRemoved:*", "Topic": TOPIC}]}),
    ("acceleration-suspended", lambda s3: s3.put_bucket_accelerate_configuration(
        Bucket="settings-site", AccelerateConfiguration={"Status": "Suspended"}),
     {"path": "/AccelerateConfiguration/AccelerationStatus", "old": "Suspended",
      "new": "Enabled"}),
    ("cors-max-age", _shorter_cors_max_age,
     {"path": "/CorsConfiguration/CorsRules/0/MaxAge", "old": 60, "new": 600}),
    ("cors-deleted", lambda s3: s3.delete_bucket_cors(Bucket="settings-site"),
     {"path": "/CorsConfiguration", "old": None, "new": {"CorsRules": [{
         "Id": "web", "AllowedMethods": ["GET", "HEAD"],
         "AllowedOrigins": ["https://example.com"], "AllowedHeaders": ["*"],
         "ExposedHeaders": ["ETag"], "MaxAge": 600}]}}),
    ("retention-shortened", _shorter_retention,
     {"path": "/ObjectLockConfiguration/Rule/DefaultRetention/Days", "old": 1, "new": 7}),
]


@pytest.fixture
def site(stack: Stack) -> Stack:
    sqs, sns = boto3.client("sqs"), boto3.client("sns")
    sqs.create_queue(QueueName="settings-events")
    sns.create_topic(Name="settings-events")
    stack.write("site.yaml", TEMPLATE)
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    clean = stack.plan()
    assert clean.code == 0, clean.out + clean.err
    return stack


@pytest.mark.parametrize(("drift", "expected"), [(d, e) for _, d, e in DRIFTS],
                         ids=[i for i, _, _ in DRIFTS])
def test_cli_drift_is_found_at_its_path_and_corrected(site: Stack, drift: Any,
                                                      expected: dict[str, Any]) -> None:
    drift(boto3.client("s3"))
    resource = "Vault" if "ObjectLock" in expected["path"] else "Site"
    drifted = site.plan()
    assert drifted.code == 2, drifted.out + drifted.err
    change = drifted.change(resource)
    assert (change["status"], change["action"]) == ("Drifted", "update")
    assert change["diff"] == [expected]
    fixed = site.apply()
    assert fixed.code == 0, fixed.out + fixed.err
    again = site.plan()
    assert again.code == 0, again.out + again.err


def test_cli_object_lock_cannot_be_turned_off(site: Stack) -> None:
    site.write("site.yaml", TEMPLATE.replace("ObjectLockEnabled: true",
                                             "ObjectLockEnabled: false").replace(
        "      ObjectLockConfiguration:\n        ObjectLockEnabled: Enabled\n"
        "        Rule: {DefaultRetention: {Mode: GOVERNANCE, Days: 7}}\n", ""))
    plan = site.plan()
    assert plan.change("Vault")["diff"] == [
        {"path": "/ObjectLockEnabled", "old": True, "new": False}]
    applied = site.apply()
    assert applied.code == 1 and "cannot turn object lock off" in applied.out + applied.err


def test_undeclared_settings_are_not_drift(clients: AwsClients) -> None:
    """What the template leaves out is not read at all: a bucket with every setting made
    out of band observes as the declared name and nothing else."""
    kind = S3Bucket(clients)
    kind.create({"BucketName": "settings-bare"}, TAGS)
    s3 = clients.client("s3")
    s3.put_bucket_cors(Bucket="settings-bare", CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})
    s3.put_bucket_accelerate_configuration(Bucket="settings-bare",
                                           AccelerateConfiguration={"Status": "Enabled"})
    observed = kind.observe("settings-bare", {"BucketName": "settings-bare"})
    assert observed == Observation("settings-bare", {"BucketName": "settings-bare"},
                                   observed.tags if observed else None,
                                   observed.attributes if observed else {})


def test_a_canned_acl_reads_back_with_every_grant_in_the_emulator(stack: Stack) -> None:
    """reconciler/aws/local_server.py: one grant per grantee and permission, as S3 answers."""
    stack.write("logs.yaml", """
Resources:
  Logs:
    Type: AWS::S3::Bucket
    DeletionPolicy: Delete
    Properties:
      BucketName: settings-acl-logs
      OwnershipControls: {Rules: [{ObjectOwnership: ObjectWriter}]}
      AccessControl: LogDeliveryWrite
""")
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    assert stack.plan().code == 0
    grants = boto3.client("s3").get_bucket_acl(Bucket="settings-acl-logs")["Grants"]
    assert sorted(g["Permission"] for g in grants
                  if g["Grantee"].get("URI") == GROUPS + "s3/LogDelivery") == ["READ_ACP", "WRITE"]
