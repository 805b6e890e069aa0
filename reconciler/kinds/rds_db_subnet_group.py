"""AWS::RDS::DBSubnetGroup: the subnets (one per zone at least) a cluster's instances use.

A no-drift observe costs DescribeDBSubnetGroups and ListTagsForResource. Named, so a lost
create reply is found by name. ModifyDBSubnetGroup sets the description and the subnets
in one call, which always takes the subnet list. (moto's ModifyDBSubnetGroup deletes the
group: the update is tested with Stubber.)
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds.base import Observation, Props
from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.listing import Listing
from reconciler.kinds.rds_common import generated_identifier, tags_by_arn

_MODIFY = "modify_group"


class DBSubnetGroup(DeclaredKind):
    type_name = "AWS::RDS::DBSubnetGroup"
    listing = Listing("rds", "DescribeDBSubnetGroups",
                      "DBSubnetGroups[?DBSubnetGroupName != 'default'].DBSubnetGroupName")
    managed_properties = frozenset({"DBSubnetGroupName", "DBSubnetGroupDescription",
                                    "SubnetIds", "Tags"})

    service, identifier = "rds", "DBSubnetGroupName"
    read_call = Call("DescribeDBSubnetGroups", result="DBSubnetGroups[0]")
    property_paths = {"SubnetIds": "Subnets[].SubnetIdentifier"}
    create_call = Call("CreateDBSubnetGroup")
    delete_call = Call("DeleteDBSubnetGroup")
    writers = {"DBSubnetGroupDescription": _MODIFY, "SubnetIds": _MODIFY}
    tag_calls = tags_by_arn("DBSubnetGroupArn", listed=True)
    gone_codes = ("DBSubnetGroupNotFoundFault",)
    # Still used by a cluster that is being deleted: retried once it is gone.
    transient_codes = {"InvalidDBSubnetGroupStateFault": ()}

    def generated_name(self, logical_id: str, owner: str) -> Props:
        return {"DBSubnetGroupName": generated_identifier(logical_id, owner, limit=255)}

    def modify_group(self, physical_id: str, values: Props,
                     observed: Observation | None) -> dict[str, Any]:
        """ModifyDBSubnetGroup requires SubnetIds even when only the description changes."""
        current = observed.properties if observed is not None else {}
        args = {"SubnetIds": current.get("SubnetIds"), **values}
        return self.invoke(Call("ModifyDBSubnetGroup"), physical_id, args)
