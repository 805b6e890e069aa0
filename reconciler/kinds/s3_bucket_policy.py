"""AWS::S3::BucketPolicy: the one resource policy of a bucket. Not taggable; the bucket name
is the ID."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.eventual import is_not_found, retry_while_propagating
from reconciler.kinds.base import Kind, Observation, Props, is_intrinsic

# S3 refuses a principal naming a role created moments ago until IAM has propagated it.
_PRINCIPAL_PROPAGATION = frozenset({"MalformedPolicy"})
_NO_POLICY = ("NoSuchBucketPolicy", "NoSuchBucket")
_VERSIONS = ("2012-10-17", "2008-10-17")


class S3BucketPolicy(Kind):
    type_name = "AWS::S3::BucketPolicy"
    managed_properties = frozenset({"Bucket", "PolicyDocument"})
    policy_paths = frozenset({"/PolicyDocument"})

    @property
    def _s3(self) -> Any:
        return self.aws.client("s3")

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        # moto stores any string as a policy; AWS answers MalformedPolicy. Catch it here.
        return policy_document_issues(props.get("PolicyDocument"), "/PolicyDocument")

    def physical_id(self, props: Props) -> str | None:
        bucket = props.get("Bucket")
        return bucket if isinstance(bucket, str) else None

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        try:
            text = self._s3.get_bucket_policy(Bucket=physical_id)["Policy"]
        except ClientError as exc:
            if is_not_found(exc, *_NO_POLICY):
                return None
            raise
        try:
            document: Any = json.loads(text)
        except ValueError:
            document = text  # shown as-is in the diff rather than failing the whole plan
        return Observation(
            physical_id=physical_id,
            properties={"Bucket": physical_id, "PolicyDocument": document},
            tags=None,
            attributes={"Ref": physical_id},
        )

    def create(self, desired: Props, tags: dict[str, str]) -> Observation:
        bucket = desired["Bucket"]
        self._put(bucket, desired["PolicyDocument"])
        return Observation(physical_id=bucket, properties={}, tags=None,
                           attributes={"Ref": bucket})

    def update(self, physical_id: str, desired: Props, observed: Observation,
               changed: frozenset[str]) -> None:
        # Bucket is create-only (the engine replaces), so only the document can change.
        if "PolicyDocument" in changed:
            self._put(physical_id, desired["PolicyDocument"])

    def set_tags(self, physical_id: str, add: dict[str, str], remove: list[str]) -> None:
        # A bucket policy cannot carry tags; ownership rests on the inventory alone.
        return None

    def delete(self, physical_id: str, desired: Props) -> None:
        try:
            self._s3.delete_bucket_policy(Bucket=physical_id)
        except ClientError as exc:
            if not is_not_found(exc, *_NO_POLICY):
                raise

    def _put(self, bucket: str, document: Any) -> None:
        text = document if isinstance(document, str) else json.dumps(document)
        retry_while_propagating(
            lambda: self._s3.put_bucket_policy(Bucket=bucket, Policy=text),
            codes=_PRINCIPAL_PROPAGATION,
            message_contains=("Invalid principal",),
        )


def policy_document_issues(document: Any, path: str) -> list[tuple[str, str]]:
    """What AWS would call a malformed resource policy, as (JSON pointer, message)."""
    if document is None or is_intrinsic(document):
        return []
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return [(path, "policy document is not valid JSON")]
    if not isinstance(document, dict):
        return [(path, "policy document must be a JSON object")]
    issues: list[tuple[str, str]] = []
    version = document.get("Version")
    if version is not None and not is_intrinsic(version) and version not in _VERSIONS:
        issues.append((f"{path}/Version", f"Version must be one of {', '.join(_VERSIONS)}"))
    statements = document.get("Statement")
    if is_intrinsic(statements):
        return issues
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        issues.append((f"{path}/Statement", "policy needs a non-empty Statement list"))
        return issues
    for index, statement in enumerate(statements):
        issues.extend(_statement_issues(statement, f"{path}/Statement/{index}"))
    return issues


def _statement_issues(statement: Any, path: str) -> list[tuple[str, str]]:
    if is_intrinsic(statement):
        return []
    if not isinstance(statement, dict):
        return [(path, "statement must be an object")]
    issues: list[tuple[str, str]] = []
    effect = statement.get("Effect")
    if not is_intrinsic(effect) and effect not in ("Allow", "Deny"):
        issues.append((f"{path}/Effect", "Effect must be Allow or Deny"))
    # A resource policy names who it applies to, what they may do and on which resources.
    for one, other in (("Principal", "NotPrincipal"), ("Action", "NotAction"),
                       ("Resource", "NotResource")):
        present = [k for k in (one, other) if k in statement]
        if not present:
            issues.append((path, f"statement needs {one} or {other}"))
        elif len(present) == 2:
            issues.append((path, f"statement may not have both {one} and {other}"))
        elif statement[present[0]] in ("", [], {}, None):
            issues.append((f"{path}/{present[0]}", f"{present[0]} must not be empty"))
    return issues
