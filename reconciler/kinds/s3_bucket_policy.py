"""AWS::S3::BucketPolicy: the one resource policy of a bucket. Not taggable; the bucket name
is the ID. A no-drift observe costs one GetBucketPolicy."""

from __future__ import annotations

import json
from typing import Any

from reconciler.kinds.base import Props, is_intrinsic
from reconciler.kinds.declared import Call, DeclaredKind

_VERSIONS = ("2012-10-17", "2008-10-17")
_PUT = Call("PutBucketPolicy", renames={"/PolicyDocument": "Policy"})


class S3BucketPolicy(DeclaredKind):
    type_name = "AWS::S3::BucketPolicy"
    managed_properties = frozenset({"Bucket", "PolicyDocument"})
    policy_paths = frozenset({"/PolicyDocument"})

    service, identifier = "s3", "Bucket"
    read_call = Call("GetBucketPolicy", result="{PolicyDocument: Policy}")
    create_call = _PUT
    writers = {"PolicyDocument": _PUT}
    delete_call = Call("DeleteBucketPolicy")
    gone_codes = ("NoSuchBucketPolicy", "NoSuchBucket")
    # S3 refuses a principal naming a role created moments ago until IAM has propagated it.
    transient_codes = {"MalformedPolicy": ("Invalid principal",)}

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        # moto stores any string as a policy; AWS answers MalformedPolicy. Catch it here.
        return policy_document_issues(props.get("PolicyDocument"), "/PolicyDocument")


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
