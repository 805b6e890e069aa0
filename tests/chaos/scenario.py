"""The chaos runs, each from a seed: ``apply_run`` (repeated ``reconciler apply`` under AWS
faults, SIGKILLed at random AWS call counts, the emulator restarted empty mid-run) and
``worker_run`` (``reconciler run`` following a git remote that refuses, resets, hangs and is
force-pushed, under the same AWS faults, SIGKILLed and restarted). Each ends with the same
checks: AWS holds exactly the declared resources and the user's own, the state store opens
and ``reconciler status`` reads it, and the next plan, without faults, is clean."""

from __future__ import annotations

import json
import random
import sqlite3
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.chaos import tree
from tests.chaos.git_remote import GIT_FAULTS, OK, ChaosRemote
from tests.chaos.world import KILLED, World
from tests.faulty_proxy import FaultPlan

RATE = 0.3  # share of AWS calls given a fault (issue 10)


@dataclass
class RunReport:
    seed: int
    form: str  # "apply" or "worker"
    script: list[str] = field(default_factory=list)  # what was done, in order
    kills: int = 0
    emulator_restarts: int = 0
    aws_calls: int = 0
    aws_faults: Counter[str] = field(default_factory=Counter)
    git_faults: Counter[str] = field(default_factory=Counter)
    git_unanswered: int = 0  # fetch requests the hanging remote never answered
    source_fetch_errors: int = 0  # "source fetch failed" in the workers' logs
    pushes: int = 0
    force_pushes: int = 0
    exit_codes: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["aws_faults"], data["git_faults"] = dict(self.aws_faults), dict(self.git_faults)
        return data


