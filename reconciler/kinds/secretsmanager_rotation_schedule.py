"""AWS::SecretsManager::RotationSchedule: rotation settings of one secret, by a Lambda ARN.

Not a resource of its own in AWS: it is the rotation configuration of the secret,
read through DescribeSecret and absent while rotation is disabled. Its physical ID
is the SecretId as declared (name or ARN). HostedRotationLambda (a nested
CloudFormation stack in AWS) is not supported.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.eventual import error_code, is_not_found, retry_while_propagating
from reconciler.kinds.base import Kind, Observation, Props

# A Lambda permission granted to secretsmanager.amazonaws.com moments ago is not yet seen.
_INVOKE_PROPAGATION = frozenset({"AccessDeniedException"})
_CANNOT_INVOKE = ("cannot invoke",)
_LAMBDA_ARN = re.compile(r"^arn:[a-z-]+:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$")
_SCHEDULE = re.compile(r"^(rate\(\d+ (hour|hours|day|days)\)|cron\(.+\))$")
_DURATION = re.compile(r"^(\d{1,2})h$")


class RotationSchedule(Kind):
    type_name = "AWS::SecretsManager::RotationSchedule"
    managed_properties = frozenset({
        "SecretId", "RotationLambdaARN", "RotationRules", "RotateImmediatelyOnUpdate",
    })
    identifier_paths = frozenset({"/SecretId"})

    @property
    def _sm(self) -> Any:
        return self.aws.client("secretsmanager")

    def physical_id(self, props: Props) -> str | None:
        secret = props.get("SecretId")
        return secret if isinstance(secret, str) else None

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        try:
            meta = self._sm.describe_secret(SecretId=physical_id)
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise
        if meta.get("DeletedDate") or not meta.get("RotationEnabled"):
            return None
        rules = {k: v for k, v in (meta.get("RotationRules") or {}).items() if v is not None}
        props: Props = {
            "SecretId": _as_declared(meta, desired.get("SecretId")),
            "RotationLambdaARN": meta.get("RotationLambdaARN") or None,
            "RotationRules": rules or None,
        }
        return Observation(physical_id=physical_id, properties=props, tags=None,
                           attributes={"Ref": meta["ARN"], "Id": meta["ARN"]})

    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        # CloudFormation rotates at once when the schedule is created (RotateSecret's default).
        response = self._rotate(desired, immediately=True)
        secret_id = str(desired["SecretId"])
        return Observation(physical_id=secret_id, properties={}, tags=None,
                           attributes={"Ref": response["ARN"], "Id": response["ARN"]})

    def update(self, physical_id: str, desired: Props, observed: Observation,
               changed: frozenset[str]) -> None:
        # One call sets the function and the rules together; AWS has no finer update.
        immediately = desired.get("RotateImmediatelyOnUpdate", True)
        if isinstance(immediately, str):
            immediately = immediately.lower() == "true"
        self._rotate({**desired, "SecretId": physical_id}, immediately=bool(immediately))

    def _rotate(self, desired: Props, immediately: bool) -> dict[str, Any]:
        args: dict[str, Any] = {"SecretId": desired["SecretId"], "RotateImmediately": immediately}
        if desired.get("RotationLambdaARN"):
            args["RotationLambdaARN"] = desired["RotationLambdaARN"]
        if desired.get("RotationRules"):
            args["RotationRules"] = _rules(desired["RotationRules"])
        return dict(retry_while_propagating(lambda: self._sm.rotate_secret(**args),
                                            codes=_INVOKE_PROPAGATION,
                                            message_contains=_CANNOT_INVOKE, attempts=5))

    def set_tags(self, physical_id: str, add: dict[str, str], remove: list[str]) -> None:
        return None  # a rotation schedule carries no tags of its own

    def delete(self, physical_id: str, desired: Props) -> None:
        try:
            self._sm.cancel_rotate_secret(SecretId=physical_id)
        except ClientError as exc:
            if is_not_found(exc):
                return
            if error_code(exc) == "InvalidRequestException":
                # A secret marked for deletion cannot be changed, and will not rotate either.
                meta = self._sm.describe_secret(SecretId=physical_id)
                if meta.get("DeletedDate"):
                    return
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


def _rules(rules: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in rules.items() if v is not None}
    if "AutomaticallyAfterDays" in out:
        out["AutomaticallyAfterDays"] = int(out["AutomaticallyAfterDays"])
    return out


def _as_declared(meta: dict[str, Any], declared: Any) -> str:
    """The secret as the desired state names it (name or ARN) when it is that secret."""
    if declared in (meta.get("Name"), meta.get("ARN")):
        return str(declared)
    return str(meta["ARN"])


def _rule_problems(rules: dict[str, Any]) -> list[tuple[str, str]]:
    base = "/RotationRules"
    problems: list[tuple[str, str]] = []
    days, schedule = rules.get("AutomaticallyAfterDays"), rules.get("ScheduleExpression")
    if days is not None and schedule is not None:
        problems.append((base, "set AutomaticallyAfterDays or ScheduleExpression, not both"))
    if days is None and schedule is None:
        problems.append((base, "needs AutomaticallyAfterDays or ScheduleExpression"))
    if isinstance(days, int | str) and not isinstance(days, bool):
        try:
            valid = 1 <= int(days) <= 1000
        except ValueError:
            valid = False
        if not valid:
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
