"""AWS::RDS::DBCluster: an Aurora cluster (ADR-001/002: Aurora Serverless v2 PostgreSQL).

A no-drift observe costs one DescribeDBClusters (tags included). The cluster is named by
its identifier, so a lost CreateDBCluster reply (no idempotency token) is found by name.
Pending while its Status is creating, modifying, backing-up, ... (see ``rds_common``);
changes go in one ModifyDBCluster with ApplyImmediately. ``MasterUserPassword`` is a
write-only credential: sent at create, and again when its declaration changes (compared
with a salted print of what was written, never with AWS). Data-bearing: removed from the
tree it is orphaned (DeletionPolicy Retain) unless the policy says Delete, or Snapshot:
deleted after a final cluster snapshot.
``SnapshotIdentifier`` restores a cluster snapshot (RestoreDBClusterFromSnapshot; sent
once, write-only as in CloudFormation); what the restore does not take follows in a
ModifyDBCluster. ``EngineMode: serverless`` is Aurora Serverless v1 (``ScalingConfiguration``).
"""

from __future__ import annotations

import time
from typing import Any

from reconciler.kinds.base import Observation, Props, is_intrinsic
from reconciler.kinds.declared import Call
from reconciler.kinds.listing import Listing
from reconciler.kinds.rds_common import RdsStatusKind, modify_arguments, tags_by_arn

_MODIFY = "modify_cluster"


