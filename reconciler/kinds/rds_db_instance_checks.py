"""What AWS refuses in an AWS::RDS::DBInstance and the moto server accepts, checked at validate.

Each message says what AWS would answer at create, so the mistake shows at ``validate``
with file and line instead of minutes into an apply.
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds.base import Props, is_intrinsic

# What an instance of an Aurora cluster takes from its cluster (AWS: "The requested DB
# Instance will be a member of a DB Cluster. Set ... for the DB Cluster.").
CLUSTER_OWNED = (
    "AllocatedStorage", "MaxAllocatedStorage", "StorageType", "Iops", "StorageThroughput",
    "StorageEncrypted", "KmsKeyId", "MasterUsername", "MasterUserPassword",
    "ManageMasterUserPassword", "DBName", "BackupRetentionPeriod", "PreferredBackupWindow",
    "VPCSecurityGroups", "Port", "EnableIAMDatabaseAuthentication", "DeletionProtection",
    "SourceDBInstanceIdentifier", "DBSnapshotIdentifier",
)
# What a read replica or a restored instance takes from its source (CloudFormation: "don't
# specify" these with SourceDBInstanceIdentifier / DBSnapshotIdentifier).
FROM_SOURCE = ("MasterUsername", "MasterUserPassword", "DBName", "StorageEncrypted",
               "KmsKeyId")


def _declared(props: Props, key: str) -> bool:
    return props.get(key) not in (None, "")


def _known(value: Any) -> bool:
    return value is not None and not is_intrinsic(value)


def problems(props: Props) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    engine = props.get("Engine")
    aurora = isinstance(engine, str) and engine.lower().startswith("aurora")
    sources = [k for k in ("SourceDBInstanceIdentifier", "DBSnapshotIdentifier")
               if _declared(props, k)]
    if not sources and not _declared(props, "DBInstanceClass"):
        found.append(("/DBInstanceClass", "a DB instance needs its DBInstanceClass"))
    if _declared(props, "DBClusterIdentifier"):
        found += [(f"/{key}", f"{key} of an instance of an Aurora cluster is the cluster's: "
                              "declare it on the AWS::RDS::DBCluster")
                  for key in CLUSTER_OWNED if _declared(props, key)]
        if props.get("MultiAZ") is True:
            found.append(("/MultiAZ", "an Aurora cluster is Multi-AZ by its instances in "
                                      "several zones; MultiAZ: true is refused by AWS here"))
        return found
    if aurora:
        found.append(("/DBClusterIdentifier", f"an {engine} instance belongs to an Aurora "
                                              "cluster: declare its DBClusterIdentifier"))
    if len(sources) == 2:
        found.append(("/DBSnapshotIdentifier", "declare SourceDBInstanceIdentifier (a read "
                                               "replica) or DBSnapshotIdentifier (a restore), "
                                               "not both"))
    for source in sources[:1]:
        found += [(f"/{key}", f"{key} comes from the source ({source}): leave it out")
                  for key in FROM_SOURCE if _declared(props, key)]
    if not sources and not _declared(props, "Engine"):
        found.append(("/Engine", "a new DB instance needs its Engine (mysql, postgres, ...)"))
    if props.get("MultiAZ") is True and _declared(props, "AvailabilityZone"):
        found.append(("/AvailabilityZone", "a Multi-AZ instance cannot be placed in one "
                                           "zone: leave AvailabilityZone out"))
    if _declared(props, "KmsKeyId") and props.get("StorageEncrypted") is not True \
            and not sources:
        found.append(("/KmsKeyId", "a KmsKeyId needs StorageEncrypted: true"))
    if _declared(props, "MasterUserPassword") and props.get("ManageMasterUserPassword") is True:
        found.append(("/MasterUserPassword", "declare MasterUserPassword or "
                                             "ManageMasterUserPassword: true, not both"))
    interval = props.get("MonitoringInterval")
    if _known(interval) and interval != 0 and not _declared(props, "MonitoringRoleArn"):
        found.append(("/MonitoringRoleArn", "Enhanced Monitoring (MonitoringInterval "
                                            f"{interval}) needs a MonitoringRoleArn"))
    return found
