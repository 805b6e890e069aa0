"""AWS::RDS::DBInstance: a DB instance of an Aurora cluster (a db.serverless writer or reader).

Only instances in a cluster are managed (``DBClusterIdentifier`` is required): storage,
credentials, engine version and backups are the cluster's. A no-drift observe costs one
DescribeDBInstances (tags included); a lost CreateDBInstance reply is found by the
instance's identifier. Pending while DBInstanceStatus is creating, modifying, ...;
changes go in one ModifyDBInstance with ApplyImmediately. Data-bearing (default Retain).
DeletionPolicy Snapshot takes no snapshot of an instance in a cluster, as in
CloudFormation: the data lives in the cluster volume, which the cluster's own policy keeps.
"""

from __future__ import annotations

from reconciler.kinds.base import Props
from reconciler.kinds.declared import Call
from reconciler.kinds.listing import Listing
from reconciler.kinds.rds_common import RdsStatusKind, tags_by_arn

_MODIFY = Call("ModifyDBInstance", {"ApplyImmediately": True})


class DBInstance(RdsStatusKind):
    type_name = "AWS::RDS::DBInstance"
    listing = Listing("rds", "DescribeDBInstances", "DBInstances[].DBInstanceIdentifier")
    managed_properties = frozenset({
        "DBInstanceIdentifier", "DBClusterIdentifier", "DBInstanceClass", "Engine",
        "PubliclyAccessible", "EnablePerformanceInsights", "PerformanceInsightsKMSKeyId",
        "PerformanceInsightsRetentionPeriod", "Tags",
    })
    # ModifyDBInstance's Engine converts RDS Custom/Oracle instances, not an Aurora member.
    replace_on = frozenset({"Engine"})
    identifier_paths = frozenset({"/PerformanceInsightsKMSKeyId"})
    data_bearing = True
    supports_snapshot = True

    service, identifier = "rds", "DBInstanceIdentifier"
    status_member = "DBInstanceStatus"
    read_call = Call("DescribeDBInstances", result="DBInstances[0]",
                     renames={"/EnablePerformanceInsights": "PerformanceInsightsEnabled"})
    create_call = Call("CreateDBInstance")
    delete_call = Call("DeleteDBInstance", {"SkipFinalSnapshot": True})
    writers = dict.fromkeys((
        "DBInstanceClass", "PubliclyAccessible", "EnablePerformanceInsights",
        "PerformanceInsightsKMSKeyId", "PerformanceInsightsRetentionPeriod"), _MODIFY)
    modified_result = "DBInstance"
    tag_calls = tags_by_arn("DBInstanceArn", listed=False)
    gone_codes = ("DBInstanceNotFound", "DBInstanceNotFoundFault")
    attribute_paths = {"Endpoint": "Endpoint"}
    transient_codes = {"InvalidDBInstanceState": (), "InvalidDBClusterStateFault": ()}

    def delete_with_snapshot(self, physical_id: str, desired: Props) -> None:
        """An instance of a cluster has no snapshot of its own (see the module docstring)."""
        self.delete(physical_id, desired)

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        if props.get("DBClusterIdentifier") in (None, ""):
            return [("/DBClusterIdentifier", "this reconciler manages DB instances of an Aurora "
                                             "cluster: declare the cluster's DBClusterIdentifier")]
        return []
