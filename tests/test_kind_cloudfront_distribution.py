"""What is particular to AWS::CloudFront::Distribution (the contract suite covers the round
trip). On moto over HTTP: CloudFront's defaults are never drift, a behaviour changed out of
band is. moto neither checks the ETag nor keeps a distribution InProgress (nor refuses to
delete an enabled one), so the stale-ETag, pending and delete paths use
``botocore.stub.Stubber``, which checks every request against the CloudFront model."""

from __future__ import annotations

import copy
import datetime
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from reconciler.kinds.base import Observation, TransientError
from reconciler.kinds.cloudfront_distribution import Distribution
from tests.harness import Stack
from tests.stubbing import OneClient

MINIMAL = """
Resources:
  Cdn:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        Enabled: true
        Origins:
          - {Id: alb, DomainName: edge-alb-1.us-east-1.elb.amazonaws.com,
             CustomOriginConfig: {OriginProtocolPolicy: https-only}}
        DefaultCacheBehavior:
          TargetOriginId: alb
          ViewerProtocolPolicy: redirect-to-https
          CachePolicyId: 4135ea2d-6df8-44a3-9df3-4b5a84be39ad
"""


def _converged(stack: Stack) -> dict[str, Any]:
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    plan = stack.plan()
    assert plan.code == 0, [c for c in plan.json["changes"] if c["status"] != "InSync"]
    return plan.change("Cdn")


# --- on moto -------------------------------------------------------------------------------

def test_a_minimal_config_is_clean_over_cloudfronts_defaults(stack: Stack) -> None:
    """GetDistributionConfig answers some 50 members the template leaves out (Compress,
    TTLs, IsIPV6Enabled, OriginShield, ...): none of them is drift."""
    stack.write("cdn.yaml", MINIMAL)
    change = _converged(stack)
    config = boto3.client("cloudfront").get_distribution_config(
        Id=change["physical_id"])["DistributionConfig"]
    assert len(_leaves(config)) > 40  # what the template did not declare


def test_an_s3_origin_identity_and_edge_functions_read_back_in_the_emulator(
        stack: Stack) -> None:
    """As CloudFront answers them (reconciler/aws/local_server.py): moto as released drops
    an S3 origin's access identity and the behaviour's Lambda@Edge associations."""
    edge = "arn:aws:lambda:us-east-1:123456789012:function:headers:1"
    stack.write("cdn.yaml", MINIMAL.replace(
        "          CachePolicyId: 4135ea2d-6df8-44a3-9df3-4b5a84be39ad\n",
        "          CachePolicyId: 4135ea2d-6df8-44a3-9df3-4b5a84be39ad\n"
        "          LambdaFunctionAssociations:\n"
        f"            - {{EventType: viewer-response, LambdaFunctionARN: '{edge}'}}\n"
    ).replace("CustomOriginConfig: {OriginProtocolPolicy: https-only}}",
              "CustomOriginConfig: {OriginProtocolPolicy: https-only}}\n"
              "          - {Id: files, DomainName: files.s3.amazonaws.com, S3OriginConfig:\n"
              "             {OriginAccessIdentity: origin-access-identity/cloudfront/E1X}}"))
    change = _converged(stack)
    config = boto3.client("cloudfront").get_distribution_config(
        Id=change["physical_id"])["DistributionConfig"]
    assert config["Origins"]["Items"][1]["S3OriginConfig"] == {
        "OriginAccessIdentity": "origin-access-identity/cloudfront/E1X"}
    assert config["DefaultCacheBehavior"]["LambdaFunctionAssociations"]["Items"][0][
        "LambdaFunctionARN"] == edge


