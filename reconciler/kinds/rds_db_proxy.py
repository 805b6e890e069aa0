"""AWS::RDS::DBProxy: RDS Proxy in front of Aurora, pooling Lambda's connections (ADR-009).

A no-drift observe costs DescribeDBProxies and ListTagsForResource; named, so a lost
CreateDBProxy reply is found by name. Pending while its Status is creating or modifying.
One ModifyDBProxy carries every change (it names the security groups ``SecurityGroups``);
moto does not implement it, so that path is tested with Stubber.
"""

from __future__ import annotations

from reconciler.kinds.base import Props, is_intrinsic
from reconciler.kinds.declared import Call
from reconciler.kinds.listing import Listing
from reconciler.kinds.rds_common import RdsStatusKind, tags_by_arn

_MODIFY = Call("ModifyDBProxy", renames={"/VpcSecurityGroupIds": "SecurityGroups"})


class DBProxy(RdsStatusKind):
    type_name = "AWS::RDS::DBProxy"
    listing = Listing("rds", "DescribeDBProxies", "DBProxies[].DBProxyName")
    managed_properties = frozenset({
        "DBProxyName", "EngineFamily", "Auth", "RoleArn", "VpcSubnetIds",
        "VpcSecurityGroupIds", "RequireTLS", "IdleClientTimeout", "DebugLogging", "Tags",
    })

    service, identifier = "rds", "DBProxyName"
    read_call = Call("DescribeDBProxies", result="DBProxies[0]")
    create_call = Call("CreateDBProxy")
    delete_call = Call("DeleteDBProxy")
    writers = dict.fromkeys(("Auth", "RoleArn", "VpcSecurityGroupIds", "RequireTLS",
                             "IdleClientTimeout", "DebugLogging"), _MODIFY)
    modified_result = "DBProxy"
    tag_calls = tags_by_arn("DBProxyArn", listed=True)
    gone_codes = ("DBProxyNotFoundFault",)
    transient_codes = {"InvalidDBProxyStateFault": ()}

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        """A SECRETS auth entry without its secret: AWS refuses it (moto does not)."""
        problems: list[tuple[str, str]] = []
        for index, auth in enumerate(props.get("Auth") or []):
            if isinstance(auth, dict) and not is_intrinsic(auth) \
                    and auth.get("AuthScheme", "SECRETS") == "SECRETS" and not auth.get(
                        "SecretArn"):
                problems.append((f"/Auth/{index}/SecretArn",
                                 "a SECRETS auth entry needs the SecretArn of its credentials"))
        return problems
