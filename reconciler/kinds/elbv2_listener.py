"""AWS::ElasticLoadBalancingV2::Listener: a port of a load balancer and its default actions.

A no-drift observe costs one DescribeListeners and one DescribeTags. Physical ID the
listener ARN. CreateListener takes no token and a listener has no name: a lost reply is
found by the ownership tags the create sets, listing every load balancer's listeners
(only after a failed create). Default actions: forward, redirect and fixed-response
(the authenticate actions are not managed yet: the loader refuses them).
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds.base import Observation, Props, is_intrinsic
from reconciler.kinds.declared import Call, DeclaredKind, owned_by
from reconciler.kinds.elbv2_common import ELBV2_TAGS, load_balancer_arns, tagged

_MODIFY = "modify_listener"
_MODIFIABLE = ("Port", "Protocol", "SslPolicy", "Certificates", "DefaultActions", "AlpnPolicy")
_ACTION_CONFIG = {"redirect": "RedirectConfig", "fixed-response": "FixedResponseConfig"}
_SECURE = frozenset({"HTTPS", "TLS"})


class Listener(DeclaredKind):
    type_name = "AWS::ElasticLoadBalancingV2::Listener"
    managed_properties = frozenset({
        "LoadBalancerArn", "Port", "Protocol", "SslPolicy", "Certificates", "DefaultActions",
        "AlpnPolicy", "Tags",
    })
    attributes_ref_is_id = False  # Ref is the ARN, which AWS makes
    # Beyond CloudFormation's handlers: find lists the load balancers to list their listeners.
    extra_permissions = frozenset({"elasticloadbalancing:DescribeLoadBalancers"})

    service, identifier = "elbv2", "ListenerArn"
    read_call = Call("DescribeListeners", id_member="ListenerArns", result="Listeners[0]")
    create_call = Call("CreateListener")
    created_id = "Listeners[0].ListenerArn"
    delete_call = Call("DeleteListener")
    gone_codes = ("ListenerNotFound", "LoadBalancerNotFound")
    writers = {p: _MODIFY for p in _MODIFIABLE}
    tag_calls = ELBV2_TAGS

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        """What AWS refuses and the local emulator accepts: an HTTPS or TLS listener without
        exactly one certificate, an action without its configuration."""
        problems: list[tuple[str, str]] = []
        protocol, certificates = props.get("Protocol"), props.get("Certificates")
        if protocol in _SECURE and not (isinstance(certificates, list)
                                        and len(certificates) == 1 or is_intrinsic(
                                            certificates)):
            problems.append(("/Certificates", f"an {protocol} listener needs exactly one "
                                              "certificate"))
        if isinstance(protocol, str) and protocol not in _SECURE and certificates \
                and not is_intrinsic(certificates):
            problems.append(("/Certificates", f"an {protocol} listener takes no certificate"))
        actions = props.get("DefaultActions")
        for i, action in enumerate(actions if isinstance(actions, list) else ()):
            problems += _action_problems(action, f"/DefaultActions/{i}")
        return problems

    def modify_listener(self, physical_id: str, values: Props, observed: Observation | None,
                        ) -> None:
        """One ModifyListener with the settings ``update`` passes."""
        self.invoke(Call("ModifyListener"), physical_id,
                    {k: v for k, v in values.items() if v is not None})

    def update(self, physical_id: str, desired: Props, observed: Observation,
               changed: frozenset[str]) -> None:
        # Every declared setting goes along: a protocol changed to HTTPS needs its
        # certificate and policy in the same call.
        if changed & frozenset(_MODIFIABLE):
            changed = changed | (frozenset(_MODIFIABLE) & frozenset(desired))
        super().update(physical_id, desired, observed, changed)

    def find(self, owner: str, logical_id: str) -> str | None:
        """A listener carrying our ownership tags, on any load balancer (after a lost create
        reply only: one DescribeListeners per load balancer, DescribeTags per 20)."""
        client = self.client
        arns = [str(listener["ListenerArn"]) for balancer in load_balancer_arns(client)
                for page in client.get_paginator("describe_listeners").paginate(
                    LoadBalancerArn=balancer)
                for listener in page.get("Listeners", ())]
        return next((arn for arn, tags in tagged(client, arns)
                     if owned_by(tags, owner, logical_id)), None)

    def list_physical_ids(self) -> list[str]:
        """Listeners of every load balancer: one DescribeListeners per balancer."""
        paginator = self.client.get_paginator("describe_listeners")
        return [str(listener["ListenerArn"]) for arn in load_balancer_arns(self.client)
                for page in paginator.paginate(LoadBalancerArn=arn)
                for listener in page.get("Listeners", ())]


def _action_problems(action: Any, path: str) -> list[tuple[str, str]]:
    if not isinstance(action, dict) or is_intrinsic(action.get("Type")):
        return []
    kind = action.get("Type")
    if kind == "forward":
        if "TargetGroupArn" not in action and "ForwardConfig" not in action:
            return [(path, "a forward action needs TargetGroupArn or ForwardConfig")]
        return []
    config = _ACTION_CONFIG.get(str(kind))
    if config is None:
        return [(f"{path}/Type", f"{kind} actions are not supported (forward, redirect, "
                                 "fixed-response are)")]
    if config not in action:
        return [(path, f"a {kind} action needs {config}")]
    return []
