"""A KMS key as AWS reports it on another resource, spelled as the template declares it."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.eventual import is_not_found
from reconciler.aws.normalize import same_identifier


def kms_key_as_declared(aws: Any, actual: Any, wanted: Any) -> Any:
    """The KMS key AWS reports, in the declared spelling when both name the same key.

    An ID and an ARN compare equal in the diff; an alias names a key only through KMS,
    so one DescribeKey per alias resolves it (a key we cannot see compares as written).
    """
    if not (isinstance(wanted, str) and isinstance(actual, str)) or same_identifier(
            actual, wanted) or "alias/" not in actual + wanted:
        return actual

    def key_arn(reference: str) -> str | None:
        if "alias/" not in reference:
            return reference
        try:
            return str(aws.client("kms").describe_key(KeyId=reference)["KeyMetadata"]["Arn"])
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise

    have, want = key_arn(actual), key_arn(wanted)
    return wanted if have and want and same_identifier(have, want) else actual
