"""Webhook signature checks for ``POST /hooks/<provider>``.

Providers and the header each must send:

- ``github``: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>``, keyed with
  the shared secret (GitHub's "Secret" field). ``X-GitHub-Event: ping`` is answered 200 and
  wakes nothing.
- ``gitlab``: ``X-Gitlab-Token: <secret>`` (GitLab's "Secret token" field).
- ``generic``: ``X-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>``, for any other
  sender (Gitea, Bitbucket relays, CI jobs, ``curl``)::

      sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1)
      curl -H "X-Signature-256: sha256=$sig" --data "$body" http://host:9108/hooks/generic

Without a configured secret every webhook is refused with 401: an unauthenticated endpoint
that triggers AWS changes is not a safe default. Comparisons are constant-time, and no
answer ever repeats the secret or the signature received.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

PROVIDERS: tuple[str, ...] = ("github", "gitlab", "generic")

GITHUB_SIGNATURE = "X-Hub-Signature-256"
GITHUB_EVENT = "X-GitHub-Event"
GITLAB_TOKEN = "X-Gitlab-Token"
GENERIC_SIGNATURE = "X-Signature-256"

NO_SECRET_MESSAGE = (
    "webhooks are disabled: no webhook secret is configured "
    "(set RECONCILER_WEBHOOK_SECRET or --webhook-secret-file)")


@dataclass(frozen=True)
class Verdict:
    """What to answer a webhook: HTTP status, a short message, and whether to reconcile."""

    status: int
    message: str
    trigger: bool = False


def hmac_sha256_hex(secret: bytes, body: bytes) -> str:
    """The lowercase hex HMAC-SHA256 of ``body`` keyed with ``secret``."""
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def header_bytes(value: str) -> bytes:
    """A header value as the bytes that were sent.

    ``http.server`` decodes headers as ISO-8859-1, so encoding back recovers them exactly.
    """
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def sha256_signature_matches(header: str | None, secret: bytes, body: bytes) -> bool:
    """True if ``header`` is ``sha256=<hex>`` with the HMAC of ``body`` under ``secret``."""
    if not header:
        return False
    scheme, sep, digest = header.strip().partition("=")
    if not sep or scheme.strip().lower() != "sha256":
        return False
    expected = hmac_sha256_hex(secret, body).encode("ascii")
    return hmac.compare_digest(expected, header_bytes(digest.strip().lower()))


def token_matches(header: str | None, secret: bytes) -> bool:
    """True if ``header`` carries exactly the shared secret."""
    if header is None:
        return False
    return hmac.compare_digest(secret, header_bytes(header))


class WebhookVerifier:
    """Checks a webhook request against the shared secret; an empty secret counts as none."""

    def __init__(self, secret: bytes | None) -> None:
        # An empty HMAC key is as good as no key: anyone can sign with it.
        self._secret = secret or None

    @property
    def configured(self) -> bool:
        return self._secret is not None

    def verify(self, provider: str, headers: Mapping[str, str], body: bytes) -> Verdict:
        """Judge one request; ``headers`` is any mapping, matched case-insensitively."""
        if provider not in PROVIDERS:
            return Verdict(404, f"unknown webhook provider {provider!r}; "
                                f"use one of {', '.join(PROVIDERS)}")
        if self._secret is None:
            return Verdict(401, NO_SECRET_MESSAGE)
        lowered = {name.lower(): value for name, value in headers.items()}
        if provider == "github":
            return _github(lowered, self._secret, body)
        if provider == "gitlab":
            return _signed(token_matches(lowered.get(GITLAB_TOKEN.lower()), self._secret),
                           lowered, GITLAB_TOKEN, "token")
        return _signed(sha256_signature_matches(
            lowered.get(GENERIC_SIGNATURE.lower()), self._secret, body),
            lowered, GENERIC_SIGNATURE, "signature")


def _github(headers: Mapping[str, str], secret: bytes, body: bytes) -> Verdict:
    verdict = _signed(sha256_signature_matches(headers.get(GITHUB_SIGNATURE.lower()), secret,
                                               body), headers, GITHUB_SIGNATURE, "signature")
    # GitHub sends a ping when the hook is created: proof the secret works, nothing to fetch.
    if verdict.trigger and headers.get(GITHUB_EVENT.lower(), "").strip().lower() == "ping":
        return Verdict(200, "pong")
    return verdict


def _signed(ok: bool, headers: Mapping[str, str], header: str, what: str) -> Verdict:
    if ok:
        return Verdict(202, "accepted: reconcile scheduled", trigger=True)
    if header.lower() not in headers:
        return Verdict(401, f"missing {header} header")
    return Verdict(401, f"{what} in {header} does not match")
