"""AWS::RDS::DBProxyTargetGroup: what a proxy's (default) target group connects to, and its
connection pool.

AWS makes the ``default`` target group with the proxy and deletes it with the proxy; the
resource is the group's registration of targets. It exists while targets are registered:
create registers them (RegisterDBProxyTargets) and sets the pool, delete deregisters
them. Its physical ID is ``<DBProxyName>|<TargetGroupName>``, known before the create, so
a lost reply is found again by it; ``Ref`` is the group's ARN. A no-drift observe costs
DescribeDBProxyTargetGroups, DescribeDBProxyTargets and ListTagsForResource.
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds.base import Observation, Props
from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.listing import Listing, list_ids, pages
from reconciler.kinds.rds_common import tags_by_arn

_POOL = {"/ConnectionPoolConfigurationInfo": "ConnectionPoolConfig"}


class DBProxyTargetGroup(DeclaredKind):
    type_name = "AWS::RDS::DBProxyTargetGroup"
    managed_properties = frozenset({"DBProxyName", "TargetGroupName", "DBClusterIdentifiers",
                                    "ConnectionPoolConfigurationInfo", "Tags"})
    attributes_ref_is_id = False

    service, identifier = "rds", "DBProxyName"
    read_call = Call("DescribeDBProxyTargetGroups", result="TargetGroups[0]", renames=_POOL)
    # read() adds the registered clusters to the target group's answer.
    property_paths = {"DBClusterIdentifiers": "RegisteredClusters"}
    create_call = Call("RegisterDBProxyTargets")
    delete_call = Call("DeregisterDBProxyTargets")
    writers = {"ConnectionPoolConfigurationInfo": Call("ModifyDBProxyTargetGroup",
                                                       renames=_POOL),
               "DBClusterIdentifiers": "converge_clusters"}
    tag_calls = tags_by_arn("TargetGroupArn", listed=True)
    ref_attribute = "TargetGroupArn"
    gone_codes = ("DBProxyNotFoundFault", "DBProxyTargetGroupNotFoundFault")
    # A cluster still being created or changed cannot be registered yet.
    transient_codes = {"InvalidDBClusterStateFault": (), "InvalidDBProxyStateFault": ()}

    def physical_id(self, props: Props) -> str | None:
        proxy, group = props.get("DBProxyName"), props.get("TargetGroupName")
        ok = isinstance(proxy, str) and isinstance(group, str)
        return f"{proxy}|{group}" if ok else None

    def invoke(self, call: Call, physical_id: str | None, values: Props | None = None,
               operation: str | None = None, client: Any = None, reading: bool = False,
               ) -> dict[str, Any]:
        """Every call names the proxy and the group, which the physical ID joins."""
        if physical_id is None:
            return super().invoke(call, None, values, operation, client, reading)
        proxy, _, group = physical_id.partition("|")
        return super().invoke(Call(call.operation, {**call.args, "TargetGroupName": group},
                                   call.renames), proxy, values, operation, client, reading)

    def read(self, physical_id: str) -> dict[str, Any] | None:
        groups = self.invoke(self.read_call, physical_id, reading=True).get("TargetGroups")
        if not groups:
            return None
        clusters = self.registered_clusters(physical_id)
        if not clusters:
            return None  # nothing registered: the resource does not exist (see above)
        return {**groups[0], "RegisteredClusters": clusters}

    def registered_clusters(self, physical_id: str) -> list[str]:
        answer = self.invoke(Call("DescribeDBProxyTargets"), physical_id, reading=True)
        return sorted(t["RdsResourceId"] for t in answer.get("Targets", [])
                      if t.get("Type") == "TRACKED_CLUSTER")

    def converge_clusters(self, physical_id: str, values: Props,
                          observed: Observation | None) -> None:
        want = set(values.get("DBClusterIdentifiers") or [])
        have = set((observed.properties if observed else {}).get("DBClusterIdentifiers") or [])
        if have - want:
            self.invoke(self.delete_call, physical_id,
                        {"DBClusterIdentifiers": sorted(have - want)})
        if want - have:
            self.invoke(self.create_call, physical_id,
                        {"DBClusterIdentifiers": sorted(want - have)})

    def delete(self, physical_id: str, desired: Props) -> None:
        with self.gone_is_done():
            clusters = self.registered_clusters(physical_id)
            if clusters:
                self.invoke(self.delete_call, physical_id, {"DBClusterIdentifiers": clusters})

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        clusters = props.get("DBClusterIdentifiers")
        if clusters is None or (isinstance(clusters, list) and not clusters):
            return [("/DBClusterIdentifiers", "declare the Aurora cluster(s) the proxy "
                                              "connects to (DBInstanceIdentifiers are not "
                                              "managed yet)")]
        return []

    def list_physical_ids(self) -> list[str]:
        """The target group of every proxy (AWS makes one, "default", with the proxy)."""
        proxies = list_ids(self.aws, Listing("rds", "DescribeDBProxies",
                                             "DBProxies[].DBProxyName"))
        return [f"{proxy}|{group['TargetGroupName']}" for proxy in proxies
                for page in pages(self.client, "DescribeDBProxyTargetGroups",
                                  {"DBProxyName": proxy})
                for group in page.get("TargetGroups", ())]
