"""Several `reconciler run` processes of one owner on one DynamoDB table (the moto server
over HTTP, real bare git repositories): exactly one is active; SIGKILL it in the middle of a
reconcile (a failpoint kills it right after a create, before that create is recorded) and a
standby takes over, finishes the work, creates nothing twice and loses nothing."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from reconciler.aws.normalize import LOGICAL_ID_TAG, OWNER_TAG
from reconciler.cli import main
from tests.worker_harness import Remote, Worker, wait_until

STATE = "dynamodb://ha-state"
LEASE = "2s"
NETWORKS = [f"Net{i}" for i in range(1, 5)]
LOGS = [f"Logs{i}" for i in range(1, 4)]

BASE = """
Resources:
  Logs0: {Type: AWS::Logs::LogGroup, Properties: {RetentionInDays: 7}}
"""
GROWN = BASE + "".join(
    f"  {lid}: {{Type: AWS::EC2::VPC, Properties: {{CidrBlock: 10.{i}.0.0/16}}}}\n"
    for i, lid in enumerate(NETWORKS, start=1)) + "".join(
    f"  {lid}: {{Type: AWS::Logs::LogGroup, Properties: {{RetentionInDays: 14}}}}\n"
    for lid in LOGS)


@pytest.fixture
def remote(aws: object, tmp_path: Path) -> Remote:
    remote = Remote(tmp_path / "git")
    remote.push({"desired/tree.yaml": BASE}, "base")
    return remote


def _start(workers: list[Worker], remote: Remote, root: Path, env: dict[str, str] | None = None
           ) -> Worker:
    home = root / f"w{len(workers)}"
    home.mkdir()
    worker = Worker(remote, home / "state", "--state", STATE, "--work-dir", str(home / "work"),
                    "--lease-duration", LEASE, interval="30s", source_interval="1s", env=env)
    workers.append(worker)
    return worker


def _leader(worker: Worker) -> float | None:
    try:
        return worker.metric("reconciler_leader")
    except OSError:
        return None


def _roles(workers: list[Worker]) -> list[float | None]:
    return [_leader(w) for w in workers if w.process.poll() is None]


@pytest.mark.parametrize("count", [2, 3])
def test_a_standby_takes_over_from_a_killed_holder_and_finishes(
        remote: Remote, workers: list[Worker], tmp_path: Path, count: int) -> None:
    # The first takes the lease and dies right after creating Net3, before recording it.
    first = _start(workers, remote, tmp_path, env={"RECONCILER_FAILPOINTS": "after-create:Net3"})
    first.wait_ready()
    assert _leader(first) == 1 and first.status()["role"] == "active"
    standbys = [_start(workers, remote, tmp_path) for _ in range(count - 1)]
    for standby in standbys:
        wait_until(lambda s=standby: _leader(s) == 0 and s.get("/readyz")[0] == 503, 30, standby,
                   "a standby")
        code, body = standby.get("/readyz")
        assert body.decode().startswith("standby: the lease of owner reconciler is held by ")
        assert standby.status()["lease_holder"] == first.status()["worker_id"]
    assert sorted(_roles(workers)) == [0] * (count - 1) + [1]  # exactly one active

    revision = remote.push({"desired/tree.yaml": GROWN}, "grow")
    wait_until(lambda: first.process.poll() is not None, 60, what="the holder to die")
    assert first.process.returncode == -9  # SIGKILL, mid-reconcile

    new = wait_until(lambda: next((s for s in standbys if _leader(s) == 1), None), 30,
                     what="a standby to take over")
    wait_until(lambda: new.status()["revisions"]["last_applied_revision"] == revision, 60, new,
               "the new holder to apply the revision")
    wait_until(lambda: sorted(_roles(workers)) == [0] * (count - 2) + [1], 10,
               what="exactly one leader")
    status = new.status()
    assert status["role"] == "active" and status["lease_holder"] == status["worker_id"]
    assert {r["resource"] for r in status["resources"]} == {"Logs0", *NETWORKS, *LOGS}
    assert {r["status"] for r in status["resources"]} == {"InSync"}
    _assert_exactly_declared()
    assert _plan_exit_code(remote) == 0  # the next plan is clean


def _assert_exactly_declared() -> None:
    """One VPC per logical ID by ownership tags (a repeated create would be a second one), and
    every log group, nothing else."""
    vpcs = boto3.client("ec2").describe_vpcs(
        Filters=[{"Name": f"tag:{OWNER_TAG}", "Values": ["reconciler"]}])["Vpcs"]
    owned = sorted({t["Key"]: t["Value"] for t in v.get("Tags", [])}[LOGICAL_ID_TAG]
                   for v in vpcs)
    assert owned == NETWORKS
    groups = boto3.client("logs").describe_log_groups()["logGroups"]
    assert len(groups) == 1 + len(LOGS)
    assert all(g.get("retentionInDays") in (7, 14) for g in groups)


def _plan_exit_code(remote: Remote) -> int:
    from tests.worker_harness import git

    git(remote.work, "pull", "-q", "origin", "main")
    return main(["plan", str(remote.work / "desired"), "--state", STATE])


def test_apply_fails_naming_the_worker_that_holds_the_lease(
        remote: Remote, workers: list[Worker], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    worker = _start(workers, remote, tmp_path)
    worker.wait_ready()
    holder = worker.status()["worker_id"]
    code = main(["apply", str(remote.work / "desired"), "--state", STATE,
                 "--lease-duration", LEASE])
    err = capsys.readouterr().err
    assert code == 1
    assert f"is held by {holder}, which is alive" in err
    assert main(["plan", str(remote.work / "desired"), "--state", STATE]) == 0  # reads only


def test_a_clean_shutdown_hands_the_lease_over(
        remote: Remote, workers: list[Worker], tmp_path: Path) -> None:
    first = _start(workers, remote, tmp_path)
    first.wait_ready()
    second = _start(workers, remote, tmp_path)
    wait_until(lambda: _leader(second) == 0, 30, second, "a standby")
    assert first.terminate() == 0
    wait_until(lambda: _leader(second) == 1, 30, second, "the standby to take the lease")
    second.wait_ready()
    assert second.status()["role"] == "active"
