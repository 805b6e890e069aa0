"""What the ELBv2 kinds (load balancer, target group, listener) share.

Tags: AddTags/RemoveTags/DescribeTags by ARN. Attribute lists (``LoadBalancerAttributes``,
``TargetGroupAttributes``): a list of Key/Value of which only the declared keys are read
(AWS answers some twenty, all defaults the template did not ask for). Load balancers and
target groups have account-unique names: their physical ID is the ARN, as in
CloudFormation, and the name looks them up before one exists (a conflict or a lost
create reply shows by name, as for any named kind).
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterator
from typing import Any, ClassVar

from botocore.exceptions import ClientError

from reconciler.kinds.base import Observation, Props
from reconciler.kinds.declared import Call, DeclaredKind, TagCalls

ELBV2_TAGS = TagCalls("AddTags", "RemoveTags", "DescribeTags", result="TagDescriptions[0].Tags",
                      param="ResourceArns")
# ELBv2 names: at most 32 letters, digits and hyphens, no hyphen at either end.
NAME_LIMIT = 32
_DESCRIBE_TAGS_BATCH = 20


def attributes_as_declared(items: Any, want: Any) -> list[dict[str, Any]] | None:
    """AWS's Key/Value attributes cut to the declared keys, in the declared order."""
    if items is None:
        return None
    have = {str(i.get("Key")): i.get("Value") for i in items if isinstance(i, dict)}
    keys = [str(w.get("Key")) for w in want or () if isinstance(w, dict)]
    return [{"Key": k, "Value": have[k]} for k in keys if k in have]


def elbv2_name(owner: str, logical_id: str) -> str:
    """A generated name that fits ELBv2's rules (CloudFormation makes one when none is given)."""
    suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(8))
    stem = "".join(c if c.isascii() and c.isalnum() else "-" for c in f"{owner}-{logical_id}")
    return f"{stem[: NAME_LIMIT - len(suffix) - 1].strip('-')}-{suffix}"


class NamedByArn(DeclaredKind):
    """An ELBv2 resource whose physical ID is its ARN and whose ``Name`` finds it too."""

    name = "Name"
    attributes_ref_is_id = False  # Ref is the ARN, which AWS makes
    by_name: ClassVar[Call]  # the describe call taking ``Names``, answering the ARN

    def generated_name(self, logical_id: str, owner: str) -> Props:
        return {"Name": elbv2_name(owner, logical_id)}

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        """By ARN; by name (one more describe) before the ARN is known."""
        if not physical_id.startswith("arn:"):
            try:
                found = self.answer(self.by_name, self.invoke(
                    self.by_name, None, {"Names": [physical_id]}, reading=True), physical_id)
            except ClientError as exc:
                if self._gone(exc):
                    return None
                raise
            if not found:
                return None
            physical_id = str(found)
        return super().observe(physical_id, desired)


def load_balancer_arns(client: Any) -> Iterator[str]:
    for page in client.get_paginator("describe_load_balancers").paginate():
        for balancer in page.get("LoadBalancers", ()):
            yield str(balancer["LoadBalancerArn"])


def tagged(client: Any, arns: list[str]) -> Iterator[tuple[str, dict[str, str]]]:
    """Each ARN with its tags, DescribeTags taking at most 20 ARNs a call."""
    for start in range(0, len(arns), _DESCRIBE_TAGS_BATCH):
        response = client.describe_tags(ResourceArns=arns[start:start + _DESCRIBE_TAGS_BATCH])
        for description in response.get("TagDescriptions", ()):
            yield str(description["ResourceArn"]), {
                str(t["Key"]): str(t.get("Value", "")) for t in description.get("Tags", ())}
