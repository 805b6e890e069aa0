"""The repository's own desired/ (the Ryuzen reference stack) converges on the moto server
and the next plan is clean, as the README's first command promises."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.aws.local import LocalAws
from tests.harness import Stack

DESIRED = Path(__file__).resolve().parent.parent / "desired"


def test_the_reference_stack_converges_and_the_next_plan_is_clean(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A server of its own: the stack attaches AWS managed policies, which the session
    # server leaves out to keep its resets fast.
    with LocalAws(managed_policies=True):
        stack = Stack(tmp_path, capsys)
        state = str(stack.state)
        applied = stack.cli("apply", str(DESIRED), "--state", state, "--output", "json")
        assert applied.code == 0, applied.out + applied.err
        created = {c["resource"] for c in applied.json["changes"] if c["action"] == "create"}
        assert {"RyuzenVpc", "PrivateSubnetA", "NatGatewayB", "PrivateDefaultRouteB",
                "DatabaseFromProxy", "KmsEndpoint", "ToronTier1Cache",
                "CloudTrailLogBucket", "ToronAlb", "ToronHttpRedirectListener",
                "ToronWebAclAssociation", "ToronApiFunction", "ToronApiVersion",
                "ToronApiLiveAlias", "AuroraRotationFunction", "AuroraRotationPermission",
                "AuroraCredentialsRotation",
                "AuditTrail", "AuditTrailLogGroup", "AuditTrailLogsRole",
                "ToronDistribution", "RyuzenZone", "ToronApexRecord",
                "ToronApexRecordIpv6",
                "AuroraCluster", "AuroraWriter", "AuroraProxyTargetGroup"} <= created
        plan = stack.cli("plan", str(DESIRED), "--state", state, "--output", "json")
        assert plan.code == 0, [c for c in plan.json["changes"] if c["status"] != "InSync"]
