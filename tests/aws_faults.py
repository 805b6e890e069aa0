"""AWS's own error replies, shaped as each protocol sends them, for the fault-injecting proxy
(tests/faulty_proxy.py): throttling and server errors look to botocore exactly as AWS's would,
so its retry rules (and ours on top) see what production sees."""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass

import botocore.session

# Fault kinds the proxy injects. "lost" and "dropped" reach AWS first: the call is carried out
# and only its reply goes missing (a 500 in its place, or the connection closed unanswered).
SERVER_ERROR, THROTTLE, DELAY, LOST, DROPPED = "5xx", "throttle", "delay", "lost", "dropped"
FAULT_KINDS = (SERVER_ERROR, THROTTLE, DELAY, LOST, DROPPED)
REACHES_AWS = frozenset({DELAY, LOST, DROPPED})


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


@functools.cache
def protocol_of(service: str) -> str:
    """botocore's protocol name (json, query, ec2, rest-xml, rest-json) for a signing name;
    S3 apart, since its errors have a shape of their own."""
    if service == "s3":
        return "s3"
    try:
        model = botocore.session.get_session().get_service_model(service)
    except Exception:  # a signing name that is not a service name (elasticloadbalancing)
        return "query"
    return str(model.metadata.get("protocol", "query"))


def throttling(protocol: str) -> Reply:
    """The reply AWS gives a caller over its rate: Query's ``Throttling``, JSON's
    ``ThrottlingException``, EC2's ``RequestLimitExceeded``, S3's ``SlowDown`` 503, Lambda's
    429 ``TooManyRequestsException``."""
    if protocol == "json":
        return _json(400, "ThrottlingException", "Rate exceeded")
    if protocol == "rest-json":
        return _rest_json(429, "TooManyRequestsException", "Rate exceeded")
    if protocol == "ec2":
        return _ec2(503, "RequestLimitExceeded", "Request limit exceeded.")
    if protocol == "s3":
        return _s3(503, "SlowDown", "Please reduce your request rate.")
    return _query(400, "Sender", "Throttling", "Rate exceeded")


def server_error(protocol: str, status: int = 500) -> Reply:
    """AWS's internal error (500) or unavailable service (503) in the protocol's shape."""
    code = "ServiceUnavailable" if status == 503 else "InternalFailure"
    if protocol == "json":
        return _json(status, code, "injected server error")
    if protocol == "rest-json":
        return _rest_json(status, "ServiceException", "injected server error")
    if protocol == "ec2":
        return _ec2(status, "Unavailable" if status == 503 else "InternalError",
                    "injected server error")
    if protocol == "s3":
        return _s3(status, "ServiceUnavailable" if status == 503 else "InternalError",
                   "We encountered an internal error. Please try again.")
    return _query(status, "Receiver", code, "injected server error")


def _json(status: int, code: str, message: str) -> Reply:
    body = json.dumps({"__type": code, "message": message}).encode()
    return Reply(status, {"Content-Type": "application/x-amz-json-1.1",
                          "x-amzn-RequestId": _request_id()}, body)


def _rest_json(status: int, code: str, message: str) -> Reply:
    body = json.dumps({"Type": "Service", "message": message}).encode()
    return Reply(status, {"Content-Type": "application/json", "x-amzn-ErrorType": code,
                          "x-amzn-RequestId": _request_id()}, body)


def _query(status: int, kind: str, code: str, message: str) -> Reply:
    body = (f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>{_request_id()}</RequestId>"
            "</ErrorResponse>").encode()
    return Reply(status, {"Content-Type": "text/xml"}, body)


def _ec2(status: int, code: str, message: str) -> Reply:
    body = (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
            f"</Error></Errors><RequestID>{_request_id()}</RequestID></Response>").encode()
    return Reply(status, {"Content-Type": "text/xml"}, body)


def _s3(status: int, code: str, message: str) -> Reply:
    body = (f"<Error><Code>{code}</Code><Message>{message}</Message>"
            f"<RequestId>{_request_id()}</RequestId></Error>").encode()
    return Reply(status, {"Content-Type": "application/xml"}, body)


def _request_id() -> str:
    return str(uuid.uuid4())
