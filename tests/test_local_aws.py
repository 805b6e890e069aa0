"""`--local` next to a running worker: `run --local` records its emulator in the state
directory, and a command given `--local` and that state uses it while it answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.aws.local import RECORD_FILE, LocalAws, find_running, forget, record
from tests.worker_harness import Remote, Worker, free_port, wait_until

TREE = """
Resources:
  DataKey:
    Type: AWS::KMS::Key
    Properties:
      Description: local discovery test key
  DataKeyAlias:
    Type: AWS::KMS::Alias
    Properties:
      AliasName: alias/local-discovery
      TargetKeyId: !Ref DataKey
"""


def reconciler(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reconciler", *args], capture_output=True,
                          text=True, timeout=120)


def write_record(state: Path, **fields: object) -> None:
    state.mkdir(parents=True, exist_ok=True)
    (state / RECORD_FILE).write_text(json.dumps(fields))


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize("case", ["missing", "corrupt", "dead process", "silent endpoint"])
def test_a_record_that_does_not_answer_is_ignored(case: str, tmp_path: Path) -> None:
    state = tmp_path / "state"
    if case == "corrupt":
        state.mkdir()
        (state / RECORD_FILE).write_text("{not json")
    elif case == "dead process":
        write_record(state, endpoint="http://127.0.0.1:1", port=1, pid=dead_pid(),
                     region="us-east-1", started_by=dead_pid())
    elif case == "silent endpoint":
        port = free_port()  # nothing listens there
        write_record(state, endpoint=f"http://127.0.0.1:{port}", port=port, pid=os.getpid(),
                     region="us-east-1", started_by=os.getpid())
    assert find_running(state) is None


def test_record_find_and_forget(local_aws: LocalAws, tmp_path: Path) -> None:
    state = tmp_path / "state"
    path = record(local_aws, state)
    assert json.loads(path.read_text())["endpoint"] == local_aws.endpoint
    found = find_running(state)
    assert found is not None
    assert (found.endpoint, found.pid, found.started_by) == (local_aws.endpoint, local_aws.pid,
                                                            os.getpid())
    other = LocalAws(port=free_port())  # never started: not the recorded server
    forget(other, state)
    assert path.exists()
    forget(local_aws, state)
    assert not path.exists()


@pytest.fixture
def worker_box(tmp_path: Path) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        # SIGTERM first: a killed worker would leave its emulator running.
        try:
            worker.terminate(timeout=30)
        finally:
            worker.kill()


def test_plan_local_uses_the_running_workers_emulator(tmp_path: Path,
                                                      worker_box: list[Worker]) -> None:
    remote = Remote(tmp_path)
    remote.push({"desired/kms.yaml": TREE}, "a key and its alias")
    state = tmp_path / "state"
    worker = Worker(remote, state, "--local")
    worker_box.append(worker)
    worker.wait_ready(timeout=90)
    wait_until(lambda: {r["status"] for r in worker.status()["resources"]} == {"InSync"}, 30,
               worker, "the tree in sync")
    recorded = json.loads((state / RECORD_FILE).read_text())

    desired = str(remote.work / "desired")
    shared = reconciler("plan", desired, "--local", "--state", str(state), "--output", "json")
    assert shared.returncode == 0, shared.stdout + shared.stderr
    changes = json.loads(shared.stdout)["changes"]
    assert {(c["resource"], c["status"]) for c in changes} == {("DataKey", "InSync"),
                                                               ("DataKeyAlias", "InSync")}
    assert f"using {recorded['endpoint']}, the emulator of the worker" in shared.stderr
    assert "listening on" not in shared.stderr

    assert worker.terminate() == 0
    assert not (state / RECORD_FILE).exists(), "a clean exit removes the record"
    fresh = reconciler("plan", desired, "--local", "--state", str(state), "--output", "json")
    assert fresh.returncode == 2, fresh.stdout + fresh.stderr  # an empty emulator: all missing
    assert "local AWS (moto) listening on" in fresh.stderr
    assert {c["status"] for c in json.loads(fresh.stdout)["changes"]} == {"Missing"}


REGIONAL = """
Conditions:
  InVirginia: !Equals [!Ref "AWS::Region", us-east-1]
Resources:
  Key:
    Type: AWS::KMS::Key
    Condition: InVirginia
    Properties: {}
"""


def test_validate_local_uses_the_recorded_emulator_only_when_a_condition_needs_aws(
        local_aws: LocalAws, tmp_path: Path) -> None:
    state, tree = tmp_path / "state", tmp_path / "desired"
    tree.mkdir()
    (tree / "regional.yaml").write_text(REGIONAL)
    record(local_aws, state)
    result = reconciler("validate", str(tree), "--local", "--state", str(state))
    assert result.returncode == 0, result.stderr
    assert f"local AWS (moto): using {local_aws.endpoint}" in result.stderr
    assert "valid (1 resources in 1 files)" in result.stdout
    (tree / "regional.yaml").write_text(TREE)  # no pseudo parameter: no AWS at all
    result = reconciler("validate", str(tree), "--local", "--state", str(state))
    assert result.returncode == 0 and "local AWS" not in result.stderr
