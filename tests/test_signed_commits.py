"""--verify-commits: only a branch tip signed by a trusted key is applied. Real SSH keys made
by ssh-keygen, real signed commits, a real worker; unsigned and untrusted revisions are
treated as invalid ones (the last good revision stays in force, /status says why)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.worker_harness import Remote, Worker, git, wait_until


def bucket(name: str) -> str:
    return f"Resources:\n  B{name.replace('-', '')}:\n    Type: AWS::S3::Bucket\n" \
           f"    Properties: {{BucketName: {name}}}\n"


def _key(root: Path, name: str) -> Path:
    key = root / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
                   check=True)
    return key


def _commit(remote: Remote, files: dict[str, str], message: str, key: Path | None) -> str:
    for name, text in files.items():
        path = remote.work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(remote.work, "add", "-A")
    signing = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key}"] if key else []
    git(remote.work, *signing, "commit", *(["-S"] if key else []), "-m", message)
    git(remote.work, "push", "origin", "main")
    return git(remote.work, "rev-parse", "HEAD")


def _buckets() -> set[str]:
    return {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}


def test_only_revisions_signed_by_a_trusted_key_are_applied(aws: Any, tmp_path: Path) -> None:
    trusted, stranger = _key(tmp_path, "trusted"), _key(tmp_path, "stranger")
    signers = tmp_path / "allowed_signers"
    signers.write_text(f"test@example.com {(trusted.with_suffix('.pub')).read_text()}")
    remote = Remote(tmp_path)
    good = _commit(remote, {"desired/a.yaml": bucket("signed-one")}, "signed", trusted)
    worker = Worker(remote, tmp_path / "state", "--verify-commits", "--allowed-signers",
                    str(signers), interval="60s", source_interval="1s")
    try:
        worker.wait_ready()
        wait_until(lambda: worker.status()["revisions"]["last_applied_revision"] == good, 30,
                   worker, "the signed revision applied")
        assert "signed-one" in _buckets()

        for files, key, why in (({"desired/b.yaml": bucket("unsigned-two")}, None,
                                 "is not signed"),
                                ({"desired/c.yaml": bucket("stranger-three")}, stranger,
                                 "carries no trusted signature")):
            revision = _commit(remote, files, why, key)
            wait_until(lambda r=revision: worker.status()["revisions"][
                "last_attempted_revision"] == r, 30, worker, f"{why} attempted")
            status = worker.status()
            assert status["desired_valid"] is False
            assert any(why in e and revision in e for e in status["desired_errors"]), status
            assert worker.metric("reconciler_desired_valid") == 0
            assert status["revisions"]["last_applied_revision"] == good

        fixed = _commit(remote, {"desired/d.yaml": bucket("signed-four")}, "signed again",
                        trusted)
        wait_until(lambda: worker.status()["revisions"]["last_applied_revision"] == fixed, 30,
                   worker, "the next signed revision applied")
    finally:
        worker.terminate()
    # The signed tip carries the unsigned commits' files too: what is checked is the tip.
    assert {"signed-one", "signed-four"} <= _buckets()


@pytest.mark.parametrize(("extra", "message"), [
    (("--verify-commits",), "--verify-commits needs the trusted keys"),
    (("--allowed-signers", "x"), "take effect only with --verify-commits"),
    (("--verify-commits", "--allowed-signers", "/nonexistent"), "no such file"),
])
def test_misconfigured_trust_is_refused_at_start(tmp_path: Path, extra: tuple[str, ...],
                                                  message: str) -> None:
    done = subprocess.run([sys.executable, "-m", "reconciler", "run", "--repo", str(tmp_path),
                           "--state", str(tmp_path / "state"), *extra],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and message in done.stderr, done.stderr


@pytest.fixture
def gpg_home() -> Iterator[Path]:
    """A GnuPG home with one signing key. Short, in /tmp: gpg-agent's socket path must fit
    in a Unix socket name."""
    home = Path(tempfile.mkdtemp(prefix="g", dir="/tmp"))
    os.chmod(home, 0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key",
                    "Ops <ops@example.com>", "ed25519", "sign", "never"], env=env,
                   check=True, capture_output=True)
    yield home
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, capture_output=True)
    shutil.rmtree(home, ignore_errors=True)


def _gpg_signed(remote: Remote, home: Path, name: str) -> str:
    (remote.work / "desired").mkdir(parents=True, exist_ok=True)
    (remote.work / "desired" / "a.yaml").write_text(bucket(name))
    git(remote.work, "add", "-A")
    subprocess.run(["git", "-c", "user.name=Ops", "-c", "user.email=ops@example.com",
                    "commit", "-S", "-m", "gpg signed"], cwd=remote.work,
                   env={**os.environ, "GNUPGHOME": str(home)}, check=True,
                   capture_output=True)
    git(remote.work, "push", "origin", "main")
    return git(remote.work, "rev-parse", "HEAD")


def test_an_openpgp_signature_is_checked_against_the_gpg_home(aws: Any, tmp_path: Path,
                                                              gpg_home: Path) -> None:
    remote = Remote(tmp_path)
    signed = _gpg_signed(remote, gpg_home, "gpg-signed")
    worker = Worker(remote, tmp_path / "state", "--verify-commits", "--gpg-home",
                    str(gpg_home), interval="60s", source_interval="1s")
    try:
        worker.wait_ready()
        wait_until(lambda: worker.status()["revisions"]["last_applied_revision"] == signed,
                   30, worker, "the OpenPGP-signed revision applied")
    finally:
        worker.terminate()
    assert "gpg-signed" in _buckets()


def test_the_keyring_of_whoever_runs_the_worker_is_not_trusted(aws: Any, tmp_path: Path,
                                                               gpg_home: Path) -> None:
    """Only the keys given count: a signature by a key in the worker's own GNUPGHOME is not
    trusted when only SSH signers are configured."""
    signers = tmp_path / "allowed_signers"
    signers.write_text(f"ops@example.com {_key(tmp_path, 'ssh').with_suffix('.pub').read_text()}")
    remote = Remote(tmp_path)
    signed = _gpg_signed(remote, gpg_home, "gpg-untrusted")
    worker = Worker(remote, tmp_path / "state", "--verify-commits", "--allowed-signers",
                    str(signers), interval="60s", source_interval="1s",
                    env={"GNUPGHOME": str(gpg_home)})
    try:
        # Not ready ever: its only revision is refused (no reconcile has completed).
        wait_until(lambda: worker.status()["revisions"]["last_attempted_revision"] == signed,
                   30, worker, "the revision attempted")
        status = worker.status()
    finally:
        worker.terminate()
    assert status["desired_valid"] is False
    assert any("carries no trusted signature" in e for e in status["desired_errors"]), status
    assert "gpg-untrusted" not in _buckets()
