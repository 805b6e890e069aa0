"""The lease on the moto server's DynamoDB over HTTP. Each side's monotonic clock is a
counter the test moves (``Clock``), so "a full duration" is exact, not slept for: the
DynamoDB calls and their conditions are real."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from reconciler.aws.clients import AwsClients
from reconciler.errors import ReconcilerError
from reconciler.state.base import Fenced
from reconciler.state.dynamodb_store import DynamoStore
from reconciler.state.lease import Lease, acquire_for_command
from reconciler.state.lease_keeper import LeaseKeeper

TABLE = "dynamodb://leases"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(aws: Any) -> DynamoStore:
    return DynamoStore(TABLE, "prod")


def _lease(store: DynamoStore, clock: Clock, duration: float = 10.0) -> Lease:
    return Lease(store.client, store.table, store.owner, duration, clock=clock)


def test_take_renew_and_trust_by_the_holders_own_clock(store: DynamoStore) -> None:
    clock = Clock()
    lease = _lease(store, clock)
    assert lease.try_acquire() and lease.held and lease.version == 1
    assert lease.renew() and lease.version == 2
    clock.now += 10 - 2 - 0.01  # duration - margin, from the start of the renewal
    assert lease.trusted()
    clock.now += 0.02
    assert not lease.trusted()
    with pytest.raises(Fenced, match="no longer held by this process"):
        lease.check()


def test_a_standby_waits_a_full_duration_of_an_unchanged_version(store: DynamoStore) -> None:
    holder_clock, standby_clock = Clock(), Clock()
    standby_clock.now = 5_000_000.0  # another host: its clock has nothing to do with ours
    holder, standby = _lease(store, holder_clock), _lease(store, standby_clock)
    assert holder.try_acquire()
    assert not standby.try_acquire()  # first sight of version 1
    assert standby.seen_holder == holder.holder
    standby_clock.now += 9.9
    assert not standby.try_acquire()
    assert holder.renew()  # alive: the standby starts counting again
    standby_clock.now += 9.9
    assert not standby.try_acquire()  # version 2 first seen now
    standby_clock.now += 9.9
    assert not standby.try_acquire()
    standby_clock.now += 0.2
    assert standby.try_acquire() and standby.epoch == 2
    assert not holder.renew()  # a failed conditional renewal: deposed at once
    assert not holder.held and not holder.trusted()


def test_a_released_lease_is_taken_at_once(store: DynamoStore) -> None:
    a, b = _lease(store, Clock()), _lease(store, Clock())
    assert a.try_acquire() and not b.try_acquire()
    a.release()
    assert not a.held and b.try_acquire()


def test_a_longer_lease_of_the_holder_is_waited_for(store: DynamoStore) -> None:
    clock = Clock()
    assert _lease(store, Clock(), duration=60).try_acquire()
    standby = _lease(store, clock, duration=10)
    assert not standby.try_acquire()
    clock.now += 30
    assert not standby.try_acquire()
    clock.now += 30
    assert standby.try_acquire()


def test_a_deposed_holder_is_fenced_on_its_next_aws_call(store: DynamoStore) -> None:
    """The worker's clients run the lease check before every call: once deposed, the call
    raises Fenced and never reaches AWS (the bucket does not exist afterwards)."""
    holder_clock, standby_clock = Clock(), Clock()
    holder, standby = _lease(store, holder_clock), _lease(store, standby_clock)
    clients = AwsClients()
    clients.before_call(holder.check)
    assert holder.try_acquire()
    clients.client("s3").create_bucket(Bucket="made-while-holding")
    assert not standby.try_acquire()
    standby_clock.now += 10
    assert standby.try_acquire()  # the holder stalled (a long pause) and lost it
    holder_clock.now += 8.1  # its own clock: trust ran out before the standby took over
    with pytest.raises(Fenced):
        clients.client("s3").create_bucket(Bucket="made-after-losing")
    names = {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}
    assert names == {"made-while-holding"}


def test_a_deposed_holder_is_fenced_on_its_next_write(store: DynamoStore) -> None:
    holder_clock, standby_clock = Clock(), Clock()
    holder, standby = _lease(store, holder_clock), _lease(store, standby_clock)
    assert holder.try_acquire()
    store.fence_with(holder)
    run = store.start_run("run", "r1")
    assert not standby.try_acquire()
    standby_clock.now += 10
    assert standby.try_acquire()
    # Still trusted by its own clock (say the standby's clock ran fast): the write goes out,
    # and the ConditionCheck on the lease refuses it.
    with pytest.raises(Fenced, match="held by another process now"):
        store.record_change(run, "B", "AWS::S3::Bucket", "create", "success", None, [])
    assert store.changes(run) == [] and not holder.held


def test_renewals_do_not_fence_the_holders_own_writes(store: DynamoStore) -> None:
    lease = _lease(store, Clock())
    assert lease.try_acquire()
    store.fence_with(lease)
    for value in ("a", "b", "c"):
        assert lease.renew()
        store.set_meta("k", value)
    assert store.get_meta("k") == "c"


def test_the_keeper_stands_by_then_takes_over_and_reports_it(store: DynamoStore) -> None:
    holder_clock, clock = Clock(), Clock()
    holder = _lease(store, holder_clock)
    assert holder.try_acquire()
    events: list[str] = []
    keeper = LeaseKeeper(_lease(store, clock), on_acquired=lambda: events.append("acquired"),
                         on_lost=lambda: events.append("lost"), clock=clock)
    keeper.tick()
    clock.now += 10
    keeper.tick()
    assert events == ["acquired"] and keeper.lease.trusted()
    assert not holder.renew()
    clock.now += 10  # renewals failing (here: none made) until trust runs out
    keeper._next_renewal = float("inf")
    keeper.tick()
    assert events == ["acquired", "lost"]


def test_a_command_fails_naming_a_live_holder(store: DynamoStore) -> None:
    holder = _lease(store, Clock())
    assert holder.try_acquire()
    said: list[str] = []
    with pytest.raises(ReconcilerError, match=f"held by {holder.holder}, which is alive"):
        acquire_for_command(_lease(store, Clock()), said.append,
                            sleep=lambda _: holder.renew())
    assert f"held by {holder.holder}; waiting up to 10s" in said[0]


def test_a_command_takes_over_a_dead_holders_lease(store: DynamoStore) -> None:
    assert _lease(store, Clock()).try_acquire()  # then never renewed: dead
    clock = Clock()
    mine = _lease(store, clock)

    def sleep(seconds: float) -> None:
        clock.now += seconds

    said: list[str] = []
    acquire_for_command(mine, said.append, sleep=sleep)
    assert mine.held and "took over the lease" in said[-1]


def test_fenced_ends_the_run_instead_of_failing_one_resource(store: DynamoStore,
                                                             tmp_path: Any) -> None:
    """The engine on the DynamoDB store with the worker's lease guard on its clients: the
    lease is taken over after the first create; the next AWS call raises Fenced, which ends
    the run (it is not recorded as that resource's error while the others go on)."""
    from reconciler.engine import reconcile
    from reconciler.engine.context import EngineSettings
    from reconciler.kinds import registry
    from reconciler.runtime import build_kinds
    from reconciler.template.intrinsics import resolve
    from reconciler.template.loader import load_tree

    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "tree.yaml").write_text("Resources:\n" + "".join(
        f"  Logs{i}: {{Type: AWS::Logs::LogGroup, Properties: {{RetentionInDays: 7}}}}\n"
        for i in range(3)))
    template = load_tree(desired, {}, registry.catalog(), pseudo={"AWS::Region": "us-east-1"})
    holder_clock, standby_clock = Clock(), Clock()
    holder, standby = _lease(store, holder_clock), _lease(store, standby_clock)
    assert holder.try_acquire()
    store.fence_with(holder)
    clients = AwsClients()
    clients.before_call(holder.check)

    def on_change(change: Any, phase: str) -> None:
        if phase == "done" and not standby.held:  # the holder stalls; a standby takes over
            assert not standby.try_acquire()
            standby_clock.now += 10
            assert standby.try_acquire()
            holder_clock.now += 8.1

    with pytest.raises(Fenced):
        reconcile.apply(template, store, build_kinds(clients), resolve, {}, EngineSettings(),
                        listener=on_change)
    groups = boto3.client("logs").describe_log_groups()["logGroups"]
    assert len(groups) == 1  # nothing after the takeover reached AWS
    assert list(store.inventory()) == ["Logs0"]
    [run] = store.runs()
    assert [c["resource"] for c in store.changes(run["id"])] == ["Logs0"]
    assert run["result"] is None  # the run ends unfinished: the new holder's run finishes it
