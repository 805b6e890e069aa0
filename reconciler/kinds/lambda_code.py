"""A Lambda function's code, judged by its SHA-256 (Lambda's CodeSha256), never downloaded.

Inline code (``Code.ZipFile``) becomes the deployment package CloudFormation makes of it:
one file, ``index.py`` or ``index.js`` by runtime. Built deterministically (fixed
timestamp and permissions, stored uncompressed so no zlib version changes the bytes),
the same source always gives the same package and so the same CodeSha256: unchanged code
is never drift, changed code always is.

Code from S3 cannot be hashed without reading the object. What was deployed is recorded
on the function itself, in the tag ``reconciler:code-sha256``: a digest of the S3
location (bucket, key, version) and the CodeSha256 Lambda answered when it took that
location. The code is as declared while both still match; a new location in git, or code
deployed out of band (another CodeSha256), is drift. Tags are where the function can carry
it (the kind never sees the engine's inventory), reserved tags are never user drift, and
an adopted function without the record is deployed once from its declared location.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from typing import Any

CODE_TAG = "reconciler:code-sha256"
_S3_KEYS = ("S3Bucket", "S3Key", "S3ObjectVersion")
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


def inline_file(runtime: Any) -> str | None:
    """The file CloudFormation writes inline code to, by runtime; None: not supported."""
    if isinstance(runtime, str) and runtime.startswith("python"):
        return "index.py"
    if isinstance(runtime, str) and runtime.startswith("nodejs"):
        return "index.js"
    return None


def package(source: str, runtime: Any) -> bytes:
    """The deployment package of inline code: the same bytes for the same source, always."""
    name = inline_file(runtime)
    if name is None:
        raise ValueError(f"Code.ZipFile is not supported for runtime {runtime!r}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        entry = zipfile.ZipInfo(name, date_time=_EPOCH)
        entry.external_attr = (0o100644 << 16)  # a regular file, rw-r--r--
        entry.create_system = 3  # Unix, so the permissions above are read as such
        archive.writestr(entry, source.encode("utf-8"))
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    """As Lambda spells CodeSha256: base64 of the SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def is_image(code: Any) -> bool:
    """A container image (``Code.ImageUri``, PackageType Image): compared by its URI, as
    GetFunction's ``Code.ImageUri`` answers it."""
    return isinstance(code, dict) and isinstance(code.get("ImageUri"), str)


def image_as_observed(code: dict[str, Any], deployed_uri: Any) -> Any:
    if code.get("ImageUri") == deployed_uri:
        return code
    return f"deployed image {deployed_uri}"


def is_inline(code: Any) -> bool:
    return isinstance(code, dict) and isinstance(code.get("ZipFile"), str | bytes)


def for_api(code: dict[str, Any], runtime: Any) -> dict[str, Any]:
    """Code as CreateFunction and UpdateFunctionCode take it (ZipFile as package bytes)."""
    if is_inline(code) and isinstance(code["ZipFile"], str):
        return {**code, "ZipFile": package(code["ZipFile"], runtime)}
    return dict(code)


def location(code: dict[str, Any]) -> str:
    """A short digest naming an S3 location (tag values are at most 256 characters)."""
    text = "\n".join(str(code.get(k) or "") for k in _S3_KEYS)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def record(code: dict[str, Any], code_sha256: str) -> str:
    """The tag value recording that ``code``'s S3 location was deployed as ``code_sha256``."""
    return f"{location(code)}:{code_sha256}"


def expected_sha(code: Any, runtime: Any, tags: dict[str, str]) -> str | None:
    """The CodeSha256 the declared code has (inline) or had when last deployed from this S3
    location (S3); None when nothing says (an S3 location never deployed by us)."""
    if is_inline(code):
        source = code["ZipFile"]
        try:
            data = package(source, runtime) if isinstance(source, str) else source
        except ValueError:
            return None
        return sha256(data)
    if not isinstance(code, dict):
        return None
    where, _, sha = tags.get(CODE_TAG, "").partition(":")
    return sha if where == location(code) and sha else None


def as_observed(code: Any, runtime: Any, deployed_sha: str | None, tags: dict[str, str]) -> Any:
    """``Code`` as observe reports it: the declared value while the deployed code is that
    code; otherwise a description of what is deployed, which differs from any declared
    value (Code's members are write-only, so the diff compares Code as a whole)."""
    if code is None:
        return None
    expected = expected_sha(code, runtime, tags)
    if expected is not None and expected == deployed_sha:
        return code
    if is_inline(code) or expected is not None:
        return f"deployed code has CodeSha256 {deployed_sha}, the declared code {expected}"
    return (f"deployed code has CodeSha256 {deployed_sha}; the declared S3 object was never "
            "deployed by this reconciler")
