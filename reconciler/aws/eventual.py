"""Reading AWS errors: their codes, and which ones mean "no such resource".

Throttling is botocore's job (adaptive retry mode). Errors that only mean "not
propagated yet" are a kind's ``transient_codes``: a TransientError the engine retries
on a later pass, never a sleep inside a kind.
"""

from __future__ import annotations

from botocore.exceptions import ClientError


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
