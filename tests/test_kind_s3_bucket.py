"""AWS::S3::Bucket against the moto server over HTTP: the kind alone (properties, lifecycle
shape mapping, tags, delete, calls per observe), then round trips through the CLI.

moto drops ``NoncurrentVersionExpiration.NewerNoncurrentVersions``: that field is tested
on the request with botocore's Stubber (checked against the real S3 model) and on the
response with the pure mapping.
"""

from __future__ import annotations

import copy
import importlib.util
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from reconciler.aws.clients import AwsClients
from reconciler.errors import ReconcilerError
from reconciler.kinds import s3_bucket_lifecycle as lifecycle
from reconciler.kinds.s3_bucket import S3Bucket, bucket_name_issues

needs_cli = pytest.mark.skipif(importlib.util.find_spec("reconciler.cli") is None,
                               reason="reconciler.cli is not written yet")

NAME = "kind-test-bucket"
OWNER_TAGS = {"reconciler:owner": "test", "reconciler:logical-id": "Data"}

LIFECYCLE = {"Rules": [
    {"Id": "logs", "Status": "Enabled", "Prefix": "logs/", "ExpirationInDays": 365,
     "Transitions": [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30},
                     {"StorageClass": "GLACIER", "TransitionInDays": 90}],
     "NoncurrentVersionTransitions": [{"StorageClass": "GLACIER", "TransitionInDays": 10,
                                       "NewerNoncurrentVersions": 2}],
     "NoncurrentVersionExpiration": {"NoncurrentDays": 60},
     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}},
    {"Id": "tmp", "Status": "Disabled", "Prefix": "tmp/",
     "ExpirationDate": "2030-01-01T00:00:00.000Z"},
    {"Id": "markers", "Status": "Enabled", "ExpiredObjectDeleteMarker": True},
]}