def test_a_behaviour_changed_out_of_band_is_drift_and_the_rest_is_kept(stack: Stack) -> None:
    stack.write("cdn.yaml", MINIMAL)
    distribution = _converged(stack)["physical_id"]
    cloudfront = boto3.client("cloudfront")
    current = cloudfront.get_distribution_config(Id=distribution)
    config = current["DistributionConfig"]
    config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] = "allow-all"
    config["DefaultCacheBehavior"]["Compress"] = False  # undeclared: not drift, kept
    cloudfront.update_distribution(Id=distribution, IfMatch=current["ETag"],
                                   DistributionConfig=config)

    change = stack.plan().change("Cdn")
    assert (change["status"], change["action"]) == ("Drifted", "update")
    assert change["diff"] == [{"path": "/DistributionConfig/DefaultCacheBehavior/"
                                       "ViewerProtocolPolicy",
                               "old": "allow-all", "new": "redirect-to-https"}]
    _converged(stack)
    after = cloudfront.get_distribution_config(Id=distribution)["DistributionConfig"]
    assert after["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert after["DefaultCacheBehavior"]["Compress"] is False
    assert after["CallerReference"] == config["CallerReference"]


FULL = """
Resources:
  Cdn:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        Enabled: true
        Comment: every managed part
        Aliases: [www.ryuzen.example, ryuzen.example]
        DefaultRootObject: index.html
        PriceClass: PriceClass_200
        HttpVersion: http2
        WebACLId: arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/1234
        Logging: {Bucket: edge-logs.s3.amazonaws.com, Prefix: cdn/}
        Restrictions: {GeoRestriction: {RestrictionType: whitelist, Locations: [DE, JP]}}
        CustomErrorResponses:
          - {ErrorCode: 404, ResponseCode: 200, ResponsePagePath: /index.html}
        Origins:
          - {Id: alb, DomainName: edge-alb-1.us-east-1.elb.amazonaws.com,
             OriginCustomHeaders: [{HeaderName: X-Origin-Verify, HeaderValue: secret}],
             CustomOriginConfig: {OriginProtocolPolicy: https-only, HTTPSPort: 8443}}
          # moto never answers an origin's S3OriginConfig: a second custom origin here.
          - {Id: assets, DomainName: assets.ryuzen.example,
             CustomOriginConfig: {OriginProtocolPolicy: match-viewer}}
        DefaultCacheBehavior:
          TargetOriginId: alb
          ViewerProtocolPolicy: redirect-to-https
          ForwardedValues: {QueryString: true, Headers: [Authorization]}
          AllowedMethods: [GET, HEAD, OPTIONS]
        CacheBehaviors:
          - {PathPattern: /static/*, TargetOriginId: assets, ViewerProtocolPolicy: https-only,
             CachePolicyId: 658327ea-f89d-4fab-a63d-7e88639e58f6}
        ViewerCertificate:
          AcmCertificateArn: arn:aws:acm:us-east-1:123456789012:certificate/abc
          SslSupportMethod: sni-only
          MinimumProtocolVersion: TLSv1.2_2021
"""


def test_every_managed_part_converges_and_changes_in_place(stack: Stack) -> None:
    stack.write("cdn.yaml", FULL)
    distribution = _converged(stack)["physical_id"]
    stack.write("cdn.yaml", FULL.replace("Locations: [DE, JP]", "Locations: [DE]").replace(
        "Prefix: cdn/", "Prefix: edge/"))
    change = stack.plan().change("Cdn")
    assert sorted(d["path"] for d in change["diff"]) == [
        "/DistributionConfig/Logging/Prefix",
        "/DistributionConfig/Restrictions/GeoRestriction/Locations"]
    _converged(stack)
    config = boto3.client("cloudfront").get_distribution_config(
        Id=distribution)["DistributionConfig"]
    assert config["Restrictions"]["GeoRestriction"]["Items"] == ["DE"]
    assert config["Origins"]["Items"][0]["CustomOriginConfig"]["HTTPSPort"] == 8443


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


# --- stubbed: what moto cannot show ---------------------------------------------------------

DIST_ID = "E2QWRUHEXAMPLE"
DESIRED = {"DistributionConfig": {
    "Enabled": True, "Comment": "toron",
    "Origins": [{"Id": "alb", "DomainName": "alb.example.com",
                 "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"}}],
    "DefaultCacheBehavior": {"TargetOriginId": "alb", "ViewerProtocolPolicy": "https-only",
                             "CachePolicyId": "policy-1"},
}}
API_CONFIG: dict[str, Any] = {
    "CallerReference": "ref-1", "Comment": "toron", "Enabled": True,
    "Origins": {"Quantity": 1, "Items": [{
        "Id": "alb", "DomainName": "alb.example.com", "ConnectionAttempts": 3,
        "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443,
                               "OriginProtocolPolicy": "https-only"}}]},
    "DefaultCacheBehavior": {"TargetOriginId": "alb", "ViewerProtocolPolicy": "https-only",
                             "CachePolicyId": "policy-1", "Compress": True},
    "PriceClass": "PriceClass_All",
}


