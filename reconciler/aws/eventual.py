"""Retries for AWS's eventual consistency, e.g. a new IAM role that KMS or Lambda cannot see yet.

Throttling is botocore's job (adaptive retry mode); this covers errors that only
mean "not propagated yet" for a specific call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import ClientError

T = TypeVar("T")


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def is_not_found(exc: BaseException, *codes: str) -> bool:
    """A ClientError meaning "no such resource" (the given codes, or the usual suspects)."""
    code = error_code(exc)
    known = codes or ("NotFoundException", "ResourceNotFoundException", "NoSuchEntity",
                      "NoSuchBucket", "NotFound", "404")
    return code in known


def retry_while_propagating(
    call: Callable[[], T],
    *,
    codes: frozenset[str],
    message_contains: tuple[str, ...] = (),
    attempts: int = 8,
    first_delay: float = 1.0,
    max_delay: float = 8.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``call``; on a ClientError whose code is in ``codes`` (and, when given, whose
    message contains one of ``message_contains``), wait with exponential backoff and retry."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except ClientError as exc:
            message = str(exc.response.get("Error", {}).get("Message", ""))
            retryable = error_code(exc) in codes and (
                not message_contains or any(m in message for m in message_contains)
            )
            if not retryable or attempt == attempts:
                raise
            sleep(delay)
            delay = min(delay * 2, max_delay)
    raise AssertionError("unreachable")
