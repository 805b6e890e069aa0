"""AWS::RDS::DBInstance: an RDS database (MySQL, PostgreSQL, MariaDB, Oracle, SQL Server), a
read replica of one, one restored from a snapshot, or an instance of an Aurora cluster.

A no-drift observe costs one DescribeDBInstances (tags included). The instance is named by
its identifier, so a lost create reply (no idempotency token) is found by name. How it is
made follows the template, as in CloudFormation: ``SourceDBInstanceIdentifier`` makes a
read replica (CreateDBInstanceReadReplica), ``DBSnapshotIdentifier`` restores a snapshot
(RestoreDBInstanceFromDBSnapshot), otherwise CreateDBInstance; what that call does not
take is set by a ModifyDBInstance after it. Both sources are write-only (CloudFormation
never reads them back): they are sent once and not compared.

Pending while DBInstanceStatus is creating, modifying, ...; changes go in one
ModifyDBInstance with ApplyImmediately (a new major version with AWS's consent flag).
An instance of an Aurora cluster takes storage, credentials, backups and network from
the cluster: declaring those on it is refused at validate (see
``rds_db_instance_checks``). Data-bearing (default Retain). DeletionPolicy Snapshot
keeps a final DB snapshot of a standalone instance; an instance of a cluster has none of
its own (its data is the cluster volume, which the cluster's own policy keeps).
"""

from __future__ import annotations

import time
from typing import Any

from reconciler.kinds.base import Observation, Props
from reconciler.kinds.declared import Call
from reconciler.kinds.listing import Listing
from reconciler.kinds.rds_common import RdsStatusKind, modify_arguments, tags_by_arn
from reconciler.kinds.rds_db_instance_checks import problems

_MODIFY = "modify_instance"
_IN_VPC = {"/VPCSecurityGroups": "VpcSecurityGroupIds"}
# Properties ModifyDBInstance changes in place (CloudFormation: no replacement).
_MODIFIABLE = (
    "DBInstanceClass", "PubliclyAccessible", "EnablePerformanceInsights",
    "PerformanceInsightsKMSKeyId", "PerformanceInsightsRetentionPeriod", "AllocatedStorage",
    "MaxAllocatedStorage", "StorageType", "Iops", "StorageThroughput", "MultiAZ",
    "EngineVersion", "LicenseModel", "MasterUserPassword", "ManageMasterUserPassword",
    "VPCSecurityGroups", "DBParameterGroupName", "OptionGroupName", "BackupRetentionPeriod",
    "PreferredBackupWindow", "PreferredMaintenanceWindow", "DeletionProtection",
    "AutoMinorVersionUpgrade", "CopyTagsToSnapshot", "Port", "EnableIAMDatabaseAuthentication",
    "MonitoringInterval", "MonitoringRoleArn", "CACertificateIdentifier", "PromotionTier",
    "EnableCloudwatchLogsExports",
)


class DBInstance(RdsStatusKind):
    type_name = "AWS::RDS::DBInstance"
    listing = Listing("rds", "DescribeDBInstances", "DBInstances[].DBInstanceIdentifier")
    managed_properties = frozenset({
        "DBInstanceIdentifier", "DBClusterIdentifier", "Engine", "AvailabilityZone", "DBName",
        "MasterUsername", "StorageEncrypted", "KmsKeyId", "DBSubnetGroupName",
        "SourceDBInstanceIdentifier", "DBSnapshotIdentifier", "AllowMajorVersionUpgrade",
        "DeleteAutomatedBackups", "Tags", *_MODIFIABLE,
    })
    # ModifyDBInstance's Engine converts RDS Custom/Oracle editions, and no call moves an
    # instance to another zone: CloudFormation replaces for both.
    replace_on = frozenset({"Engine", "AvailabilityZone"})
    identifier_paths = frozenset({"/PerformanceInsightsKMSKeyId", "/KmsKeyId",
                                  "/MonitoringRoleArn"})
    # Names RDS keeps in lower case: compared ignoring case.
    any_case_paths = frozenset({"/Engine", "/DBSubnetGroupName", "/DBParameterGroupName",
                                "/OptionGroupName", "/LicenseModel"})
    # AWS never shows a master password: a changed declaration is written again.
    compare_written = frozenset({"MasterUserPassword"})
    data_bearing = True
    supports_snapshot = True

    service, identifier = "rds", "DBInstanceIdentifier"
    status_member = "DBInstanceStatus"
    read_call = Call("DescribeDBInstances", result="DBInstances[0]", renames={
        "/EnablePerformanceInsights": "PerformanceInsightsEnabled",
        "/EnableIAMDatabaseAuthentication": "IAMDatabaseAuthenticationEnabled",
        "/EnableCloudwatchLogsExports": "EnabledCloudwatchLogsExports"})
    property_paths = {
        "VPCSecurityGroups": "VpcSecurityGroups[].VpcSecurityGroupId",
        "DBSubnetGroupName": "DBSubnetGroup.DBSubnetGroupName",
        "DBParameterGroupName": "DBParameterGroups[0].DBParameterGroupName",
        "OptionGroupName": "OptionGroupMemberships[0].OptionGroupName",
        "Port": "Endpoint.Port",
        "ManageMasterUserPassword": "MasterUserSecret != `null`",
    }
    create_call = Call("CreateDBInstance", renames=_IN_VPC)
    replica_call = Call("CreateDBInstanceReadReplica", renames=_IN_VPC)
    restore_call = Call("RestoreDBInstanceFromDBSnapshot", renames=_IN_VPC)
    delete_call = Call("DeleteDBInstance", {"SkipFinalSnapshot": True})
    writers = dict.fromkeys(_MODIFIABLE, _MODIFY)
    modified_result = "DBInstance"
    tag_calls = tags_by_arn("DBInstanceArn", listed=False)
    gone_codes = ("DBInstanceNotFound", "DBInstanceNotFoundFault")
    attribute_paths = {"Endpoint": "Endpoint"}
    transient_codes = {"InvalidDBInstanceState": (), "InvalidDBInstanceStateFault": (),
                       "InvalidDBClusterStateFault": ()}

    def create_call_for(self, desired: Props) -> Call:
        if desired.get("SourceDBInstanceIdentifier") is not None:
            return self.replica_call
        if desired.get("DBSnapshotIdentifier") is not None:
            return self.restore_call
        return self.create_call

    def modify_instance(self, physical_id: str, values: Props,
                        observed: Observation | None) -> dict[str, Any]:
        """One ModifyDBInstance (see ``rds_common.modify_arguments``)."""
        args, values = modify_arguments(values, observed)
        renames = {**_IN_VPC, "/Port": "DBPortNumber"}
        return self.invoke(Call("ModifyDBInstance", args, renames), physical_id, values)

    def delete_with_snapshot(self, physical_id: str, desired: Props) -> None:
        """A standalone instance is deleted after a final snapshot ``<id>-final-<UTC time>``;
        one of a cluster has no snapshot of its own (see the module docstring)."""
        if desired.get("DBClusterIdentifier") not in (None, ""):
            self.delete(physical_id, desired)
            return
        final = f"{physical_id}-final-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}"
        with self.gone_is_done():
            self.invoke(Call("DeleteDBInstance", {"SkipFinalSnapshot": False,
                                                  "FinalDBSnapshotIdentifier": final}),
                        physical_id, {k: v for k, v in desired.items()
                                      if k == "DeleteAutomatedBackups"})

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        return problems(props)
