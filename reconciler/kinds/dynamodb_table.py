"""AWS::DynamoDB::Table: tables with billing, GSIs, TTL, SSE, streams, PITR and protection.

DynamoDB accepts one structural change per UpdateTable call and only while the
table and its indexes are ACTIVE. The kind never waits for that: observe reports
the table pending while it or an index is not ACTIVE, create returns as soon as
CreateTable answers, and an update makes one UpdateTable step per pass and
reports pending while steps remain (the engine re-plans and asks for the next
one once the table is ACTIVE again). Shape mapping lives in
``dynamodb_table_shape``.
"""

from __future__ import annotations

import re
import secrets
import string
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.eventual import error_code, is_not_found
from reconciler.aws.kms_keys import kms_key_as_declared
from reconciler.aws.normalize import tags_to_dict
from reconciler.errors import ReconcilerError
from reconciler.kinds import dynamodb_table_checks as checks
from reconciler.kinds import dynamodb_table_shape as shape
from reconciler.kinds.base import Kind, Observation, Props, TransientError
from reconciler.kinds.listing import Listing

# Right after CreateTable, AWS may refuse PITR until continuous backups are set up.
_BACKUPS_PENDING = frozenset({"ContinuousBackupsUnavailableException"})
_BACKUPS_RETRY_SECONDS = 10.0
# A replacement's CreateTable while the old table (same name) is still DELETING.
_NAME_BUSY_RETRY_SECONDS = 15.0
_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_.-]+")
_MAX_NAME = 255