def apply_run(seed: int, root: Path, rate: float = RATE, script: list[str] | None = None
              ) -> RunReport:
    """``script``: one entry per apply, ``apply`` with ``+kill`` and/or ``+restart`` (the
    default drawn from the seed: 2-4 applies, each killed with odds 3/4, a restart in half
    the runs)."""
    rng = random.Random(seed)
    report = RunReport(seed, "apply")
    started = time.monotonic()
    desired, state = root / "desired", root / "state"
    desired.mkdir(parents=True)
    (desired / "stack.yaml").write_text(tree.tree("r1"))
    with World(root, FaultPlan(rate, seed)) as world:
        script = report.script = script or _apply_script(rng)
        estimate = 30  # AWS calls of one apply (a first one makes about 30); learnt as it goes
        for attempt, step in enumerate(script):
            before = world.proxy.total
            at = before  # a restart first, then the kill: both within the apply's calls
            if "+restart" in step:
                at += rng.randint(1, estimate // 2)
                world.restart_at(at)
            if "+kill" in step:
                world.kill_at(at + rng.randint(1, estimate // 2))
            done = world.cli("apply", str(desired), "--state", str(state))
            report.exit_codes.append(done.returncode)
            world.clear_triggers()
            if done.returncode not in (0, 1, KILLED):
                report.failures.append(f"apply {attempt} exited {done.returncode} (a crash?):"
                                       f"\n{done.stdout[-2000:]}")
            estimate = max(estimate, world.proxy.total - before)
        world.faults.enabled = False
        _finish(world, report, desired, state, None)
    report.seconds = round(time.monotonic() - started, 1)
    return report


def _apply_script(rng: random.Random) -> list[str]:
    steps = ["apply+kill" if rng.random() < 0.75 else "apply" for _ in range(rng.randint(2, 4))]
    if rng.random() < 0.5:
        steps[rng.randrange(len(steps))] += "+restart"
    return steps


WORKER_EVENTS = ("push", "force-push", "git:refuse", "git:reset", "git:hang", "kill",
                 "restart")


def worker_run(seed: int, root: Path, rate: float = RATE, script: list[str] | None = None
               ) -> RunReport:
    """``script``: the events, of WORKER_EVENTS (the default: 4-7 drawn from the seed, git
    faults twice as likely as the others)."""
    rng = random.Random(seed)
    script = script or [rng.choice(WORKER_EVENTS + ("git", "git"))
                        for _ in range(rng.randint(4, 7))]
    report = RunReport(seed, "worker", script)
    started = time.monotonic()
    state = root / "state"
    remote = ChaosRemote(root / "git")
    label = "r1"
    remote.commit({"desired/stack.yaml": tree.tree(label)}, label)
    remote.push()
    try:
        with World(root, FaultPlan(rate, seed)) as world:
            worker = world.start_worker(remote.url, state)
            _wait(lambda: remote.requests > 0, 60)  # the worker is up and fetching
            for n, event in enumerate(script):
                if event == "push":
                    label = f"r{n + 2}"
                    remote.commit({"desired/stack.yaml": tree.tree(label)}, label)
                    remote.push()
                    report.pushes += 1
                elif event == "force-push":
                    label = f"rewritten{n + 2}"
                    remote.rewrite({"desired/stack.yaml": tree.tree(label)}, label)
                    report.force_pushes += 1
                elif event.startswith("git"):
                    fault = event.partition(":")[2] or rng.choice(GIT_FAULTS)
                    remote.set_mode(fault)
                    report.git_faults[fault] += 1
                    time.sleep(rng.uniform(2.2, 3.5))  # longer than --fetch-timeout (2 s)
                    remote.set_mode(OK)
                elif event == "kill":
                    world.kill_at(world.proxy.total + rng.randint(1, 40))
                    if _wait(lambda w=worker: w.poll() is not None, 30):
                        worker = world.start_worker(remote.url, state)
                    world.clear_triggers()
                elif event == "restart":
                    restarts = world.restarts
                    world.restart_at(world.proxy.total + rng.randint(1, 30))
                    _wait(lambda r=restarts: world.restarts > r, 30)
                else:
                    raise ValueError(f"unknown chaos event {event!r}")
                time.sleep(rng.uniform(0.2, 1.5))
                if worker.poll() is not None and worker.returncode != KILLED:
                    report.failures.append(f"worker exited {worker.returncode} on its own "
                                           f"after {event}")
                    worker = world.start_worker(remote.url, state)
            world.clear_triggers()
            world.faults.enabled = False
            tip = remote.tip()
            if not _wait(lambda: _applied(world, tip) and not tree.problems(world.endpoint,
                                                                           label), 120):
                report.failures.append(f"the worker did not converge on the tip {tip[:12]} "
                                       f"({label}) within 120 s after the faults stopped; "
                                       f"status: {_status(world)}")
            worker.terminate()
            try:
                code = worker.wait(30)
                if code != 0:
                    report.failures.append(f"worker exited {code} on SIGTERM")
            except Exception:
                report.failures.append("worker did not stop within 30 s of SIGTERM")
            report.git_unanswered = remote.hung
            report.source_fetch_errors = (root / "worker.log").read_text().count(
                '"source fetch failed"')
            _finish(world, report, remote.work / "desired", state, label, converge=False)
    finally:
        remote.close()
    report.seconds = round(time.monotonic() - started, 1)
    return report


def _finish(world: World, report: RunReport, desired: Path, state: Path, label: str | None,
            converge: bool = True) -> None:
    """The recovery run (for ``apply``) and the checks every run ends with."""
    report.kills, report.emulator_restarts = world.kills, world.restarts
    report.aws_calls, report.aws_faults = world.proxy.total, Counter(world.proxy.injected)
    if converge:
        done = world.cli("apply", str(desired), "--state", str(state), direct=True)
        if done.returncode != 0:
            report.failures.append(f"apply without faults exited {done.returncode}:\n"
                                   f"{done.stdout[-3000:]}")
    report.failures += tree.problems(world.endpoint, label)
    report.failures += _store_problems(state / "state.sqlite")
    status = world.cli("status", "--state", str(state), "--output", "json", direct=True)
    if status.returncode != 0:
        report.failures.append(f"status exited {status.returncode}:\n{status.stdout[-2000:]}")
    plan = world.cli("plan", str(desired), "--state", str(state), direct=True)
    if plan.returncode != 0:
        report.failures.append(f"the next plan is not clean (exit {plan.returncode}):\n"
                               f"{plan.stdout[-3000:]}")


def _store_problems(path: Path) -> list[str]:
    try:
        with sqlite3.connect(path) as db:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        return [f"the state store {path} does not open: {exc}"]
    return [] if verdict == "ok" else [f"the state store fails its integrity check: {verdict}"]


def _status(world: World) -> dict[str, Any] | str:
    try:
        with urllib.request.urlopen(world.worker_url + "/status", timeout=5) as response:
            data = json.loads(response.read())
            return {"revisions": data.get("revisions"), "last_run": data.get("last_run")}
    except Exception as exc:  # the worker is down or not answering: say so in the failure
        return f"unavailable ({exc})"


def _applied(world: World, tip: str) -> bool:
    status = _status(world)
    return isinstance(status, dict) and (status["revisions"] or {}).get(
        "last_applied_revision") == tip


def _wait(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False
