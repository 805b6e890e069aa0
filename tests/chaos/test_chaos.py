"""The chaos suite's short form (the long one: bench/chaos.py): two seeded runs, each with a
moto server of its own over HTTP behind the fault-injecting proxy (30 % of AWS calls faulted),
the reconciler as real subprocesses, SIGKILLed at AWS call counts, a real git remote that
refuses, hangs and is force-pushed. Each run must end with exactly the declared resources in
AWS (the user's own untouched), a state store that opens, and a clean plan."""

from __future__ import annotations

from pathlib import Path

from tests.chaos.scenario import apply_run, worker_run


def test_apply_killed_and_the_emulator_restarted_under_aws_faults_converges(tmp_path: Path
                                                                             ) -> None:
    report = apply_run(7, tmp_path, script=["apply+restart+kill", "apply+kill"])

    assert report.failures == [], "\n".join(report.failures)
    assert report.kills >= 1 and report.emulator_restarts == 1, report
    assert sum(report.aws_faults.values()) >= 5 and len(report.aws_faults) >= 3, report


def test_the_worker_through_git_and_aws_faults_kills_and_a_force_push_follows_the_tip(
        tmp_path: Path) -> None:
    report = worker_run(8, tmp_path, script=["git:hang", "force-push", "kill", "git:refuse"])

    assert report.failures == [], "\n".join(report.failures)
    assert report.kills == 1, report
    # The worker felt a git fault (each lasts a few seconds: on a loaded machine a worker
    # just restarted after the kill may not fetch within the refusal's window).
    assert report.source_fetch_errors >= 1, report
    assert report.git_unanswered >= 1, report
    assert sum(report.aws_faults.values()) >= 10, report