class DynamoDBTable(Kind):
    type_name = "AWS::DynamoDB::Table"
    listing = Listing("dynamodb", "ListTables", "TableNames[]")
    managed_properties = frozenset({
        "TableName", "BillingMode", "ProvisionedThroughput", "AttributeDefinitions",
        "KeySchema", "GlobalSecondaryIndexes", "TimeToLiveSpecification", "SSESpecification",
        "PointInTimeRecoverySpecification", "DeletionProtectionEnabled",
        "StreamSpecification", "LocalSecondaryIndexes", "Tags",
    })
    # DynamoDB cannot change a table's primary key or its local indexes (made only by
    # CreateTable); CloudFormation replaces the table.
    replace_on = frozenset({"KeySchema", "LocalSecondaryIndexes"})
    refused = {
        "ImportSourceSpecification": "a one-time load from S3 at create: nothing to reconcile "
                                     "afterwards, and a retried create would load twice",
        "KinesisStreamSpecification": "not implemented yet (a Kinesis streaming destination "
                                      "is enabled asynchronously, apart from UpdateTable)",
        "ContributorInsightsSpecification": "not implemented yet (CloudWatch Contributor "
                                            "Insights, UpdateContributorInsights)",
        "ResourcePolicy": "not implemented yet (PutResourcePolicy with its revision id)",
        "TableClass": "not implemented yet (STANDARD_INFREQUENT_ACCESS switches)",
        "OnDemandThroughput": "not implemented yet (on-demand maximum throughput)",
        "WarmThroughput": "not implemented yet (pre-warmed throughput)",
        "VectorIndexes": "not implemented yet (vector indexes and their search settings)",
    }
    identifier_paths = frozenset({"/SSESpecification/KMSMasterKeyId"})
    data_bearing = True

    @property
    def _ddb(self) -> Any:
        return self.aws.client("dynamodb")

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        return checks.validation_issues(props)

    # --- identity ---------------------------------------------------------------------------

    def physical_id(self, props: Props) -> str | None:
        name = props.get("TableName")
        return name if isinstance(name, str) else None

    def generated_name(self, logical_id: str, owner: str) -> Props:
        # CloudFormation's pattern: <stack>-<LogicalId>-<RANDOM>, cut to the 255-char limit.
        suffix = "".join(secrets.choice(string.ascii_uppercase + string.digits)
                         for _ in range(12))
        room = _MAX_NAME - len(suffix) - 2
        owner_part = _NAME_CHARS.sub("-", owner)[: room // 2]
        logical_part = _NAME_CHARS.sub("-", logical_id)[: room - len(owner_part)]
        return {"TableName": f"{owner_part}-{logical_part}-{suffix}"}

    # --- observe ----------------------------------------------------------------------------

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        table = self._describe(physical_id)
        if table is None:
            return None
        ddb = self._ddb
        props = shape.table_properties(table, desired)
        sse, wanted = props["SSESpecification"], desired.get("SSESpecification")
        if isinstance(sse, dict) and isinstance(wanted, dict):
            sse["KMSMasterKeyId"] = kms_key_as_declared(self.aws, sse.get("KMSMasterKeyId"),
                                                        wanted.get("KMSMasterKeyId"))
        if "TimeToLiveSpecification" in desired:
            ttl = ddb.describe_time_to_live(TableName=physical_id)["TimeToLiveDescription"]
            props["TimeToLiveSpecification"] = shape.time_to_live(
                ttl, desired["TimeToLiveSpecification"])
        if "PointInTimeRecoverySpecification" in desired:
            backups = ddb.describe_continuous_backups(TableName=physical_id)
            pitr = backups["ContinuousBackupsDescription"].get(
                "PointInTimeRecoveryDescription") or {}
            props["PointInTimeRecoverySpecification"] = shape.point_in_time_recovery(
                pitr, desired["PointInTimeRecoverySpecification"])
        return Observation(
            physical_id=physical_id,
            properties=props,
            tags=self._tags(table["TableArn"]),
            attributes=_attributes(table),
            pending=_pending(table),
        )

    def _describe(self, name: str) -> dict[str, Any] | None:
        try:
            return dict(self._ddb.describe_table(TableName=name)["Table"])
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise

    def _tags(self, arn: str) -> dict[str, str]:
        listed: list[dict[str, Any]] = []
        for page in self._ddb.get_paginator("list_tags_of_resource").paginate(ResourceArn=arn):
            listed.extend(page.get("Tags") or ())
        return tags_to_dict(listed)

    # --- create -----------------------------------------------------------------------------

    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        """CreateTable, then (once ACTIVE: at once on moto, a pass later on AWS) TTL and PITR."""
        name = desired["TableName"]
        try:
            # No idempotency token: never retried, a lost reply is found by name and tags.
            table = self.aws.client("dynamodb", retries=False).create_table(
                **shape.create_arguments(desired, tags))["TableDescription"]
        except ClientError as exc:
            self._raise_if_name_busy(name, exc)
            raise
        pending = _pending(table)
        if pending is None:
            ttl = desired.get("TimeToLiveSpecification")
            if ttl and ttl.get("Enabled"):
                self._set_time_to_live(name, ttl, current=None)
            pitr = desired.get("PointInTimeRecoverySpecification")
            if pitr and pitr.get("PointInTimeRecoveryEnabled"):
                self._set_point_in_time_recovery(name, pitr)
        return Observation(physical_id=name, properties={}, tags=dict(tags),
                           attributes=_attributes(table), pending=pending)

    def _raise_if_name_busy(self, name: str, exc: ClientError) -> None:
        """A replacement creates under the old name; AWS refuses while the old one deletes."""
        if error_code(exc) != "ResourceInUseException":
            return
        table = self._describe(name)
        if table is not None and table.get("TableStatus") == "DELETING":
            raise TransientError(f"DynamoDB table {name}: the previous table of this name is "
                                 "still being deleted", delay=_NAME_BUSY_RETRY_SECONDS) from exc

    # --- update -----------------------------------------------------------------------------

    def update(self, physical_id: str, desired: Props, observed: Observation,
               changed: frozenset[str]) -> Observation | None:
        """TTL and PITR, then at most one UpdateTable step; pending while AWS applies it or
        steps remain. Costs a DescribeTable plus the calls of what changed."""
        name = physical_id
        table = self._describe(name)
        if table is None:
            raise ReconcilerError(f"DynamoDB table {name} disappeared while being changed")
        busy = _pending(table)
        if busy:  # changed by someone else since the plan looked: the next pass re-diffs
            return self._after(observed, table, busy)
        if "TimeToLiveSpecification" in changed:
            current = self._ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            self._set_time_to_live(name, desired.get("TimeToLiveSpecification") or {},
                                   current=current)
        if "PointInTimeRecoverySpecification" in changed:
            self._set_point_in_time_recovery(
                name, desired.get("PointInTimeRecoverySpecification")
                or {"PointInTimeRecoveryEnabled": False})
        steps = self._update_steps(table, desired, changed)
        if not steps:
            return None
        what, arguments = steps[0]
        answer = self._ddb.update_table(TableName=name, **arguments).get("TableDescription")
        status = _pending(answer) if answer else None  # AWS: UPDATING; moto: ACTIVE at once
        parts = [status] if status else []
        if len(steps) > 1:
            parts.append(f"{what} requested, {len(steps) - 1} more UpdateTable step"
                         f"{'s' if len(steps) > 2 else ''} to go ({steps[1][0]} next)")
        if not parts:
            return None
        return self._after(observed, answer or table, "; ".join(parts))

    @staticmethod
    def _after(observed: Observation, table: dict[str, Any], pending: str) -> Observation:
        return Observation(observed.physical_id, observed.properties, observed.tags,
                           _attributes(table) if "TableArn" in table else observed.attributes,
                           pending=pending)

    def _update_steps(self, table: dict[str, Any], desired: Props,
                      changed: frozenset[str]) -> list[tuple[str, Props]]:
        """The UpdateTable calls still needed, in the order AWS accepts them, one structural
        change each: index deletes, billing/throughput, index creates, encryption, stream
        (an enabled stream's view type cannot change: disable, then enable), protection."""
        steps: list[tuple[str, Props]] = []
        if changed & {"BillingMode", "ProvisionedThroughput", "GlobalSecondaryIndexes"}:
            steps += self._capacity_and_index_steps(table, desired, changed)
        if "SSESpecification" in changed:
            steps.append(("encryption change", {
                "SSESpecification": shape.sse_arguments(desired.get("SSESpecification"))}))
        if "StreamSpecification" in changed:
            wanted = desired.get("StreamSpecification")
            if (table.get("StreamSpecification") or {}).get("StreamEnabled"):
                steps.append(("stream disable",
                              {"StreamSpecification": {"StreamEnabled": False}}))
            if wanted:
                steps.append(("stream enable", {"StreamSpecification": {
                    "StreamEnabled": True, "StreamViewType": wanted["StreamViewType"]}}))
        if "DeletionProtectionEnabled" in changed:
            steps.append(("deletion protection change", {
                "DeletionProtectionEnabled": bool(desired.get("DeletionProtectionEnabled"))}))
        return steps

    def _capacity_and_index_steps(self, table: dict[str, Any], desired: Props,
                                  changed: frozenset[str]) -> list[tuple[str, Props]]:
        mode = desired.get("BillingMode", shape.PROVISIONED)
        current = {g["IndexName"]: g for g in shape.table_properties(
            table, desired)["GlobalSecondaryIndexes"]}
        wanted = {g["IndexName"]: g for g in desired.get("GlobalSecondaryIndexes") or ()}
        to_delete: list[str] = []
        to_create: list[Props] = []
        if "GlobalSecondaryIndexes" in changed:
            to_delete = [n for n in current
                         if n not in wanted or shape.index_needs_rebuild(current[n], wanted[n])]
            to_create = [g for n, g in wanted.items() if n not in current or n in to_delete]
        steps: list[tuple[str, Props]] = [
            (f"index {n} delete", {"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": n}}]})
            for n in to_delete]
        args = self._capacity_arguments(table, desired, mode,
                                        [n for n in current if n not in to_delete])
        if args:
            steps.append(("billing and throughput change", args))
        steps += [(f"index {index['IndexName']} create", {
            "AttributeDefinitions": list(desired.get("AttributeDefinitions") or ()),
            "GlobalSecondaryIndexUpdates": [{"Create": shape.index_arguments(index, mode)}]})
            for index in to_create]
        return steps

    def _capacity_arguments(self, table: dict[str, Any], desired: Props, mode: str,
                            kept_indexes: list[str]) -> Props:
        """UpdateTable arguments for billing mode, table and kept-index throughput; AWS
        refuses a throughput "change" to the current values, so only real changes go."""
        switching = shape.billing_mode(table) != mode
        args: Props = {"BillingMode": mode} if switching else {}
        if mode != shape.PROVISIONED:
            return args
        table_throughput = shape.throughput(desired.get("ProvisionedThroughput"))
        if switching or shape.throughput(table.get("ProvisionedThroughput")) != table_throughput:
            args["ProvisionedThroughput"] = table_throughput
        declared = {g["IndexName"]: g for g in desired.get("GlobalSecondaryIndexes") or ()}
        described = {g["IndexName"]: g for g in table.get("GlobalSecondaryIndexes") or ()}
        updates = []
        for index_name in kept_indexes:
            # An index the user does not declare still needs capacity once provisioned.
            target = shape.throughput(
                (declared.get(index_name) or {}).get("ProvisionedThroughput")) or table_throughput
            have = shape.throughput((described.get(index_name) or {}).get("ProvisionedThroughput"))
            if switching or have != target:
                updates.append({"Update": {"IndexName": index_name,
                                           "ProvisionedThroughput": target}})
        if updates:
            args["GlobalSecondaryIndexUpdates"] = updates
        return args

    def _set_time_to_live(self, name: str, wanted: Props,
                          current: dict[str, Any] | None) -> None:
        current = current or {}
        on = current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
        attribute = current.get("AttributeName")
        if on and (not wanted.get("Enabled") or attribute != wanted.get("AttributeName")):
            # TTL's attribute cannot be renamed in place, and disabling must name the current one.
            self._ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
                "AttributeName": attribute, "Enabled": False})
            on = False
        if wanted.get("Enabled") and not on:
            self._ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
                "AttributeName": wanted["AttributeName"], "Enabled": True})

    def _set_point_in_time_recovery(self, name: str, wanted: Props) -> None:
        spec: Props = {"PointInTimeRecoveryEnabled": bool(wanted.get("PointInTimeRecoveryEnabled"))}
        if spec["PointInTimeRecoveryEnabled"] and "RecoveryPeriodInDays" in wanted:
            spec["RecoveryPeriodInDays"] = int(wanted["RecoveryPeriodInDays"])
        try:
            self._ddb.update_continuous_backups(TableName=name,
                                                PointInTimeRecoverySpecification=spec)
        except ClientError as exc:
            if error_code(exc) in _BACKUPS_PENDING:
                raise TransientError(f"DynamoDB table {name}: continuous backups are not "
                                     "available yet", delay=_BACKUPS_RETRY_SECONDS) from exc
            raise

    # --- tags -------------------------------------------------------------------------------

    def set_tags(self, physical_id: str, add: dict[str, str], remove: list[str]) -> None:
        table = self._describe(physical_id)
        if table is None:
            raise ReconcilerError(f"DynamoDB table {physical_id} does not exist")
        arn = table["TableArn"]
        current = self._tags(arn)
        add = {k: v for k, v in add.items() if current.get(k) != v}
        # Retagging an existing key must untag it first: moto would keep both values.
        untag = sorted({k for k in remove if k in current} | (add.keys() & current.keys()))
        if untag:
            self._ddb.untag_resource(ResourceArn=arn, TagKeys=untag)
        if add:
            self._ddb.tag_resource(ResourceArn=arn, Tags=[
                {"Key": k, "Value": v} for k, v in sorted(add.items())])

    # --- delete -----------------------------------------------------------------------------

    def delete(self, physical_id: str, desired: Props) -> None:
        try:
            self._ddb.delete_table(TableName=physical_id)
        except ClientError as exc:
            if is_not_found(exc):
                return
            if error_code(exc) == "ValidationException" and "protect" in str(exc).lower():
                raise ReconcilerError(
                    f"DynamoDB table {physical_id} has DeletionProtectionEnabled; set it to "
                    "false before deleting the table") from exc
            raise
        # No wait for the name to be free: a replacement's create retries meanwhile.


def _pending(table: dict[str, Any]) -> str | None:
    """What AWS is still doing to the table or an index, or None when all are ACTIVE."""
    status = table.get("TableStatus", "ACTIVE")
    if status != "ACTIVE":
        return f"TableStatus {status}"
    for index in table.get("GlobalSecondaryIndexes") or ():
        if index.get("IndexStatus", "ACTIVE") != "ACTIVE":
            return f"index {index['IndexName']} {index['IndexStatus']}"
    return None


def _attributes(table: dict[str, Any]) -> dict[str, Any]:
    stream_on = (table.get("StreamSpecification") or {}).get("StreamEnabled")
    return {
        "Ref": table["TableName"],
        "Arn": table["TableArn"],
        # CloudFormation documents StreamArn only while a stream is enabled.
        "StreamArn": table.get("LatestStreamArn") if stream_on else None,
    }
