"""Benchmark: a no-drift `reconciler plan` of network resources, and of the repository's desired/.

Two trees, each applied to a fresh moto server and then planned with nothing changed:

- ``network``: about N resources (whole VPCs of 26) of the EC2 kinds: per VPC an
  internet gateway and its attachment, five subnets (four over two zones), three route
  tables with two default routes and five associations, an EIP and a NAT gateway, three
  security groups with inline and standalone rules, and an S3 gateway endpoint;
- ``desired``: the repository's own desired/ (the Ryuzen reference stack).

Prints wall time, AWS calls per resource and peak RSS of the plan.

    python bench/plan_network.py            # network of 300, and desired/
    python bench/plan_network.py 600        # network of 600, and desired/
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from plan_noop import measure, report  # noqa: E402

from reconciler.aws.local import LocalAws  # noqa: E402

PER_VPC = 26


def vpc(k: int) -> str:
    """26 resources around one VPC, 10.k.0.0/16."""
    p = f"V{k}"
    subnets = "".join(f"""
  {p}Subnet{i}:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref {p}Vpc
      CidrBlock: 10.{k}.{i}.0/24
      AvailabilityZone: !Select [{i % 2}, !GetAZs '']
      MapPublicIpOnLaunch: false
  {p}Assoc{i}:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties:
      SubnetId: !Ref {p}Subnet{i}
      RouteTableId: !Ref {p}{'Public' if i < 2 else 'Private'}Routes""" for i in range(4))
    groups = "".join(f"""
  {p}Group{g}:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: bench group {g}
      VpcId: !Ref {p}Vpc
      SecurityGroupEgress: [{{IpProtocol: tcp, FromPort: 443, ToPort: 443,
                              CidrIp: 10.{k}.0.0/16}}]""" for g in range(3))
    rules = "".join(f"""
  {p}Rule{g}:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !GetAtt {p}Group{g + 1}.GroupId
      IpProtocol: tcp
      FromPort: 5432
      ToPort: 5432
      SourceSecurityGroupId: !GetAtt {p}Group{g}.GroupId""" for g in range(2))
    return f"""
  {p}Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.{k}.0.0/16
      EnableDnsHostnames: true
      EnableDnsSupport: true
      Tags: [{{Key: Name, Value: bench-{k}}}]
  {p}Igw:
    Type: AWS::EC2::InternetGateway
  {p}Attach:
    Type: AWS::EC2::VPCGatewayAttachment
    Properties: {{VpcId: !Ref {p}Vpc, InternetGatewayId: !Ref {p}Igw}}
  {p}PublicRoutes:
    Type: AWS::EC2::RouteTable
    Properties: {{VpcId: !Ref {p}Vpc}}
  {p}PrivateRoutes:
    Type: AWS::EC2::RouteTable
    Properties: {{VpcId: !Ref {p}Vpc}}
  {p}PublicDefault:
    Type: AWS::EC2::Route
    DependsOn: {p}Attach
    Properties:
      RouteTableId: !Ref {p}PublicRoutes
      DestinationCidrBlock: 0.0.0.0/0
      GatewayId: !Ref {p}Igw
  {p}Eip:
    Type: AWS::EC2::EIP
    Properties: {{Domain: vpc}}
  {p}Nat:
    Type: AWS::EC2::NatGateway
    DependsOn: {p}Attach
    Properties:
      SubnetId: !Ref {p}Subnet0
      AllocationId: !GetAtt {p}Eip.AllocationId
  {p}PrivateDefault:
    Type: AWS::EC2::Route
    Properties:
      RouteTableId: !Ref {p}PrivateRoutes
      DestinationCidrBlock: 0.0.0.0/0
      NatGatewayId: !Ref {p}Nat
  {p}S3Endpoint:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: !Ref {p}Vpc
      ServiceName: !Sub com.amazonaws.${{AWS::Region}}.s3
      VpcEndpointType: Gateway
      RouteTableIds: [!Ref {p}PrivateRoutes]
  {p}Spare:
    Type: AWS::EC2::RouteTable
    Properties: {{VpcId: !Ref {p}Vpc}}
  {p}SpareSubnet:
    Type: AWS::EC2::Subnet
    Properties: {{VpcId: !Ref {p}Vpc, CidrBlock: 10.{k}.9.0/24}}
  {p}SpareAssoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {{SubnetId: !Ref {p}SpareSubnet, RouteTableId: !Ref {p}Spare}}""" + (
        subnets + groups + rules + "\n")


def network(n: int) -> str:
    return "Resources:" + "".join(vpc(k) for k in range(max(1, round(n / PER_VPC))))


def run(name: str, desired: Path) -> dict[str, object]:
    with LocalAws(managed_policies=True) as server, tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        state = Path(tmp, "state")
        base = [sys.executable, "-m", "reconciler"]
        started = time.perf_counter()
        applied = subprocess.run([*base, "apply", str(desired), "--state", str(state),
                                  "--output", "json"], capture_output=True, text=True, env=env)
        apply_wall = time.perf_counter() - started
        if applied.returncode != 0:
            raise RuntimeError(applied.stdout[-3000:] + applied.stderr[-3000:])
        # The resources the conditions keep (desired/ has some for production only).
        resources = len(json.loads(applied.stdout)["changes"])
        plan = measure([*base, "plan", str(desired), "--state", str(state), "--stats",
                        "--output", "json"], env)
        server.stop()
    if plan["rc"] != 0:
        raise RuntimeError(f"{name}: the plan after apply was not clean (exit {plan['rc']})")
    return {"tree": name, "resources": resources, "apply_wall_s": round(apply_wall, 2),
            "plan_wall_s": plan["wall"],
            "plan_calls_per_resource": round(plan["calls"] / resources, 2),
            "plan_peak_rss_mb": round(plan["rss_mb"], 1)}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp, "desired")
        tree.mkdir()
        (tree / "network.yaml").write_text(network(n))
        results.append(run("network", tree))
    results.append(run("desired", HERE.parent / "desired"))
    report(results, ("tree", "resources", "apply_wall_s", "plan_wall_s",
                     "plan_calls_per_resource", "plan_peak_rss_mb"), "plan_network")


if __name__ == "__main__":
    main()
