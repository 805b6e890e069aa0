"""AWS::SecretsManager::RotationSchedule: rotation settings of one secret, by a Lambda ARN.

Not a resource of its own in AWS: it is the rotation configuration of the secret, read
through DescribeSecret (one call) and absent while rotation is disabled. Its physical ID
is the SecretId as declared (name or ARN). HostedRotationLambda (a nested CloudFormation
stack in AWS) is not supported.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.eventual import error_code
from reconciler.kinds.base import Observation, Props
from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.listing import Listing

_LAMBDA_ARN = re.compile(r"^arn:[a-z-]+:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$")
_SCHEDULE = re.compile(r"^(rate\(\d+ (hour|hours|day|days)\)|cron\(.+\))$")
_DURATION = re.compile(r"^(\d{1,2})h$")
# One call sets the function and the rules together; AWS has no finer update.
_ROTATE = Call("RotateSecret", {"RotateImmediately": True})


class RotationSchedule(DeclaredKind):
    type_name = "AWS::SecretsManager::RotationSchedule"
    listing = Listing("secretsmanager", "ListSecrets",
                      "SecretList[?RotationEnabled && !OwningService].Name")
    managed_properties = frozenset({
        "SecretId", "RotationLambdaARN", "RotationRules", "RotateImmediatelyOnUpdate",
    })
    refused = {
        "HostedRotationLambda": "needs the AWS::SecretsManager-2020-07-23 transform, which "
                                "makes a rotation Lambda from a nested stack; declare the "
                                "function and set RotationLambdaARN instead",
        "ExternalSecretRotationMetadata": "not implemented yet (rotation of secrets managed "
                                          "by a partner, through ExternalSecretRotation*)",
        "ExternalSecretRotationRoleArn": "not implemented yet (rotation of secrets managed "
                                         "by a partner, through ExternalSecretRotation*)",
    }
    identifier_paths = frozenset({"/SecretId"})

    service, identifier, name = "secretsmanager", "SecretId", "SecretId"
    read_call = Call("DescribeSecret")
    # CloudFormation rotates at once when the schedule is created (RotateSecret's default).
    create_call = _ROTATE
    writers = {"RotationLambdaARN": _ROTATE, "RotationRules": _ROTATE}
    delete_call = Call("CancelRotateSecret")
    attribute_paths = {"Id": "ARN"}
    ref_attribute = "Id"
    # A Lambda permission granted to secretsmanager.amazonaws.com moments ago is not yet seen.
    transient_codes = {"AccessDeniedException": ("cannot invoke",)}

    def exists(self, resource: dict[str, Any]) -> bool:
        return bool(resource.get("RotationEnabled")) and not resource.get("DeletedDate")

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        props = super().properties_from(resource, desired)
        declared = desired.get("SecretId")
        # The secret as the desired state names it (name or ARN) when it is that secret.
        known = declared in (resource.get("Name"), resource.get("ARN"))
        props["SecretId"] = declared if known else resource["ARN"]
        props["RotationLambdaARN"] = resource.get("RotationLambdaARN") or None
        return props

    def update(self, physical_id: str, desired: Props, observed: Observation,
               changed: frozenset[str]) -> None:
        immediately = desired.get("RotateImmediatelyOnUpdate", True) is not False
        values = {k: desired.get(k) for k in ("RotationLambdaARN", "RotationRules")}
        self.invoke(Call("RotateSecret", {"RotateImmediately": immediately}), physical_id,
                    values)

    def delete(self, physical_id: str, desired: Props) -> None:
        try:
            super().delete(physical_id, desired)
        except ClientError as exc:
            # A secret marked for deletion cannot be changed, and will not rotate either.
            if error_code(exc) != "InvalidRequestException" or not self.client.describe_secret(
                    SecretId=physical_id).get("DeletedDate"):
                raise

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        arn = props.get("RotationLambdaARN")
        if arn is None:
            problems.append(("/RotationLambdaARN",
                             "is required (HostedRotationLambda is not supported)"))
        elif isinstance(arn, str) and not _LAMBDA_ARN.match(arn):
            problems.append(("/RotationLambdaARN", "must be a Lambda function ARN"))
        rules = props.get("RotationRules")
        if isinstance(rules, dict):
            problems += _rule_problems(rules)
        return problems


def _rule_problems(rules: dict[str, Any]) -> list[tuple[str, str]]:
    base = "/RotationRules"
    problems: list[tuple[str, str]] = []
    days, schedule = rules.get("AutomaticallyAfterDays"), rules.get("ScheduleExpression")
    if days is not None and schedule is not None:
        problems.append((base, "set AutomaticallyAfterDays or ScheduleExpression, not both"))
    if days is None and schedule is None:
        problems.append((base, "needs AutomaticallyAfterDays or ScheduleExpression"))
    if isinstance(days, int) and not 1 <= days <= 1000:
        problems.append((f"{base}/AutomaticallyAfterDays", "must be between 1 and 1000"))
    if isinstance(schedule, str) and not _SCHEDULE.match(schedule.strip()):
        problems.append((f"{base}/ScheduleExpression",
                         "must be rate(N days), rate(N hours) or cron(...)"))
    duration = rules.get("Duration")
    if isinstance(duration, str):
        match = _DURATION.match(duration)
        if not match or not 1 <= int(match.group(1)) <= 24:
            problems.append((f"{base}/Duration", "must be 1h to 24h"))
    return problems
