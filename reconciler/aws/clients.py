"""boto3 clients shared by every kind: one per service, adaptive retries, call accounting.

boto3 clients are thread-safe (sessions are not), so one client per service
serves every concurrent read.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
)

from reconciler.errors import ReconcilerError

THROTTLE_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
    "SlowDown", "RequestThrottled", "LimitExceededException", "PriorRequestNotComplete",
})

# A connection that cannot be made (refused, dropped, reset before a reply). After this many
# in a row, anywhere, AWS counts as unreachable and every call fails at once until a reset.
_CONNECTION_ERRORS = (EndpointConnectionError, ConnectTimeoutError, ConnectionClosedError)
UNREACHABLE_AFTER = 3


_LOADER: botocore.loaders.Loader | None = None


def _session(region: str | None) -> boto3.session.Session:
    """A new session (sessions are not thread-safe) sharing one loader of service models
    across the process: parsing a service's JSON model costs tenths of a second, and
    every command run in one process (the worker's stores and runs, tests) would pay it
    again per session."""
    global _LOADER
    if _LOADER is None:
        _LOADER = botocore.loaders.create_loader()
    core = botocore.session.Session()
    core.register_component("data_loader", _LOADER)
    return boto3.session.Session(botocore_session=core, region_name=region)


class AwsUnreachable(ReconcilerError):
    """AWS (or its endpoint) cannot be reached: the run stops calling it."""


CallGuard = Callable[[], None]  # raises to stop a call before it is sent (a lost lease)
CallListener = Callable[[str, str, str], None]  # service, operation, result ("success"/"error")
ThrottleListener = Callable[[str], None]  # service


class AwsClients:
    """Hands out shared boto3 clients configured from boto3's standard chain.

    ``AWS_ENDPOINT_URL`` (set by ``--local``) and the usual credentials, region
    and profile variables apply without any plumbing of ours.
    """

    def __init__(self, region: str | None = None, max_attempts: int | None = None,
                 max_pool_connections: int = 16) -> None:
        self._session = _session(region)
        self.region: str = self._session.region_name or "us-east-1"
        if max_attempts is None:
            max_attempts = int(os.environ.get("AWS_MAX_ATTEMPTS", "10"))
        self._config = Config(
            region_name=self.region,
            retries={"mode": "adaptive", "total_max_attempts": max_attempts},
            max_pool_connections=max_pool_connections,
            connect_timeout=10,
            read_timeout=60,
        )
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._call_listeners: list[CallListener] = []
        self._throttle_listeners: list[ThrottleListener] = []
        self._guards: list[CallGuard] = []
        self.calls = 0  # total API calls made, for benchmarks and logs
        self._account_id: str | None = None
        self._connection_failures = 0
        self.unreachable: str | None = None  # why AWS counts as unreachable, until a reset

    def on_call(self, listener: CallListener) -> None:
        self._call_listeners.append(listener)

    def on_throttle(self, listener: ThrottleListener) -> None:
        self._throttle_listeners.append(listener)

    def before_call(self, guard: CallGuard) -> None:
        """Run ``guard`` before every call of these clients; what it raises, the call raises
        without being sent (the worker's lease check: a deposed holder calls AWS no more)."""
        self._guards.append(guard)

    def client(self, service: str, retries: bool = True) -> Any:
        """The shared client; ``retries=False`` for a call that must never be sent twice (a
        create without an idempotency token: a lost reply retried is a second resource)."""
        key = service if retries else f"{service}/once"
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                config = self._config if retries else self._config.merge(
                    Config(retries={"mode": "standard", "total_max_attempts": 1}))
                client = self._session.client(service, config=config)
                events = client.meta.events
                events.register("after-call", self._after_call)
                events.register("after-call-error", self._after_call_error)
                events.register("needs-retry", self._needs_retry)
                events.register("response-received", self._answered)
                # First, so that a dead endpoint stops the retries of the call in flight.
                events.register_first("needs-retry", self._connection_failed)
                events.register_first("before-call", self._refuse_if_unreachable)
                events.register_first("before-call", self._run_guards)
                self._clients[key] = client
            return client

    def reset_reachability(self) -> None:
        """Try AWS again (each run starts with a reset)."""
        with self._lock:
            self._connection_failures, self.unreachable = 0, None

    def probe(self) -> None:
        """One sts:GetCallerIdentity; raises AwsUnreachable within a few connection failures."""
        self.reset_reachability()
        self.client("sts").get_caller_identity()

    def account_id(self) -> str:
        if self._account_id is None:
            self._account_id = self.client("sts").get_caller_identity()["Account"]
        return self._account_id

    def availability_zones(self) -> list[str]:
        """The region's available zones in name order (one ec2:DescribeAvailabilityZones)."""
        reply = self.client("ec2").describe_availability_zones(Filters=[
            {"Name": "region-name", "Values": [self.region]},
            {"Name": "state", "Values": ["available"]},
        ])
        return sorted(zone["ZoneName"] for zone in reply["AvailabilityZones"])

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        if self.region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"

    @property
    def url_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"

    # --- botocore event handlers --------------------------------------------------------------

    def _connection_failed(self, caught_exception: Any = None, operation: Any = None,
                           **_: Any) -> None:
        if not isinstance(caught_exception, _CONNECTION_ERRORS):
            return
        with self._lock:
            self._connection_failures += 1
            if self._connection_failures < UNREACHABLE_AFTER:
                return
            name = operation.name if operation is not None else "call"
            service = operation.service_model.service_name if operation is not None else "aws"
            self.unreachable = (f"cannot reach AWS: {UNREACHABLE_AFTER} connection failures "
                                f"in a row, the last on {service}:{name}: {caught_exception}")
        raise AwsUnreachable(self.unreachable)

    def _run_guards(self, **_: Any) -> None:
        for guard in self._guards:
            guard()

    def _answered(self, response_dict: Any = None, **_: Any) -> None:
        """Any HTTP reply to an attempt, a throttle or a 500 too, proves AWS is there: the
        failures "in a row" start again (not only when a whole call, retries and all, ends)."""
        if response_dict is not None:
            with self._lock:
                self._connection_failures = 0

    def _refuse_if_unreachable(self, **_: Any) -> None:
        if self.unreachable is not None:
            raise AwsUnreachable(self.unreachable)

    def _after_call(self, http_response: Any = None, parsed: Any = None, model: Any = None,
                    **_: Any) -> None:
        if http_response is not None:
            self._connection_failures = 0  # an answer, even an error: AWS is there
        failed = bool(parsed and isinstance(parsed, dict) and parsed.get("Error"))
        if http_response is not None and getattr(http_response, "status_code", 200) >= 400:
            failed = True
        self._record(model, "error" if failed else "success")

    def _after_call_error(self, model: Any = None, **_: Any) -> None:
        self._record(model, "error")

    def _record(self, model: Any, result: str) -> None:
        self.calls += 1
        if model is None:
            return
        service = model.service_model.service_name
        for listener in self._call_listeners:
            listener(service, model.name, result)

    def _needs_retry(self, response: Any = None, operation: Any = None, **_: Any) -> None:
        if not response or operation is None:
            return None
        parsed = response[1] if isinstance(response, tuple) and len(response) > 1 else None
        code = (parsed or {}).get("Error", {}).get("Code") if isinstance(parsed, dict) else None
        if code in THROTTLE_CODES:
            service = operation.service_model.service_name
            for listener in self._throttle_listeners:
                listener(service)
        return None