FULL = {
    "BucketName": NAME,
    "VersioningConfiguration": {"Status": "Enabled"},
    "BucketEncryption": {"ServerSideEncryptionConfiguration": [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                       "BlockPublicPolicy": True,
                                       "RestrictPublicBuckets": True},
    "LifecycleConfiguration": LIFECYCLE,
    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
}


def _observe(kind: S3Bucket, desired: dict[str, Any]) -> dict[str, Any]:
    observed = kind.observe(desired["BucketName"], desired)
    assert observed is not None
    return observed.properties


# --- create, observe, update, delete --------------------------------------------------------

def test_create_then_observe_returns_declared_properties(clients: AwsClients) -> None:
    kind = S3Bucket(clients)
    created = kind.create(copy.deepcopy(FULL), dict(OWNER_TAGS, team="data"))
    assert created.physical_id == NAME == kind.physical_id(FULL)

    observed = kind.observe(NAME, FULL)
    assert observed is not None
    assert observed.properties == FULL
    # Tags passed to create survive (moto drops tags given to CreateBucket itself).
    assert observed.tags == dict(OWNER_TAGS, team="data")
    assert observed.attributes == {
        "Ref": NAME,
        "Arn": f"arn:aws:s3:::{NAME}",
        "DomainName": f"{NAME}.s3.amazonaws.com",
        "RegionalDomainName": f"{NAME}.s3.us-east-1.amazonaws.com",
        "DualStackDomainName": f"{NAME}.s3.dualstack.us-east-1.amazonaws.com",
        "WebsiteURL": f"http://{NAME}.s3-website-us-east-1.amazonaws.com",
    }


def test_observe_reads_only_what_is_declared(clients: AwsClients) -> None:
    kind = S3Bucket(clients)
    kind.create(copy.deepcopy(FULL), dict(OWNER_TAGS))
    before = clients.calls
    assert _observe(kind, {"BucketName": NAME}) == {"BucketName": NAME}
    assert clients.calls - before == 1  # the tag set alone proves the bucket exists

    desired = {"BucketName": NAME, "VersioningConfiguration": {"Status": "Enabled"},
               "BucketEncryption": FULL["BucketEncryption"]}
    before = clients.calls
    assert _observe(kind, desired) == desired
    assert clients.calls - before == 3  # tags + versioning + encryption


def test_new_bucket_without_settings_observes_none(clients: AwsClients) -> None:
    """An unconfigured bucket reports None for each declared sub-resource and no tags."""
    clients.client("s3").create_bucket(Bucket=NAME)
    kind = S3Bucket(clients)
    observed = kind.observe(NAME, FULL)
    assert observed is not None and observed.tags == {}
    assert observed.properties == {"BucketName": NAME, **{k: None for k in FULL if
                                                           k != "BucketName"}}


def _kms_encryption(key_arn: str, bucket_key: bool) -> dict[str, Any]:
    return {"ServerSideEncryptionConfiguration": [{
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
        "BucketKeyEnabled": bucket_key}]}


UPDATES: list[tuple[str, Any]] = [
    ("VersioningConfiguration", {"Status": "Suspended"}),
    ("BucketEncryption", "SSE-KMS"),  # filled in with a real key below
    ("PublicAccessBlockConfiguration", {"BlockPublicAcls": True, "BlockPublicPolicy": False}),
    ("LifecycleConfiguration", {"Rules": [
        {"Id": "logs", "Status": "Enabled", "Prefix": "logs/", "ExpirationInDays": 30}]}),
    ("OwnershipControls", {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}),
]


@pytest.mark.parametrize(("prop", "value"), UPDATES, ids=[p for p, _ in UPDATES])
def test_update_brings_one_property_to_desired(clients: AwsClients, prop: str,
                                               value: Any) -> None:
    kind = S3Bucket(clients)
    kind.create(copy.deepcopy(FULL), dict(OWNER_TAGS))
    if value == "SSE-KMS":
        key = clients.client("kms").create_key()["KeyMetadata"]
        value = _kms_encryption(key["Arn"], True)
    desired = {**copy.deepcopy(FULL), prop: value}
    observed = kind.observe(NAME, desired)
    assert observed is not None and observed.properties[prop] != value

    kind.update(NAME, desired, observed, frozenset({prop}))
    assert _observe(kind, desired) == desired


def test_property_no_longer_declared_is_removed(clients: AwsClients) -> None:
    """A changed property absent from desired goes back to AWS's default."""
    kind = S3Bucket(clients)
    kind.create(copy.deepcopy(FULL), dict(OWNER_TAGS))
    observed = kind.observe(NAME, FULL)
    assert observed is not None
    removable = ["PublicAccessBlockConfiguration", "LifecycleConfiguration",
                 "OwnershipControls", "BucketEncryption", "VersioningConfiguration"]
    kind.update(NAME, {"BucketName": NAME}, observed, frozenset(removable))
    after = _observe(kind, FULL)
    assert after["VersioningConfiguration"] == {"Status": "Suspended"}
    assert all(after[p] is None for p in removable[:-1])


def test_set_tags_adds_and_removes(clients: AwsClients) -> None:
    kind = S3Bucket(clients)
    kind.create({"BucketName": NAME}, dict(OWNER_TAGS, team="data", old="x"))
    kind.set_tags(NAME, {"team": "platform", "cost": "42"}, ["old"])
    observed = kind.observe(NAME, {})
    assert observed is not None
    assert observed.tags == dict(OWNER_TAGS, team="platform", cost="42")

    kind.set_tags(NAME, {}, [*OWNER_TAGS, "team", "cost"])
    observed = kind.observe(NAME, {})
    assert observed is not None and observed.tags == {}


def test_delete_empty_bucket_and_missing_is_none(clients: AwsClients) -> None:
    kind = S3Bucket(clients)
    kind.create({"BucketName": NAME}, dict(OWNER_TAGS))
    kind.delete(NAME, {"BucketName": NAME})
    assert kind.observe(NAME, FULL) is None
    kind.delete(NAME, {"BucketName": NAME})  # already gone: nothing to do


def test_delete_refuses_to_empty_a_bucket(clients: AwsClients) -> None:
    kind = S3Bucket(clients)
    kind.create({"BucketName": NAME}, dict(OWNER_TAGS))
    clients.client("s3").put_object(Bucket=NAME, Key="keep/me", Body=b"data")
    with pytest.raises(ReconcilerError, match="not empty"):
        kind.delete(NAME, {"BucketName": NAME})
    assert kind.observe(NAME, {}) is not None
    objects = clients.client("s3").list_objects_v2(Bucket=NAME)["Contents"]
    assert [o["Key"] for o in objects] == ["keep/me"]


def test_create_outside_us_east_1_sets_location(aws: Any) -> None:
    clients = AwsClients(region="eu-west-1")
    kind = S3Bucket(clients)
    created = kind.create({"BucketName": NAME}, dict(OWNER_TAGS))
    location = clients.client("s3").get_bucket_location(Bucket=NAME)["LocationConstraint"]
    assert location == "eu-west-1"
    assert created.attributes["RegionalDomainName"] == f"{NAME}.s3.eu-west-1.amazonaws.com"
    # eu-west-1 has a dashed website endpoint; newer regions use a dot.
    assert created.attributes["WebsiteURL"] == f"http://{NAME}.s3-website-eu-west-1.amazonaws.com"
    other = S3Bucket(AwsClients(region="eu-central-1")).attributes_from({}, "x-bucket")
    assert other["WebsiteURL"] == "http://x-bucket.s3-website.eu-central-1.amazonaws.com"


# --- lifecycle shape mapping --------------------------------------------------------------

LEGACY_SPELLINGS: list[tuple[str, dict[str, Any]]] = [
    ("singular-transition", {"Status": "Enabled", "Id": "a",
                             "Transition": {"StorageClass": "Glacier", "TransitionInDays": 5}}),
    ("noncurrent-in-days", {"Status": "Enabled", "Id": "b",
                            "NoncurrentVersionExpirationInDays": 12}),
    ("singular-noncurrent-transition", {
        "Status": "Enabled", "Id": "c",
        "NoncurrentVersionTransition": {"StorageClass": "DEEP_ARCHIVE", "TransitionInDays": 3}}),
    ("date-without-millis", {"Status": "Enabled", "Id": "d",
                             "ExpirationDate": "2031-06-01T00:00:00Z"}),
    ("transition-date", {"Status": "Enabled", "Id": "e", "Transitions": [
        {"StorageClass": "GLACIER_IR", "TransitionDate": "2031-06-01T00:00:00.000Z"}]}),
    ("empty-prefix-and-false-marker", {"Status": "Enabled", "Id": "f", "Prefix": "",
                                       "ExpirationInDays": 3,
                                       "ExpiredObjectDeleteMarker": False}),
    ("no-id", {"Status": "Enabled", "Prefix": "x/", "ExpirationInDays": 9}),
]


@pytest.mark.parametrize("rule", [r for _, r in LEGACY_SPELLINGS],
                         ids=[i for i, _ in LEGACY_SPELLINGS])
def test_lifecycle_spellings_read_back_as_written(clients: AwsClients,
                                                  rule: dict[str, Any]) -> None:
    desired = {"BucketName": NAME, "LifecycleConfiguration": {"Rules": [rule]}}
    S3Bucket(clients).create(copy.deepcopy(desired), dict(OWNER_TAGS))
    assert _observe(S3Bucket(clients), desired) == desired


def test_lifecycle_rule_order_and_extra_rules(clients: AwsClients) -> None:
    """Rules come back in the desired order; a rule added out of band shows up at the end,
    with its Id, and an out-of-band tag filter shows as TagFilters."""
    kind = S3Bucket(clients)
    kind.create(copy.deepcopy(FULL), dict(OWNER_TAGS))
    rules = lifecycle.to_aws(LIFECYCLE)["LifecycleConfiguration"]["Rules"]
    extra = {"ID": "sneaky", "Status": "Enabled", "Expiration": {"Days": 1},
             "Filter": {"Tag": {"Key": "k", "Value": "v"}}}
    clients.client("s3").put_bucket_lifecycle_configuration(
        Bucket=NAME, LifecycleConfiguration={"Rules": [extra, *reversed(rules)]})
    observed = _observe(kind, FULL)["LifecycleConfiguration"]
    assert observed["Rules"][:3] == LIFECYCLE["Rules"]
    assert observed["Rules"][3] == {"Id": "sneaky", "Status": "Enabled", "ExpirationInDays": 1,
                                    "TagFilters": [{"Key": "k", "Value": "v"}]}


def test_lifecycle_newer_noncurrent_versions_request_shape(clients: AwsClients) -> None:
    """Stubber, not moto: moto drops NoncurrentVersionExpiration.NewerNoncurrentVersions."""
    kind = S3Bucket(clients)
    config = {"Rules": [{"Id": "keep-3", "Status": "Enabled",
                         "NoncurrentVersionExpiration": {"NoncurrentDays": 30,
                                                         "NewerNoncurrentVersions": 3}}]}
    with Stubber(clients.client("s3")) as stub:
        stub.add_response("put_bucket_lifecycle_configuration", {}, {
            "Bucket": NAME,
            "LifecycleConfiguration": {"Rules": [{
                "ID": "keep-3", "Status": "Enabled", "Filter": {"Prefix": ""},
                "NoncurrentVersionExpiration": {"NoncurrentDays": 30,
                                                "NewerNoncurrentVersions": 3}}]},
        })
        kind.update(NAME, {"BucketName": NAME, "LifecycleConfiguration": config},
                    observed=ANY, changed=frozenset({"LifecycleConfiguration"}))
        stub.assert_no_pending_responses()
    response = {"Rules": [{"ID": "keep-3", "Status": "Enabled", "Filter": {},
                           "NoncurrentVersionExpiration": {"NoncurrentDays": 30,
                                                           "NewerNoncurrentVersions": 3}}]}
    assert lifecycle.from_aws(response, config) == config
    # Spelled the short way but with a version count AWS reports: shown in the full form.
    short = {"Rules": [{"Id": "keep-3", "Status": "Enabled",
                        "NoncurrentVersionExpirationInDays": 30}]}
    assert lifecycle.from_aws(response, short) == config


def test_lifecycle_dates_and_minimum_object_size_mapping() -> None:
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    response = {"TransitionDefaultMinimumObjectSize": "all_storage_classes_128K",
                "Rules": [{"ID": "r", "Status": "Enabled", "Expiration": {"Date": moment}}]}
    # Undeclared and at AWS's default: not shown, so not drift under the exact path.
    assert lifecycle.from_aws(response, None) == {
        "Rules": [{"Id": "r", "Status": "Enabled",
                   "ExpirationDate": "2030-01-01T00:00:00.000Z"}]}
    declared = {"TransitionDefaultMinimumObjectSize": "all_storage_classes_128K",
                "Rules": [{"Id": "r", "Status": "Enabled",
                           "ExpirationDate": "2030-01-01T00:00:00Z"}]}
    assert lifecycle.from_aws(response, declared) == declared
    assert lifecycle.to_aws(declared)["TransitionDefaultMinimumObjectSize"] == \
        "all_storage_classes_128K"


# --- validation and names -----------------------------------------------------------------

def _rule(**fields: Any) -> dict[str, Any]:
    return {"BucketName": NAME, "LifecycleConfiguration": {"Rules": [
        {"Id": "r", "Status": "Enabled", **fields}]}}


RULE = "/LifecycleConfiguration/Rules/0"
VALIDATION: list[tuple[str, dict[str, Any], list[str]]] = [
    ("full", FULL, []),
    ("intrinsic-name", {"BucketName": {"Fn::Sub": "${AWS::StackName}-x"}}, []),
    ("upper-case", {"BucketName": "My-Bucket"}, ["/BucketName"]),
    ("too-short", {"BucketName": "ab"}, ["/BucketName"]),
    ("too-long", {"BucketName": "a" * 64}, ["/BucketName"]),
    ("ip-address", {"BucketName": "192.168.5.4"}, ["/BucketName"]),
    ("double-dot", {"BucketName": "my..bucket"}, ["/BucketName"]),
    ("reserved-prefix", {"BucketName": "xn--bucket"}, ["/BucketName"]),
    ("reserved-suffix", {"BucketName": "bucket-s3alias"}, ["/BucketName"]),
    ("tag-filters", _rule(ExpirationInDays=1, TagFilters=[{"Key": "a", "Value": "b"}]),
     [f"{RULE}/TagFilters"]),
    ("object-size", _rule(ExpirationInDays=1, ObjectSizeGreaterThan="100"),
     [f"{RULE}/ObjectSizeGreaterThan"]),
    ("no-action", _rule(Prefix="x/"), [RULE]),
    ("two-expirations", _rule(ExpirationInDays=1, ExpiredObjectDeleteMarker=True), [RULE]),
    ("both-transition-forms", _rule(
        Transition={"StorageClass": "GLACIER", "TransitionInDays": 1},
        Transitions=[{"StorageClass": "GLACIER", "TransitionInDays": 1}]), [RULE]),
    ("both-noncurrent-forms", _rule(NoncurrentVersionExpirationInDays=1,
                                    NoncurrentVersionExpiration={"NoncurrentDays": 1}), [RULE]),
    ("zero-days", _rule(ExpirationInDays=0), [f"{RULE}/ExpirationInDays"]),
    ("not-midnight", _rule(ExpirationDate="2030-01-01T12:00:00Z"), [f"{RULE}/ExpirationDate"]),
    ("ia-too-early", _rule(Transitions=[{"StorageClass": "STANDARD_IA", "TransitionInDays": 7}]),
     [f"{RULE}/Transitions/0/TransitionInDays"]),
    ("transition-needs-when", _rule(Transitions=[{"StorageClass": "GLACIER"}]),
     [f"{RULE}/Transitions/0"]),
    ("duplicate-ids", {"LifecycleConfiguration": {"Rules": [
        {"Id": "r", "Status": "Enabled", "ExpirationInDays": 1},
        {"Id": "r", "Status": "Enabled", "ExpirationInDays": 2}]}},
     ["/LifecycleConfiguration/Rules/1/Id"]),
    ("no-rules", {"LifecycleConfiguration": {"Rules": []}}, ["/LifecycleConfiguration/Rules"]),
    ("kms-key-with-aes", {"BucketEncryption": {"ServerSideEncryptionConfiguration": [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "k"}}]}},
     ["/BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault"
      "/KMSMasterKeyID"]),
    ("blocked-encryption-types", {"BucketEncryption": {"ServerSideEncryptionConfiguration": [
        {"BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]}}]}},
     ["/BucketEncryption/ServerSideEncryptionConfiguration/0/BlockedEncryptionTypes"]),
    ("two-ownership-rules", {"OwnershipControls": {"Rules": [
        {"ObjectOwnership": "ObjectWriter"}, {"ObjectOwnership": "BucketOwnerEnforced"}]}},
     ["/OwnershipControls/Rules"]),
]


@pytest.mark.parametrize(("props", "paths"), [(p, e) for _, p, e in VALIDATION],
                         ids=[i for i, _, _ in VALIDATION])
def test_validate(props: dict[str, Any], paths: list[str]) -> None:
    assert [path for path, _ in S3Bucket.validate(props)] == paths


def test_unsupported_rule_field_message_is_clear() -> None:
    [(_, message)] = S3Bucket.validate(_rule(ExpirationInDays=1, TagFilters=[]))
    assert "TagFilters" in message and "not supported" in message


@pytest.mark.parametrize(("owner", "logical_id"), [
    ("reconciler", "DataBucket"),
    ("Team_Ops", "Logs.Archive"),
    ("o" * 80, "L" * 80),
    ("", "---"),
])
def test_generated_name_is_a_valid_unique_bucket_name(clients: AwsClients, owner: str,
                                                      logical_id: str) -> None:
    kind = S3Bucket(clients)
    names = {kind.generated_name(logical_id, owner)["BucketName"] for _ in range(5)}
    assert len(names) == 5
    for name in names:
        assert bucket_name_issues(name) == [] and len(name) <= 63 and name == name.lower()
    if owner == "reconciler":
        assert all(n.startswith("reconciler-databucket-") for n in names)


def test_declarations() -> None:
    assert S3Bucket.data_bearing is True and S3Bucket.taggable is True
    assert S3Bucket.create_only() == frozenset({"BucketName"})
    assert "/LifecycleConfiguration" in S3Bucket.exact_paths
    assert S3Bucket.attributes == frozenset({"Arn", "DomainName", "DualStackDomainName",
                                             "RegionalDomainName", "WebsiteURL"})


# --- through the CLI -----------------------------------------------------------------------

TEMPLATE = """\
Resources:
  DataKey:
    Type: AWS::KMS::Key
    Properties:
      Description: bucket key
  Archive:
    Type: AWS::S3::Bucket
    DeletionPolicy: Delete
    Properties:
      BucketName: roundtrip-archive
      VersioningConfiguration: {Status: Enabled}
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault:
              SSEAlgorithm: aws:kms
              KMSMasterKeyID: !GetAtt DataKey.Arn
            BucketKeyEnabled: true
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: true
        IgnorePublicAcls: true
        RestrictPublicBuckets: true
      OwnershipControls:
        Rules: [{ObjectOwnership: BucketOwnerEnforced}]
      LifecycleConfiguration:
        Rules:
          - Id: archive
            Status: Enabled
            Prefix: logs/
            ExpirationInDays: 365
            Transitions:
              - {StorageClass: GLACIER, TransitionInDays: 90}
            NoncurrentVersionExpiration: {NoncurrentDays: 30}
      Tags:
        - {Key: team, Value: data}
"""

ARCHIVE = "roundtrip-archive"
_PUBLIC_BLOCK = {"BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
                 "RestrictPublicBuckets": True}


def _suspend_versioning(s3: Any) -> None:
    s3.put_bucket_versioning(Bucket=ARCHIVE, VersioningConfiguration={"Status": "Suspended"})


def _shorten_expiration(s3: Any) -> None:
    s3.put_bucket_lifecycle_configuration(Bucket=ARCHIVE, LifecycleConfiguration={"Rules": [{
        "ID": "archive", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
        "Expiration": {"Days": 30}, "Transitions": [{"Days": 90, "StorageClass": "GLACIER"}],
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]})


def _drop_public_access_block(s3: Any) -> None:
    s3.delete_public_access_block(Bucket=ARCHIVE)


def _disable_bucket_key(s3: Any) -> None:
    current = s3.get_bucket_encryption(Bucket=ARCHIVE)["ServerSideEncryptionConfiguration"]
    rule = {**current["Rules"][0], "BucketKeyEnabled": False}
    s3.put_bucket_encryption(Bucket=ARCHIVE,
                             ServerSideEncryptionConfiguration={"Rules": [rule]})


def _allow_object_writer(s3: Any) -> None:
    s3.put_bucket_ownership_controls(Bucket=ARCHIVE, OwnershipControls={
        "Rules": [{"ObjectOwnership": "ObjectWriter"}]})


DRIFTS: list[tuple[str, Any, list[dict[str, Any]]]] = [
    ("suspend-versioning", _suspend_versioning,
     [{"path": "/VersioningConfiguration/Status", "old": "Suspended", "new": "Enabled"}]),
    ("shorten-expiration", _shorten_expiration,
     [{"path": "/LifecycleConfiguration/Rules/0/ExpirationInDays", "old": 30, "new": 365}]),
    ("drop-public-access-block", _drop_public_access_block,
     [{"path": "/PublicAccessBlockConfiguration", "old": None, "new": _PUBLIC_BLOCK}]),
    ("disable-bucket-key", _disable_bucket_key,
     [{"path": "/BucketEncryption/ServerSideEncryptionConfiguration/0/BucketKeyEnabled",
       "old": False, "new": True}]),
    ("object-writer", _allow_object_writer,
     [{"path": "/OwnershipControls/Rules/0/ObjectOwnership", "old": "ObjectWriter",
       "new": "BucketOwnerEnforced"}]),
]


@needs_cli
@pytest.mark.parametrize(("drift", "expected"), [(d, e) for _, d, e in DRIFTS],
                         ids=[i for i, _, _ in DRIFTS])
def test_round_trip_drift_is_found_and_corrected(stack: Any, clients: AwsClients,
                                                 drift: Any,
                                                 expected: list[dict[str, Any]]) -> None:
    stack.write("archive.yaml", TEMPLATE)
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    clean = stack.plan()
    assert clean.code == 0, clean.out + clean.err
    assert {c["status"] for c in clean.json["changes"]} == {"InSync"}

    drift(clients.client("s3"))

    drifted = stack.plan()
    assert drifted.code == 2, drifted.out + drifted.err
    change = drifted.change("Archive")
    assert (change["status"], change["action"]) == ("Drifted", "update")
    assert change["diff"] == expected
    assert drifted.change("DataKey")["status"] == "InSync"

    fixed = stack.apply()
    assert fixed.code == 0, fixed.out + fixed.err
    again = stack.plan()
    assert again.code == 0, again.out + again.err


@needs_cli
def test_round_trip_tag_drift_is_corrected(stack: Any, clients: AwsClients) -> None:
    stack.write("archive.yaml", TEMPLATE)
    assert stack.apply().code == 0
    s3 = clients.client("s3")
    tags = s3.get_bucket_tagging(Bucket=ARCHIVE)["TagSet"]
    s3.put_bucket_tagging(Bucket=ARCHIVE, Tagging={"TagSet": [
        *[t for t in tags if t["Key"] != "team"], {"Key": "team", "Value": "ops"}]})
    drifted = stack.plan()
    assert drifted.code == 2, drifted.out + drifted.err
    change = drifted.change("Archive")
    assert (change["status"], change["action"]) == ("Drifted", "update")
    assert stack.apply().code == 0
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=ARCHIVE)["TagSet"]}
    assert tags["team"] == "data" and "reconciler:owner" in tags
    assert stack.plan().code == 0


NORMALIZED = """\
Resources:
  DataKey:
    Type: AWS::KMS::Key
    Properties:
      Description: bucket key
  Archive:
    Type: AWS::S3::Bucket
    DeletionPolicy: Delete
    Properties:
      VersioningConfiguration: {Status: Enabled}
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault:
              SSEAlgorithm: aws:kms
              KMSMasterKeyID: !Ref DataKey
      PublicAccessBlockConfiguration: {BlockPublicAcls: "true"}
      LifecycleConfiguration:
        Rules:
          - Status: Enabled
            Transition: {StorageClass: Glacier, TransitionInDays: "90"}
            NoncurrentVersionExpirationInDays: 30
            ExpirationDate: "2031-01-01T00:00:00Z"
"""


@needs_cli
def test_round_trip_equivalent_spellings_plan_clean(stack: Any, clients: AwsClients) -> None:
    """A generated name, a key ID where S3 may report an ARN, string numbers and booleans,
    legacy lifecycle spellings, an ID-less rule, undeclared public access flags."""
    stack.write("archive.yaml", NORMALIZED)
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    plan = stack.plan()
    assert plan.code == 0, plan.out + plan.err
    assert plan.change("Archive")["status"] == "InSync"
    [bucket] = [b["Name"] for b in clients.client("s3").list_buckets()["Buckets"]]
    assert bucket.startswith("reconciler-archive-") and bucket_name_issues(bucket) == []
