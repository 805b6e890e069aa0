"""AWS::SQS::Queue: a queue, its attributes and tags. The physical ID is the queue URL (what
Ref returns); a declared QueueName finds it with GetQueueUrl. A no-drift observe costs
GetQueueUrl (only when known by name), GetQueueAttributes and ListQueueTags.

SQS keeps every setting as a string in one ``Attributes`` map: the kind converts them to
the schema's types and writes changed ones with one SetQueueAttributes.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from reconciler.kinds.base import Observation, Props, TransientError
from reconciler.kinds.declared import Call, DeclaredKind, TagCalls

_INTEGERS = frozenset({"DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod",
                       "ReceiveMessageWaitTimeSeconds", "VisibilityTimeout",
                       "KmsDataKeyReusePeriodSeconds"})
_BOOLEANS = frozenset({"FifoQueue", "SqsManagedSseEnabled", "ContentBasedDeduplication"})
_DOCUMENTS = frozenset({"RedrivePolicy"})
ATTRIBUTES = _INTEGERS | _BOOLEANS | _DOCUMENTS | {"KmsMasterKeyId"}
GONE = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def to_attribute(value: Any) -> str:
    """A property value as SQS takes it: text (booleans lower case, documents as JSON)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def from_attribute(name: str, text: str | None) -> Any:
    if text is None:
        return False if name == "FifoQueue" else None  # only FIFO queues report it
    if name in _INTEGERS:
        return int(text)
    if name in _BOOLEANS:
        return text.lower() == "true"
    if name in _DOCUMENTS:
        try:
            return json.loads(text) if text else None
        except ValueError:
            return text
    return text


class Queue(DeclaredKind):
    type_name = "AWS::SQS::Queue"
    managed_properties = frozenset(ATTRIBUTES | {"QueueName", "Tags"})
    identifier_paths = frozenset({"/KmsMasterKeyId", "/RedrivePolicy/deadLetterTargetArn"})
    attributes_ref_is_id = False  # Ref is the URL, known only once SQS made the queue

    service, identifier, name = "sqs", "QueueUrl", "QueueName"
    read_call = Call("GetQueueAttributes", args={"AttributeNames": ["All"]})
    create_call = Call("CreateQueue", renames={f"/{a}": "Attributes" for a in ATTRIBUTES})
    delete_call = Call("DeleteQueue")
    writers = dict.fromkeys(sorted(ATTRIBUTES - {"FifoQueue"}), "set_attributes")
    property_paths = {a: f"Attributes.{a}" for a in ATTRIBUTES}
    attribute_paths = {"Arn": "Attributes.QueueArn"}
    tag_calls = TagCalls("TagQueue", "UntagQueue", "ListQueueTags")
    gone_codes = GONE
    transient_codes = {"AWS.SimpleQueueService.QueueDeletedRecently": (),
                       "QueueDeletedRecently": ()}

    def queue_url(self, physical_id: str) -> str | None:
        """The URL of a queue known by URL or by name (None: no such queue)."""
        if "/" in physical_id:
            return physical_id
        try:
            return str(self.client.get_queue_url(QueueName=physical_id)["QueueUrl"])
        except ClientError as exc:
            if self._gone(exc):
                return None
            raise

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        url = self.queue_url(physical_id)
        return None if url is None else super().observe(url, desired)

    def read(self, physical_id: str) -> dict[str, Any] | None:
        reply = self.client.get_queue_attributes(QueueUrl=physical_id, AttributeNames=["All"])
        return {"QueueUrl": physical_id, "Attributes": reply.get("Attributes") or {}}

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        attributes = resource.get("Attributes") or {}
        props: Props = {a: from_attribute(a, attributes.get(a)) for a in ATTRIBUTES}
        props["QueueName"] = str(resource["QueueUrl"]).rstrip("/").rsplit("/", 1)[-1]
        return props

    def attributes_from(self, resource: dict[str, Any], physical_id: str) -> dict[str, Any]:
        out = super().attributes_from(resource, physical_id)
        out.update(QueueUrl=physical_id, QueueName=physical_id.rstrip("/").rsplit("/", 1)[-1])
        return out

    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        args: dict[str, Any] = {"QueueName": desired["QueueName"], "Attributes": {
            k: to_attribute(v) for k, v in desired.items() if k in ATTRIBUTES and v is not None}}
        if tags:
            args["tags"] = dict(tags)
        # No token: a lost reply is found by name on the next pass, never sent twice.
        with self.transients("CreateQueue"):
            url = self.aws.client(self.service, retries=False).create_queue(**args)["QueueUrl"]
        observed = self.observe(str(url), desired)
        if observed is None:
            raise TransientError(f"queue {url} was created but cannot be read back yet")
        return observed

    def set_attributes(self, physical_id: str, values: Props, observed: Any) -> None:
        # SQS has no "unset": a removed redrive policy is an empty one; others keep theirs.
        attributes = {k: to_attribute(v) for k, v in values.items() if v is not None}
        if "RedrivePolicy" in values and values["RedrivePolicy"] is None:
            attributes["RedrivePolicy"] = ""
        if attributes:
            self.client.set_queue_attributes(QueueUrl=physical_id, Attributes=attributes)