class DBCluster(RdsStatusKind):
    type_name = "AWS::RDS::DBCluster"
    listing = Listing("rds", "DescribeDBClusters", "DBClusters[].DBClusterIdentifier")
    managed_properties = frozenset({
        "DBClusterIdentifier", "Engine", "EngineVersion", "ServerlessV2ScalingConfiguration",
        "StorageEncrypted", "KmsKeyId", "MasterUsername", "MasterUserPassword",
        "ManageMasterUserPassword", "DBSubnetGroupName", "VpcSecurityGroupIds",
        "BackupRetentionPeriod", "PreferredBackupWindow", "DeletionProtection",
        "EnableIAMDatabaseAuthentication", "Port", "Tags", "DatabaseName", "EngineMode",
        "ScalingConfiguration", "SnapshotIdentifier", "DBClusterParameterGroupName",
        "PreferredMaintenanceWindow", "CopyTagsToSnapshot", "AutoMinorVersionUpgrade",
        "EnableCloudwatchLogsExports", "EnableHttpEndpoint", "DeleteAutomatedBackups",
        "MonitoringInterval", "MonitoringRoleArn",
    })
    # ModifyDBCluster takes neither (CloudFormation replaces the cluster).
    replace_on = frozenset({"Engine", "MasterUsername"})
    # Names RDS keeps in lower case: compared ignoring case.
    any_case_paths = frozenset({"/Engine", "/DBSubnetGroupName",
                                "/DBClusterParameterGroupName", "/EngineMode"})
    # AWS never shows a master password: a changed declaration is written again.
    compare_written = frozenset({"MasterUserPassword"})
    identifier_paths = frozenset({"/KmsKeyId"})
    data_bearing = True
    supports_snapshot = True

    service, identifier = "rds", "DBClusterIdentifier"
    read_call = Call("DescribeDBClusters", result="DBClusters[0]", renames={
        "/DBSubnetGroupName": "DBSubnetGroup",
        "/DBClusterParameterGroupName": "DBClusterParameterGroup",
        "/EnableIAMDatabaseAuthentication": "IAMDatabaseAuthenticationEnabled",
        "/EnableHttpEndpoint": "HttpEndpointEnabled",
        "/EnableCloudwatchLogsExports": "EnabledCloudwatchLogsExports",
        "/ScalingConfiguration": "ScalingConfigurationInfo"})
    property_paths = {"VpcSecurityGroupIds": "VpcSecurityGroups[].VpcSecurityGroupId",
                      "ManageMasterUserPassword": "MasterUserSecret != `null`"}
    create_call = Call("CreateDBCluster")
    restore_call = Call("RestoreDBClusterFromSnapshot")
    delete_call = Call("DeleteDBCluster", {"SkipFinalSnapshot": True})
    writers = dict.fromkeys((
        "EngineVersion", "ServerlessV2ScalingConfiguration", "MasterUserPassword",
        "ManageMasterUserPassword", "VpcSecurityGroupIds", "BackupRetentionPeriod",
        "PreferredBackupWindow", "DeletionProtection", "EnableIAMDatabaseAuthentication",
        "Port", "ScalingConfiguration", "DBClusterParameterGroupName",
        "PreferredMaintenanceWindow", "CopyTagsToSnapshot", "AutoMinorVersionUpgrade",
        "EnableCloudwatchLogsExports", "EnableHttpEndpoint", "MonitoringInterval",
        "MonitoringRoleArn"), _MODIFY)
    modified_result = "DBCluster"
    tag_calls = tags_by_arn("DBClusterArn", listed=False)
    gone_codes = ("DBClusterNotFoundFault",)
    attribute_paths = {"Endpoint": "{Address: Endpoint, Port: Port}",
                       "ReadEndpoint": "{Address: ReaderEndpoint}"}
    # Busy with another change (AWS: "DB cluster is not available for modification").
    transient_codes = {"InvalidDBClusterStateFault": ()}

    def create_call_for(self, desired: Props) -> Call:
        if desired.get("SnapshotIdentifier") not in (None, ""):
            return self.restore_call
        return self.create_call

    def modify_cluster(self, physical_id: str, values: Props,
                       observed: Observation | None) -> dict[str, Any]:
        """One ModifyDBCluster (see ``rds_common.modify_arguments``)."""
        args, values = modify_arguments(values, observed)
        return self.invoke(Call("ModifyDBCluster", args), physical_id, values)

    def delete_with_snapshot(self, physical_id: str, desired: Props) -> None:
        """DeleteDBCluster keeping a final cluster snapshot ``<cluster>-final-<UTC time>``."""
        final = f"{physical_id}-final-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}"
        with self.gone_is_done():
            self.invoke(Call("DeleteDBCluster", {"SkipFinalSnapshot": False,
                                                 "FinalDBSnapshotIdentifier": final}),
                        physical_id)

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        """What moto accepts and AWS refuses: capacities out of order, a key without
        encryption, both password forms."""
        problems: list[tuple[str, str]] = []
        scaling = props.get("ServerlessV2ScalingConfiguration")
        if isinstance(scaling, dict):
            low, high = scaling.get("MinCapacity"), scaling.get("MaxCapacity")
            if _number(low) and _number(high) and float(low) > float(high):
                problems.append(("/ServerlessV2ScalingConfiguration/MinCapacity",
                                 f"MinCapacity {low} is above MaxCapacity {high}"))
        if "KmsKeyId" in props and props.get("StorageEncrypted") is False:
            problems.append(("/KmsKeyId", "a KmsKeyId needs StorageEncrypted: true"))
        if "MasterUserPassword" in props and props.get("ManageMasterUserPassword") is True:
            problems.append(("/MasterUserPassword", "declare MasterUserPassword or "
                                                    "ManageMasterUserPassword: true, not both"))
        if props.get("SnapshotIdentifier") not in (None, ""):
            problems += [(f"/{key}", f"{key} comes from the snapshot (SnapshotIdentifier): "
                                     "leave it out")
                         for key in ("MasterUsername", "MasterUserPassword",
                                     "ManageMasterUserPassword")
                         if props.get(key) not in (None, "")]
        if props.get("EngineMode") == "serverless" \
                and "ServerlessV2ScalingConfiguration" in props:
            problems.append(("/ServerlessV2ScalingConfiguration", "EngineMode serverless "
                                                                  "(v1) scales by "
                                                                  "ScalingConfiguration"))
        return problems


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) \
        and not is_intrinsic(value)
