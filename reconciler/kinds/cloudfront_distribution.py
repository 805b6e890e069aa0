"""AWS::CloudFront::Distribution: a distribution, its whole DistributionConfig and tags.

A no-drift observe costs GetDistribution (status and config) and ListTagsForResource.
Only what the template declares is read back (``cloudfront_distribution_config``):
GetDistributionConfig answers about 50 defaults, none of them drift.

CloudFront deploys every change for minutes: a create or update returns at once and the
distribution is pending while its Status is ``InProgress``. An update sends the whole
config with the ETag of a fresh GetDistributionConfig (IfMatch), retried once when
CloudFront answers PreconditionFailed (someone changed it in between). Deleting needs a
disabled, deployed distribution: the delete disables it and, while CloudFront deploys
that, raises TransientError (the engine comes back), deleting once it is Deployed.
CreateDistributionWithTags carries the ownership tags, and CallerReference is the create
intent's token (CloudFront answers a repeated one with the same distribution).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reconciler.aws.eventual import error_code
from reconciler.aws.normalize import LOGICAL_ID_TAG, OWNER_TAG
from reconciler.kinds import cloudfront_distribution_config as shape
from reconciler.kinds.base import Observation, Props, TransientError, is_intrinsic
from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.listing import Listing
from reconciler.kinds.model_shapes import token_for

_DEPLOYED = "Deployed"
_STALE = "PreconditionFailed"
_DEPLOY_RETRY_SECONDS = 60.0  # CloudFront deploys a change in minutes


class Distribution(DeclaredKind):
    type_name = "AWS::CloudFront::Distribution"
    listing = Listing("cloudfront", "ListDistributions", "DistributionList.Items[].Id")
    managed_properties = frozenset({"DistributionConfig", "Tags"})

    service, identifier = "cloudfront", "Id"
    read_call = Call("GetDistribution", result="Distribution")
    create_call = Call("CreateDistributionWithTags",
                       renames={"/DistributionConfig": "DistributionConfigWithTags"})
    delete_call = Call("DeleteDistribution")
    writers = {"DistributionConfig": "update_config"}
    gone_codes = ("NoSuchDistribution",)

    @property
    def _config_shape(self) -> Any:
        return self.operation("UpdateDistribution").input_shape.members["DistributionConfig"]

    # --- read -------------------------------------------------------------------------------

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        return {"DistributionConfig": shape.from_api(resource.get("DistributionConfig") or {},
                                                     desired.get("DistributionConfig") or {})}

    def pending_reason(self, resource: dict[str, Any]) -> str | None:
        status = resource.get("Status")
        return None if status == _DEPLOYED else f"Status {status}"

    def attributes_from(self, resource: dict[str, Any], physical_id: str) -> dict[str, Any]:
        return {"Id": physical_id, "DomainName": resource.get("DomainName"),
                "Ref": physical_id}

    def read_tags(self, physical_id: str, resource: dict[str, Any]) -> dict[str, str]:
        answer = self.client.list_tags_for_resource(Resource=resource["ARN"])
        return {t["Key"]: t.get("Value", "") for t in answer["Tags"].get("Items") or []}

    def set_tags(self, physical_id: str, add: dict[str, str], remove: list[str]) -> None:
        arn = self.client.get_distribution(Id=physical_id)["Distribution"]["ARN"]
        if remove:
            self.client.untag_resource(Resource=arn, TagKeys={"Items": list(remove)})
        if add:
            self.client.tag_resource(Resource=arn, Tags={"Items": [
                {"Key": k, "Value": v} for k, v in sorted(add.items())]})

    # --- create and update ------------------------------------------------------------------

    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        config = shape.with_required(shape.to_api(desired["DistributionConfig"],
                                                  self._config_shape))
        config["CallerReference"] = token_for(token, self._config_shape.members[
            "CallerReference"])
        body = {"DistributionConfig": config,
                "Tags": {"Items": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}}
        # No idempotency token botocore knows of: it must not resend the create on its own.
        client = self.aws.client(self.service, retries=False)
        answer = client.create_distribution_with_tags(DistributionConfigWithTags=body)
        return self._observed(answer["Distribution"], desired, tags)

    def update_config(self, physical_id: str, values: Props,
                      observed: Observation | None) -> Observation:
        """GetDistributionConfig, then UpdateDistribution with its ETag; a stale ETag
        (PreconditionFailed) gets one more fresh read and try, then is transient."""
        declared = shape.to_api(values["DistributionConfig"], self._config_shape)
        for attempt in (1, 2):
            current = self.client.get_distribution_config(Id=physical_id)
            config = shape.with_required(shape.merged(current["DistributionConfig"], declared))
            try:
                answer = self.client.update_distribution(
                    Id=physical_id, IfMatch=current["ETag"], DistributionConfig=config)
                break
            except ClientError as exc:
                if error_code(exc) != _STALE:
                    raise
                if attempt == 2:
                    raise TransientError(f"distribution {physical_id} changed twice while "
                                         "being updated (stale ETag)", delay=10) from exc
        tags = observed.tags if observed is not None else None
        return self._observed(answer["Distribution"], {"DistributionConfig": values[
            "DistributionConfig"]}, tags)

    def update(self, physical_id: str, desired: Props, observed: Observation,
               changed: frozenset[str]) -> Observation | None:
        if "DistributionConfig" not in changed:
            return None
        return self.update_config(physical_id, desired, observed)

    def _observed(self, distribution: dict[str, Any], desired: Props,
                  tags: dict[str, str] | None) -> Observation:
        physical_id = str(distribution["Id"])
        return Observation(physical_id, self.properties_from(distribution, desired),
                           dict(tags) if tags is not None else None,
                           self.attributes_from(distribution, physical_id),
                           pending=self.pending_reason(distribution))

    # --- delete -----------------------------------------------------------------------------

    def delete(self, physical_id: str, desired: Props) -> None:
        """Disable, wait (TransientError) until Deployed, delete with the current ETag."""
        with self.gone_is_done():
            current = self.client.get_distribution_config(Id=physical_id)
            config, etag = current["DistributionConfig"], current["ETag"]
            if config.get("Enabled"):
                answer = self.client.update_distribution(
                    Id=physical_id, IfMatch=etag, DistributionConfig={**config, "Enabled": False})
                if answer["Distribution"].get("Status") != _DEPLOYED:
                    raise TransientError(f"distribution {physical_id} is being disabled; "
                                         "deleted once Deployed", delay=_DEPLOY_RETRY_SECONDS)
                etag = answer["ETag"]
            else:
                status = self.client.get_distribution(Id=physical_id)["Distribution"]["Status"]
                if status != _DEPLOYED:
                    raise TransientError(f"distribution {physical_id} is disabled, Status "
                                         f"{status}; deleted once Deployed",
                                         delay=_DEPLOY_RETRY_SECONDS)
            try:
                self.client.delete_distribution(Id=physical_id, IfMatch=etag)
            except ClientError as exc:
                if error_code(exc) in (_STALE, "DistributionNotDisabled"):
                    raise TransientError(f"distribution {physical_id}: {error_code(exc)}; "
                                         "retried", delay=_DEPLOY_RETRY_SECONDS) from exc
                raise

    # --- find -------------------------------------------------------------------------------

    def find(self, owner: str, logical_id: str) -> str | None:
        """A distribution carrying our ownership tags: ListDistributions and each one's tags
        (only after a lost create reply or a crash)."""
        try:
            pages = self.client.get_paginator("list_distributions").paginate()
            for page in pages:
                for item in (page.get("DistributionList") or {}).get("Items") or []:
                    answer = self.client.list_tags_for_resource(Resource=item["ARN"])
                    tags = {t["Key"]: t.get("Value") for t in answer["Tags"].get("Items") or []}
                    if tags.get(OWNER_TAG) == owner and tags.get(LOGICAL_ID_TAG) == logical_id:
                        return str(item["Id"])
        except (ClientError, BotoCoreError):
            return None
        return None

    # --- validation -------------------------------------------------------------------------

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        config = props.get("DistributionConfig")
        if not isinstance(config, dict) or is_intrinsic(config):
            return []
        return _config_issues(config)


def _config_issues(config: dict[str, Any]) -> list[tuple[str, str]]:
    """What CloudFront refuses and moto accepts, and what this kind does not manage."""
    at = "/DistributionConfig"
    problems = [(f"{at}/{key}", f"{key} is CloudFormation's legacy form: use "
                                f"{'Aliases' if key == 'CNAMEs' else 'Origins'}")
                for key in ("CNAMEs", "CustomOrigin", "S3Origin") if key in config]
    problems += [(f"{at}/{key}", "is not managed yet") for key in (
        "OriginGroups", "TenantConfig", "ConnectionMode") if key in config]
    origins = config.get("Origins")
    # A list, not a set: an Id may be an intrinsic (a dict).
    ids = [o.get("Id") for o in origins if isinstance(o, dict)] \
        if isinstance(origins, list) else None
    default = config.get("DefaultCacheBehavior")
    ordered = config.get("CacheBehaviors")
    paths = [("DefaultCacheBehavior", default)] + [
        (f"CacheBehaviors/{i}", b) for i, b in enumerate(ordered if isinstance(ordered, list)
                                                        else [])]
    for path, behavior in paths:
        if not isinstance(behavior, dict) or is_intrinsic(behavior):
            continue
        if "CachePolicyId" not in behavior and "ForwardedValues" not in behavior:
            problems.append((f"{at}/{path}", "needs CachePolicyId or ForwardedValues"))
        target = behavior.get("TargetOriginId")
        if ids is not None and isinstance(target, str) and not any(
                is_intrinsic(i) for i in ids) and target not in ids:
            problems.append((f"{at}/{path}/TargetOriginId", f"no origin has Id {target!r}"))
        if "CachedMethods" in behavior and "AllowedMethods" not in behavior:
            problems.append((f"{at}/{path}/CachedMethods", "needs AllowedMethods"))
    certificate = config.get("ViewerCertificate")
    if isinstance(certificate, dict) and not is_intrinsic(certificate):
        arn = certificate.get("AcmCertificateArn")
        if isinstance(arn, str) and arn and ":acm:us-east-1:" not in arn:
            problems.append((f"{at}/ViewerCertificate/AcmCertificateArn",
                             "CloudFront takes ACM certificates from us-east-1 only"))
        aliases = config.get("Aliases")
        if certificate.get("CloudFrontDefaultCertificate") is True and isinstance(
                aliases, list) and aliases:
            problems.append((f"{at}/Aliases", "aliases need a certificate of their own, not "
                                              "CloudFront's default certificate"))
    logging = config.get("Logging")
    bucket = logging.get("Bucket") if isinstance(logging, dict) else None
    if isinstance(bucket, str) and not bucket.endswith(".s3.amazonaws.com"):
        problems.append((f"{at}/Logging/Bucket",
                         "must be a bucket's domain name (<bucket>.s3.amazonaws.com)"))
    return problems
