"""Who changed a resource, from CloudTrail: the record's principal, API, time and source IP.

``changed_by_of`` reads one CloudTrail record (the ``detail`` of an EventBridge event or a
``LookupEvents`` entry's ``CloudTrailEvent``). ``CloudTrailAttribution`` answers the
engine's ``Attribution`` question for a drifted resource with at most ``MAX_CALLS``
``LookupEvents`` calls (CloudTrail allows 2 per second per account and region), looking
back ``LOOKBACK``, and stops asking for the rest of the process once CloudTrail refuses
(AccessDenied) or cannot answer at all.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reconciler.aws.clients import AwsUnreachable
from reconciler.aws.eventual import error_code
from reconciler.aws.identity import OwnPrincipal

MAX_CALLS = 2  # per drifted resource
PAGE = 50  # events per call (the API's maximum)
LOOKBACK = timedelta(hours=6)
_REFUSED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
                      "UnrecognizedClientException", "OperationNotPermittedException"})


def changed_by_of(record: Mapping[str, Any]) -> dict[str, str]:
    """``{principal, event, time, source_ip}`` of a CloudTrail record (keys without a value
    left out)."""
    identity = record.get("userIdentity")
    identity = identity if isinstance(identity, Mapping) else {}
    principal = identity.get("arn") or _issuer(identity) or identity.get("principalId") \
        or identity.get("invokedBy") or identity.get("type")
    out = {"principal": principal, "event": record.get("eventName"),
           "time": record.get("eventTime"), "source_ip": record.get("sourceIPAddress")}
    return {k: str(v) for k, v in out.items() if v}


def _issuer(identity: Mapping[str, Any]) -> Any:
    context = identity.get("sessionContext")
    issuer = context.get("sessionIssuer") if isinstance(context, Mapping) else None
    return issuer.get("arn") if isinstance(issuer, Mapping) else None


def is_read_only(record: Mapping[str, Any]) -> bool:
    value = record.get("readOnly")
    return value is True or (isinstance(value, str) and value.lower() == "true")


class CloudTrailAttribution:
    """``changed_by`` for a drifted resource: the newest write by someone else, by
    ``LookupEvents`` with ResourceName = its physical ID."""

    def __init__(self, client: Callable[[], Any], own: OwnPrincipal,
                 warn: Callable[[str], None], clock: Callable[[], datetime] | None = None):
        self._client = client
        self._own = own
        self._warn = warn
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()  # one lookup at a time: the API's rate is 2 per second
        self.disabled: str | None = None  # why lookups stopped for this process
        self._warned: set[str] = set()  # error codes already logged
        self.calls = 0

    def changed_by(self, change: Any) -> dict[str, str] | None:
        physical_id = getattr(change, "physical_id", None)
        if not physical_id or self.disabled:
            return None
        with self._lock:
            return self._lookup(str(physical_id))

    def _lookup(self, physical_id: str) -> dict[str, str] | None:
        now = self._clock()
        args: dict[str, Any] = {
            "LookupAttributes": [{"AttributeKey": "ResourceName",
                                  "AttributeValue": physical_id}],
            "StartTime": now - LOOKBACK, "EndTime": now, "MaxResults": PAGE,
        }
        for _ in range(MAX_CALLS):
            if self.disabled:
                return None
            reply = self._call(args, physical_id)
            if reply is None:
                return None
            for entry in reply.get("Events") or ():
                who = self._author(entry)
                if who is not None:
                    return who
            token = reply.get("NextToken")
            if not token:
                return None
            args["NextToken"] = token
        return None

    def _call(self, args: dict[str, Any], physical_id: str) -> dict[str, Any] | None:
        self.calls += 1
        try:
            return dict(self._client().lookup_events(**args))
        except ClientError as exc:
            if error_code(exc).isdigit():  # an HTTP status, no AWS error: no such API here
                self._stop(f"CloudTrail LookupEvents unavailable (HTTP {error_code(exc)}); "
                           "drift is reported without changed_by")
            elif error_code(exc) in _REFUSED:
                self._stop(f"CloudTrail LookupEvents refused ({error_code(exc)}); drift is "
                           "reported without changed_by (grant cloudtrail:LookupEvents)")
            elif error_code(exc) not in self._warned:
                # Throttled or failing now: this resource goes without, the next may not.
                self._warned.add(error_code(exc))
                self._warn(f"CloudTrail LookupEvents for {physical_id} failed "
                           f"({error_code(exc) or exc}); changed_by left out (logged once)")
            return None
        except AwsUnreachable:
            return None
        except (BotoCoreError, ValueError) as exc:  # no such API here (moto), bad endpoint
            self._stop(f"CloudTrail LookupEvents unavailable ({type(exc).__name__}); drift is "
                       "reported without changed_by")
            return None

    def _stop(self, why: str) -> None:
        if self.disabled is None:
            self.disabled = why
            self._warn(why)  # once per process

    def _author(self, entry: Mapping[str, Any]) -> dict[str, str] | None:
        """The entry's author, unless it only read or was the reconciler itself."""
        try:
            record = json.loads(entry.get("CloudTrailEvent") or "{}")
        except (TypeError, ValueError):
            record = {}
        if not isinstance(record, dict):
            record = {}
        if is_read_only(record) or is_read_only(entry) or record.get("errorCode"):
            return None
        if self._own.made(record.get("userIdentity")):
            return None
        who = changed_by_of(record)
        who.setdefault("event", str(entry.get("EventName") or ""))
        if "time" not in who and isinstance(entry.get("EventTime"), datetime):
            who["time"] = entry["EventTime"].astimezone(UTC).isoformat()
        if "principal" not in who and entry.get("Username"):
            who["principal"] = str(entry["Username"])
        return {k: v for k, v in who.items() if v} or None


def attribution_for(clients: Any, warn: Callable[[str], None]) -> CloudTrailAttribution:
    """The lookup over shared clients: never retried (a lost answer only loses changed_by),
    the caller's identity asked of STS once."""
    return CloudTrailAttribution(lambda: clients.client("cloudtrail", retries=False),
                                 OwnPrincipal(lambda: clients.client("sts")), warn)
