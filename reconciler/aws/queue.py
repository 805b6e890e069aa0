"""The SQS client of the events listener: its own, so that a queue that cannot be reached
never marks AWS as unreachable for the reconciles (``AwsClients``' breaker)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

WAIT_SECONDS = 20  # SQS's longest long poll
_REGION = re.compile(r"sqs[.-]([a-z]{2}(?:-[a-z]+)+-\d)\.")


def queue_region(queue_url: str, default: str) -> str:
    """``https://sqs.eu-west-1.amazonaws.com/123/q`` -> eu-west-1 (else ``default``)."""
    found = _REGION.search(queue_url)
    return found.group(1) if found else default


def queue_client(queue_url: str, default_region: str,
                 on_call: Callable[[str, str], None] | None = None) -> Any:
    """An SQS client for ``queue_url`` with a read timeout above the long poll and few
    retries (the listener backs off itself). ``on_call(operation, result)`` per call."""
    session = boto3.session.Session(region_name=queue_region(queue_url, default_region))
    config = Config(retries={"mode": "standard", "total_max_attempts": 2},
                    connect_timeout=5, read_timeout=WAIT_SECONDS + 10)
    client = session.client("sqs", config=config)
    if on_call is not None:
        def after(model: Any = None, http_response: Any = None, parsed: Any = None,
                  **_: Any) -> None:
            failed = http_response is None or getattr(http_response, "status_code", 200) >= 400
            if model is not None:
                on_call(model.name, "error" if failed else "success")

        client.meta.events.register("after-call", after)
        client.meta.events.register(
            "after-call-error", lambda model=None, **_: model and on_call(model.name, "error"))
    return client
