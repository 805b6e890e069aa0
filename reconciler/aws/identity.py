"""The principal the reconciler runs as, to tell its own API calls from changes by others."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Principal:
    """``sts:GetCallerIdentity``'s answer: the ARN (an assumed-role session for roles) and
    the principal ID CloudTrail records as ``userIdentity.principalId``."""

    arn: str
    user_id: str

    def made(self, user_identity: Mapping[str, Any] | None) -> bool:
        """True when a CloudTrail ``userIdentity`` is this principal (the same user, or the
        same role session). Another session of the same role is someone else: it fails safe
        (counted as drift and checked), never hides a person's change."""
        if not isinstance(user_identity, Mapping):
            return False
        arn, principal_id = user_identity.get("arn"), user_identity.get("principalId")
        return (bool(arn) and arn == self.arn) or (bool(principal_id)
                                                    and principal_id == self.user_id)


class OwnPrincipal:
    """Asks STS once (on first use, again only after a failure) who the reconciler is."""

    def __init__(self, sts_client: Callable[[], Any]):
        self._sts = sts_client
        self._lock = threading.Lock()
        self._principal: Principal | None = None

    def get(self) -> Principal | None:
        with self._lock:
            if self._principal is None:
                try:
                    reply = self._sts().get_caller_identity()
                except Exception:  # unreachable or refused: unknown for now, asked again later
                    return None
                self._principal = Principal(str(reply.get("Arn", "")),
                                            str(reply.get("UserId", "")))
            return self._principal

    def made(self, user_identity: Mapping[str, Any] | None) -> bool:
        principal = self.get()
        return principal is not None and principal.made(user_identity)