def _cloudfront() -> Any:
    return boto3.client("cloudfront", region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x")


def _distribution(status: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"Id": DIST_ID, "ARN": f"arn:aws:cloudfront::123456789012:distribution/{DIST_ID}",
            "Status": status, "LastModifiedTime": datetime.datetime(2026, 1, 1),
            "InProgressInvalidationBatches": 0, "DomainName": "d111111abcdef8.cloudfront.net",
            "DistributionConfig": config or API_CONFIG}


def _got(stub: Stubber, status: str, config: dict[str, Any] | None = None) -> None:
    stub.add_response("get_distribution", {"Distribution": _distribution(status, config),
                                           "ETag": "E1"}, {"Id": DIST_ID})
    stub.add_response("list_tags_for_resource", {"Tags": {"Items": []}}, {"Resource": ANY})


def _config(stub: Stubber, etag: str, config: dict[str, Any] | None = None) -> None:
    stub.add_response("get_distribution_config", {"DistributionConfig": config or API_CONFIG,
                                                  "ETag": etag}, {"Id": DIST_ID})


def test_create_and_update_are_pending_until_deployed_stubbed() -> None:
    """Stubbed: CloudFront answers InProgress for minutes after a create or an update."""
    client = _cloudfront()
    kind = Distribution(OneClient(client))
    with Stubber(client) as stub:
        stub.add_response("create_distribution_with_tags", {
            "Distribution": _distribution("InProgress"), "ETag": "E1",
            "Location": "https://cloudfront.amazonaws.com/2020-05-31/distribution/x"},
            {"DistributionConfigWithTags": ANY})
        _got(stub, "InProgress")
        _got(stub, "Deployed")
        created = kind.create(DESIRED, {"reconciler:owner": "r"}, token="intent-1")
        still = kind.observe(DIST_ID, DESIRED)
        ready = kind.observe(DIST_ID, DESIRED)
        stub.assert_no_pending_responses()
    assert created.pending == still.pending == "Status InProgress"  # type: ignore[union-attr]
    assert ready is not None and ready.pending is None
    assert ready.properties == DESIRED  # the defaults in the answer are not read back
    assert ready.attributes == {"Id": DIST_ID, "DomainName": "d111111abcdef8.cloudfront.net",
                                "Ref": DIST_ID}


def test_create_sends_the_token_as_caller_reference_with_the_required_defaults_stubbed(
        ) -> None:
    client = _cloudfront()
    sent: dict[str, Any] = {}

    def capture(params: dict[str, Any], **_: Any) -> None:
        sent.update(params)

    client.meta.events.register("provide-client-params.cloudfront.CreateDistributionWithTags",
                                capture)
    with Stubber(client) as stub:
        stub.add_response("create_distribution_with_tags", {
            "Distribution": _distribution("InProgress"), "ETag": "E1", "Location": "x"},
            {"DistributionConfigWithTags": ANY})
        Distribution(OneClient(client)).create(DESIRED, {"a": "b"}, token="intent-1")
        again = copy.deepcopy(sent)
        stub.add_response("create_distribution_with_tags", {
            "Distribution": _distribution("InProgress"), "ETag": "E1", "Location": "x"},
            {"DistributionConfigWithTags": ANY})
        Distribution(OneClient(client)).create(DESIRED, {"a": "b"}, token="intent-1")
    config = sent["DistributionConfigWithTags"]["DistributionConfig"]
    assert config["CallerReference"] == again["DistributionConfigWithTags"][
        "DistributionConfig"]["CallerReference"]  # the same intent, the same reference
    origin = config["Origins"]["Items"][0]["CustomOriginConfig"]
    assert (origin["HTTPPort"], origin["HTTPSPort"]) == (80, 443)  # CloudFormation's defaults
    assert sent["DistributionConfigWithTags"]["Tags"] == {"Items": [{"Key": "a", "Value": "b"}]}


def test_a_stale_etag_is_read_again_and_retried_once_stubbed() -> None:
    """Stubbed: moto never changes the ETag. The first UpdateDistribution is refused with
    PreconditionFailed; the kind reads the config again and sends it with the new ETag,
    merged over what CloudFront has (undeclared Compress kept)."""
    client = _cloudfront()
    kind = Distribution(OneClient(client))
    wanted = copy.deepcopy(DESIRED)
    wanted["DistributionConfig"]["Comment"] = "toron v2"
    with Stubber(client) as stub:
        _config(stub, "E1")
        stub.add_client_error("update_distribution", "PreconditionFailed",
                              "The If-Match version is missing or not valid", 412,
                              expected_params={"Id": DIST_ID, "IfMatch": "E1",
                                               "DistributionConfig": ANY})
        _config(stub, "E2")
        merged = {**API_CONFIG, "Comment": "toron v2"}
        stub.add_response("update_distribution", {
            "Distribution": _distribution("InProgress", merged), "ETag": "E3"},
            {"Id": DIST_ID, "IfMatch": "E2", "DistributionConfig": merged})
        after = kind.update(DIST_ID, wanted, kind_observation(), frozenset({
            "DistributionConfig"}))
        stub.assert_no_pending_responses()
    assert after is not None and after.pending == "Status InProgress"
    assert after.properties["DistributionConfig"]["Comment"] == "toron v2"


def test_a_second_stale_etag_is_transient_stubbed() -> None:
    client = _cloudfront()
    with Stubber(client) as stub:
        for etag in ("E1", "E2"):
            _config(stub, etag)
            stub.add_client_error("update_distribution", "PreconditionFailed", "stale", 412)
        with pytest.raises(TransientError, match="stale ETag"):
            Distribution(OneClient(client)).update(DIST_ID, DESIRED, kind_observation(),
                                                   frozenset({"DistributionConfig"}))


def test_delete_disables_first_and_waits_for_deployed_without_sleeping_stubbed() -> None:
    """Stubbed: CloudFront refuses to delete an enabled distribution (moto deletes it). The
    first delete disables it and raises TransientError while CloudFront deploys that; the
    next one, once Deployed, deletes it with the current ETag."""
    client = _cloudfront()
    kind = Distribution(OneClient(client))
    disabled = {**API_CONFIG, "Enabled": False}
    with Stubber(client) as stub:
        _config(stub, "E1")
        stub.add_response("update_distribution", {
            "Distribution": _distribution("InProgress", disabled), "ETag": "E2"},
            {"Id": DIST_ID, "IfMatch": "E1", "DistributionConfig": disabled})
        with pytest.raises(TransientError, match="being disabled"):
            kind.delete(DIST_ID, DESIRED)
        _config(stub, "E2", disabled)
        stub.add_response("get_distribution", {
            "Distribution": _distribution("InProgress", disabled), "ETag": "E2"},
            {"Id": DIST_ID})
        with pytest.raises(TransientError, match="deleted once Deployed"):
            kind.delete(DIST_ID, DESIRED)
        _config(stub, "E2", disabled)
        stub.add_response("get_distribution", {
            "Distribution": _distribution("Deployed", disabled), "ETag": "E2"},
            {"Id": DIST_ID})
        stub.add_response("delete_distribution", {}, {"Id": DIST_ID, "IfMatch": "E2"})
        kind.delete(DIST_ID, DESIRED)
        stub.assert_no_pending_responses()


def kind_observation() -> Observation:
    return Observation(DIST_ID, {"DistributionConfig": DESIRED["DistributionConfig"]}, {})


@pytest.mark.parametrize(("change", "pointer"), [
    ({"CNAMEs": ["a.example"]}, "/DistributionConfig/CNAMEs"),
    ({"DefaultCacheBehavior": {"TargetOriginId": "alb", "ViewerProtocolPolicy": "allow-all"}},
     "/DistributionConfig/DefaultCacheBehavior"),
    ({"DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "allow-all",
                               "CachePolicyId": "p"}},
     "/DistributionConfig/DefaultCacheBehavior/TargetOriginId"),
    ({"Aliases": ["ryuzen.example"], "ViewerCertificate": {"CloudFrontDefaultCertificate": True}},
     "/DistributionConfig/Aliases"),
    ({"ViewerCertificate": {"AcmCertificateArn": "arn:aws:acm:eu-west-1:1:certificate/x"}},
     "/DistributionConfig/ViewerCertificate/AcmCertificateArn"),
    ({"Logging": {"Bucket": "logs"}}, "/DistributionConfig/Logging/Bucket"),
])
def test_what_cloudfront_refuses_is_invalid(change: dict[str, Any], pointer: str) -> None:
    props = {"DistributionConfig": {**DESIRED["DistributionConfig"], **change}}
    assert [p for p, _ in Distribution.validate(props)] == [pointer]
