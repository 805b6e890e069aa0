"""AWS::SQS::QueuePolicy: one access policy set on one or more queues (their ``Policy``
attribute). Not taggable; the queue URLs are the ID. A no-drift observe costs one
GetQueueAttributes per queue."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.normalize import canonical_policy
from reconciler.kinds.base import Observation, Props, TransientError
from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.policy_checks import policy_issues
from reconciler.kinds.sqs_queue import GONE

_SEPARATOR = ","  # queue URLs never hold one


class QueuePolicy(DeclaredKind):
    type_name = "AWS::SQS::QueuePolicy"
    managed_properties = frozenset({"PolicyDocument", "Queues"})
    policy_paths = frozenset({"/PolicyDocument"})
    replace_on = frozenset({"Queues"})  # other queues: another policy resource
    replacement_safe = True  # a policy holds no data

    service, identifier, name = "sqs", "QueueUrl", "Queues"
    read_call = Call("GetQueueAttributes", args={"AttributeNames": ["Policy"]})
    create_call = Call("SetQueueAttributes", renames={"/PolicyDocument": "Attributes",
                                                      "/Queues": "QueueUrl"})
    delete_call = Call("SetQueueAttributes")
    writers = {"PolicyDocument": "set_policy"}
    property_paths = {"PolicyDocument": "Attributes.Policy"}
    gone_codes = GONE

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        return policy_issues(props.get("PolicyDocument"), "/PolicyDocument", "resource")

    def physical_id(self, props: Props) -> str | None:
        queues = props.get("Queues")
        if not isinstance(queues, list) or not all(isinstance(q, str) for q in queues):
            return None
        return _SEPARATOR.join(sorted(set(queues))) or None

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        """The policy of the first queue whose policy differs from the declared one (else the
        first queue's); gone when no queue has a policy any more."""
        queues = physical_id.split(_SEPARATOR)
        want = canonical_policy(desired.get("PolicyDocument")) if desired else None
        seen: list[Any] = []
        for url in queues:
            try:
                reply = self.client.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
            except ClientError as exc:
                if self._gone(exc):
                    continue
                raise
            text = (reply.get("Attributes") or {}).get("Policy")
            if text:
                seen.append(json.loads(text))
        if not seen:
            return None
        policy = next((p for p in seen if canonical_policy(p) != want), seen[0])
        if len(seen) < len(queues):
            policy = None  # a queue lost its policy: the whole resource drifts
        return Observation(physical_id=physical_id,
                           properties={"Queues": desired.get("Queues", queues) if desired
                                       else queues, "PolicyDocument": policy},
                           attributes={"Ref": physical_id, "Id": physical_id})

    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        physical_id = self.physical_id(desired)
        if physical_id is None:
            raise ValueError("Queues must be a list of queue URLs")
        self.set_policy(physical_id, desired, None)
        observed = self.observe(physical_id, desired)
        if observed is None:
            raise TransientError(f"the policy of {physical_id} cannot be read back yet")
        return observed

    def set_policy(self, physical_id: str, values: Props, observed: Any) -> None:
        document = values.get("PolicyDocument")
        text = document if isinstance(document, str) else json.dumps(document)
        client = self.aws.client(self.service, retries=False)  # sent once (no token)
        for url in physical_id.split(_SEPARATOR):
            client.set_queue_attributes(QueueUrl=url, Attributes={"Policy": text})

    def delete(self, physical_id: str, desired: Props) -> None:
        for url in physical_id.split(_SEPARATOR):
            with self.gone_is_done():
                self.client.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
