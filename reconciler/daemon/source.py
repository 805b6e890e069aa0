"""The git source of ``reconciler run``: fetch the followed ref, check out one revision.

Layout under ``workdir``: ``repo/`` is the clone with its one work tree (detached HEAD at the
checked-out revision) and ``checkout.json`` records that revision for a restarted worker. A
broken clone is rebuilt in ``repo.new/`` and swapped in only once that fetch succeeded, so an
unreachable remote never takes away the checkout the worker keeps reconciling.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import git
import structlog

from reconciler.daemon.source_auth import Remote, fetch_env, missing_key_file, parse_remote, redact

log = structlog.get_logger(__name__)

_REFSPECS = ("+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*")
_SHA_PREFIX = re.compile(r"^[0-9a-f]{4,40}$")  # git does not resolve shorter abbreviations
_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
_CLONE, _STAGING, _DISCARDED, _RECORD = "repo", "repo.new", "repo.old", "checkout.json"


class SourceError(Exception):
    """A fetch failed; message says why and names the remote (never a token)."""


@dataclass(frozen=True)
class SourceRevision:
    revision: str  # full commit sha
    path: Path  # directory holding the desired tree of that revision (= checkout / subpath)


class _GitFailed(Exception):
    def __init__(self, stderr: str, timed_out: bool) -> None:
        super().__init__(stderr)
        self.stderr = stderr
        self.timed_out = timed_out


class GitSource:
    """One followed ``ref`` of ``repo``, cloned under ``workdir``."""

    def __init__(self, repo: str, ref: str, subpath: str, workdir: Path, *, timeout: float = 60.0,
                 token: str | None = None, ssh_key_file: str | None = None) -> None:
        self.remote: Remote = parse_remote(repo, token, ssh_key_file)
        self.ref = (ref or "main").strip()
        self.subpath = _relative(subpath)
        self.workdir = Path(workdir).absolute()
        self.timeout = timeout
        self._lock = threading.RLock()
        # Set when a local git command met a missing object: the next fetch re-clones.
        self._suspect = False

    @property
    def clone_dir(self) -> Path:
        return self.workdir / _CLONE

    def __repr__(self) -> str:
        return f"GitSource({self.remote.display!r}, ref={self.ref!r}, subpath={self.subpath!r})"

    # -- API -------------------------------------------------------------------------------

    def fetch(self) -> str:
        """Fetch the remote and return the commit sha ``ref`` points to now. Raises SourceError."""
        with self._lock:
            self._check_remote_exists()
            self.workdir.mkdir(parents=True, exist_ok=True)
            clone = self.clone_dir
            problem = "previous checkout failed" if self._suspect else self._damage(clone)
            if problem:
                self._reclone(problem)
            else:
                try:
                    self._fetch_into(clone)
                except SourceError:
                    problem = self._damage(clone)
                    if not problem:
                        raise
                    self._reclone(problem)
            return self._resolve(clone)

    def checkout(self, revision: str) -> SourceRevision:
        """Make the tree of ``revision`` available on disk and return where the desired path is."""
        with self._lock:
            clone = self.clone_dir
            if not (clone / ".git").is_dir():
                raise SourceError(f"no clone of {self.remote.display} yet: fetch first")
            sha = self._commit(clone, revision)
            if sha is None:
                raise SourceError(
                    f"revision {revision} is not in the clone of {self.remote.display}")
            # Without a record a crash half-way leaves current() None, never a mixed tree.
            self._record_path().unlink(missing_ok=True)
            try:
                self._check_out(clone, sha)
            except _GitFailed as failed:
                self._suspect = True
                raise SourceError(f"checkout of {sha} from {self.remote.display} failed: "
                                  f"{self._summary(failed)}") from None
            self._write_record(sha)
            return SourceRevision(sha, clone / self.subpath)

    def signature_problem(self, revision: str, allowed_signers: str | None,
                          gpg_home: str | None) -> str | None:
        """Why ``revision`` is not signed by a trusted key (None: it is). SSH signatures are
        checked against ``allowed_signers``, OpenPGP ones against the keys in ``gpg_home``;
        git tells them apart by the signature itself."""
        with self._lock:
            config = ["-c", f"gpg.ssh.allowedSignersFile={allowed_signers or os.devnull}"]
            # Only the given keys count: never the keyring of whoever runs the worker.
            no_keys = self.workdir / "no-gpg-keys"
            if not gpg_home:
                no_keys.mkdir(mode=0o700, parents=True, exist_ok=True)
            env = {"GNUPGHOME": gpg_home or str(no_keys)}
            status, out, err = self._run(self.clone_dir, [*config, "verify-commit", "--raw",
                                                          revision], env)
            if status == 0:
                return None
            text = " ".join(f"{out} {err}".split())
            if "no signature found" in text.lower() or not text:
                return f"revision {revision} is not signed"
            return f"revision {revision} carries no trusted signature: {text[:300]}"

    def current(self) -> SourceRevision | None:
        """What is checked out now (after a restart too), or None before the first checkout."""
        with self._lock:
            sha = self._read_record()
            if sha is None or not (self.clone_dir / ".git").is_dir():
                return None
            return SourceRevision(sha, self.clone_dir / self.subpath)

    # -- fetching --------------------------------------------------------------------------

    def _check_remote_exists(self) -> None:
        why = missing_key_file(self.remote)
        path = self.remote.local_path
        if why is None and path is not None and not path.is_dir():
            why = f"{path} does not exist or is not a directory"
        if why:
            raise SourceError(f"fetch of {self.remote.display} failed: {why}")

    def _fetch_into(self, clone: Path) -> None:
        _remove_stale_locks(clone)
        if self._git(clone, "config", "--get", "remote.origin.url", check=False) != self.remote.url:
            # --repo changed since the clone was made; the prune below drops the old branches.
            self._git(clone, "config", "remote.origin.url", self.remote.url)
        try:
            self._git(clone, "fetch", "--prune", "--no-tags", "--no-recurse-submodules",
                      "--quiet", "origin", *_REFSPECS, network=True)
        except _GitFailed as failed:
            raise SourceError(self._fetch_message(failed)) from None

    def _resolve(self, clone: Path) -> str:
        for candidate in self._candidates():
            sha = self._commit(clone, candidate)
            if sha:
                return sha
        pin = self.ref.lower()
        if _FULL_SHA.match(pin):
            # A pinned commit no branch or tag reaches: servers may still hand it out by id.
            try:
                self._git(clone, "fetch", "--no-tags", "--quiet", "origin", pin, network=True)
            except _GitFailed:
                pass
            else:
                sha = self._commit(clone, pin)
                if sha:
                    return sha
        what = "commit" if _SHA_PREFIX.match(pin) else "branch"
        raise SourceError(f"{what} {self.ref} not found on remote {self.remote.display} "
                          "(no branch, tag or commit of that name)")

    def _candidates(self) -> list[str]:
        ref = self.ref
        if ref.startswith("refs/heads/"):
            return ["refs/remotes/origin/" + ref.removeprefix("refs/heads/")]
        if ref.startswith("refs/"):
            return [ref]
        found = [f"refs/remotes/origin/{ref}", f"refs/tags/{ref}"]
        return found + [ref.lower()] if _SHA_PREFIX.match(ref.lower()) else found

    def _fetch_message(self, failed: _GitFailed) -> str:
        if failed.timed_out:
            return f"fetch of {self.remote.display} timed out after {self.timeout:g}s"
        return f"fetch of {self.remote.display} failed: {self._summary(failed)}"

    def _summary(self, failed: _GitFailed) -> str:
        lines = [ln.strip() for ln in failed.stderr.splitlines()
                 if ln.strip() and not ln.startswith("hint:")]
        # The cause is the last fatal/error line and what led to it (an ssh or curl message);
        # what follows it is boilerplate ("Please make sure you have the correct access...").
        last = max((i for i, ln in enumerate(lines) if ln.startswith(("fatal:", "error:"))),
                   default=len(lines) - 1)
        return redact("; ".join(lines[max(0, last - 2):last + 1]) or "git exited with an error",
                      self.remote)

    # -- clone health and rebuilding -------------------------------------------------------

    def _damage(self, clone: Path) -> str | None:
        """Why ``clone`` cannot be trusted, or None. A fetch does not notice missing objects
        behind refs it already has, so they are checked here first."""
        head_file = clone / ".git" / "HEAD"
        if not head_file.is_file():
            return "no clone" if not clone.exists() else "not a git repository"
        try:
            # %(objecttype) reads every ref's object, so a missing one fails this command.
            self._git(clone, "for-each-ref", "--format=%(objecttype)")
            head = head_file.read_text(errors="replace").strip()
            if not head.startswith("ref:"):
                self._git(clone, "rev-parse", "--verify", "--quiet", "HEAD^{tree}")
        except _GitFailed as failed:
            return self._summary(failed)
        return None

    def _reclone(self, reason: str) -> None:
        fresh, old = self.workdir / _STAGING, self.workdir / _DISCARDED
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
        had_clone = self.clone_dir.exists()
        if had_clone:
            log.warning("source.reclone", remote=self.remote.display, reason=reason)
        fresh.mkdir(parents=True)
        try:
            git.Repo.init(fresh)
            self._git(fresh, "remote", "add", "origin", self.remote.url)
            # gc inside a bounded fetch must not fork into the background and outlive it.
            self._git(fresh, "config", "gc.autoDetach", "false")
            self._fetch_into(fresh)
            kept = self._read_record()
            if kept and self._commit(fresh, kept):
                self._check_out(fresh, kept)
            else:
                self._record_path().unlink(missing_ok=True)
        except (_GitFailed, git.GitError) as failed:
            shutil.rmtree(fresh, ignore_errors=True)
            why = self._summary(failed) if isinstance(failed, _GitFailed) else str(failed)
            raise SourceError(f"clone of {self.remote.display} failed: {why}") from None
        except BaseException:
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        if had_clone:
            os.replace(self.clone_dir, old)
        os.replace(fresh, self.clone_dir)
        shutil.rmtree(old, ignore_errors=True)
        self._suspect = False

    # -- checkout and its record -----------------------------------------------------------

    def _check_out(self, clone: Path, sha: str) -> None:
        _remove_stale_locks(clone)
        self._git(clone, "checkout", "--force", "--detach", "--quiet", sha)
        self._git(clone, "reset", "--hard", "--quiet", sha)
        # -x drops ignored files too, -ff nested repositories: nothing local leaks into the tree.
        self._git(clone, "clean", "-ffdxq")

    def _commit(self, clone: Path, name: str) -> str | None:
        sha = self._git(clone, "rev-parse", "--verify", "--quiet", "--end-of-options",
                        f"{name}^{{commit}}", check=False)
        if not _FULL_SHA.match(sha):
            return None
        if _SHA_PREFIX.match(name) and not sha.startswith(name):
            return None  # a ref that happens to look like a sha is not that commit
        return sha

    def _record_path(self) -> Path:
        return self.workdir / _RECORD

    def _read_record(self) -> str | None:
        try:
            sha = json.loads(self._record_path().read_text()).get("revision")
        except (OSError, ValueError, AttributeError):
            return None
        return sha if isinstance(sha, str) and _FULL_SHA.match(sha) else None

    def _write_record(self, sha: str) -> None:
        tmp = self._record_path().with_suffix(".tmp")
        tmp.write_text(json.dumps({"revision": sha, "remote": self.remote.display}) + "\n")
        os.replace(tmp, self._record_path())  # atomic: a reader sees the old or the new one

    # -- running git -----------------------------------------------------------------------

    def _git(self, clone: Path, *args: str, network: bool = False, check: bool = True) -> str:
        env = fetch_env(self.remote, self.timeout) if network else {}
        status, out, err = self._run(clone, list(args), env, network)
        if status != 0 and check:
            timed_out = status == -signal.SIGKILL or str(err).startswith("Timeout:")
            raise _GitFailed(str(err), timed_out)
        return str(out).strip() if status == 0 else ""

    def _run(self, clone: Path, args: list[str], env: dict[str, str],
             network: bool = False) -> tuple[int, str, str]:
        # Pinned git dir: a broken .git must fail, not let git find an enclosing repository.
        env = {"GIT_DIR": str(clone / ".git"), "GIT_WORK_TREE": str(clone),
               "GIT_CEILING_DIRECTORIES": str(clone.parent), **env}
        status, out, err = git.Git(str(clone)).execute(
            ["git", *args], env=env, with_extended_output=True, with_exceptions=False,
            kill_after_timeout=self.timeout if network else None)
        return int(status or 0), str(out), str(err)


def _relative(subpath: str) -> str:
    """``subpath`` as a path inside the repository; escaping it is a configuration error."""
    path = PurePosixPath((subpath or ".").replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        raise ValueError(f"path {subpath!r} must stay inside the repository")
    return str(path)


def _remove_stale_locks(clone: Path) -> None:
    # Only this source uses the clone, so a lock file is left over from a killed git.
    gitdir = clone / ".git"
    for lock in [*gitdir.glob("*.lock"), *gitdir.glob("refs/**/*.lock")]:
        lock.unlink(missing_ok=True)
