"""The git source against real repositories in tmp_path: a bare "remote" and a working clone
that commits and pushes. Only ssh is faked (no ssh server can run here)."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from reconciler.daemon.source import GitSource, SourceError, SourceRevision
from reconciler.daemon.source_auth import fetch_env, parse_remote, ssh_command
from tests.git_http import answer_with_git

GIT_ID = ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"]


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(["git", *GIT_ID, *args], cwd=cwd, check=True, capture_output=True,
                          text=True, env=env)
    return done.stdout.strip()


class Upstream:
    """A bare remote plus the working clone a developer pushes from."""

    def __init__(self, root: Path) -> None:
        self.bare = root / "remote.git"
        self.work = root / "dev"
        self.bare.mkdir(parents=True)
        git(self.bare, "init", "--bare", "--quiet")
        self.work.mkdir()
        git(self.work, "init", "--quiet")
        git(self.work, "remote", "add", "origin", str(self.bare))

    def commit(self, files: dict[str, str | None], message: str = "change") -> str:
        for name, text in files.items():
            path = self.work / name
            if text is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        git(self.work, "add", "-A")
        git(self.work, "commit", "--quiet", "--allow-empty", "-m", message)
        return git(self.work, "rev-parse", "HEAD")

    def push(self, *refs: str, force: bool = False) -> None:
        git(self.work, "push", "--quiet", *(["--force"] if force else []), "origin",
            *(refs or ("HEAD:refs/heads/main",)))


@pytest.fixture
def upstream(tmp_path: Path) -> Upstream:
    return Upstream(tmp_path)


def source(upstream: Upstream, tmp_path: Path, ref: str = "main", **kw: object) -> GitSource:
    return GitSource(str(upstream.bare), ref, "desired", tmp_path / "state" / "source",
                     timeout=5, **kw)  # type: ignore[arg-type]


def files_under(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): p.read_text() for p in sorted(path.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(path).parts}


# -- following a branch ----------------------------------------------------------------------


def test_first_fetch_and_checkout_give_the_pushed_files_under_the_subpath(upstream, tmp_path):
    sha = upstream.commit({"desired/a.yaml": "A: 1\n", "desired/sub/b.yaml": "B: 2\n",
                           "README.md": "outside the desired path\n"})
    upstream.push()
    src = source(upstream, tmp_path)
    assert src.current() is None

    assert src.fetch() == sha
    got = src.checkout(sha)

    assert got == SourceRevision(sha, tmp_path / "state" / "source" / "repo" / "desired")
    assert files_under(got.path) == {"a.yaml": "A: 1\n", "sub/b.yaml": "B: 2\n"}
    assert git(got.path, "rev-parse", "HEAD") == sha  # detached at the revision
    assert src.current() == got


def test_a_new_push_is_seen_by_the_next_fetch_and_replaces_the_tree(upstream, tmp_path):
    first = upstream.commit({"desired/a.yaml": "A: 1\n", "desired/old.yaml": "x\n"})
    upstream.push()
    src = source(upstream, tmp_path)
    src.checkout(src.fetch())

    second = upstream.commit({"desired/a.yaml": "A: 2\n", "desired/old.yaml": None})
    upstream.push()

    assert src.fetch() == second != first
    assert files_under(src.checkout(second).path) == {"a.yaml": "A: 2\n"}
    assert src.current().revision == second


def test_checkout_discards_local_edits_untracked_and_ignored_files(upstream, tmp_path):
    sha = upstream.commit({"desired/a.yaml": "A: 1\n", ".gitignore": "*.tmp\n"})
    upstream.push()
    src = source(upstream, tmp_path)
    path = src.checkout(src.fetch()).path
    (path / "a.yaml").write_text("edited by hand\n")
    (path / "extra.yaml").write_text("Resources: {}\n")
    (path / "scratch.tmp").write_text("ignored\n")
    (path / "nested").mkdir()
    git(path / "nested", "init", "--quiet")  # even a nested repository goes

    assert files_under(src.checkout(sha).path) == {"a.yaml": "A: 1\n"}
    assert not (path / "nested").exists()


@pytest.mark.parametrize("kind", ["annotated tag", "lightweight tag", "full sha", "short sha",
                                  "refs/tags/ form"])
def test_a_tag_or_pinned_commit_stays_put_while_main_moves(upstream, tmp_path, kind):
    pinned = upstream.commit({"desired/a.yaml": "v1\n"})
    if kind == "annotated tag":
        git(upstream.work, "tag", "-a", "-m", "release", "v1")
    elif kind != "full sha" and kind != "short sha":
        git(upstream.work, "tag", "v1")
    upstream.push("HEAD:refs/heads/main", "--tags")
    ref = {"annotated tag": "v1", "lightweight tag": "v1", "full sha": pinned,
           "short sha": pinned[:10], "refs/tags/ form": "refs/tags/v1"}[kind]
    src = source(upstream, tmp_path, ref=ref)
    assert src.fetch() == pinned

    upstream.commit({"desired/a.yaml": "v2\n"})
    upstream.push()

    assert src.fetch() == pinned  # the tag is peeled to its commit, never the tag object
    assert files_under(src.checkout(pinned).path) == {"a.yaml": "v1\n"}


def test_a_moved_tag_is_followed(upstream, tmp_path):
    upstream.commit({"desired/a.yaml": "v1\n"})
    git(upstream.work, "tag", "stable")
    upstream.push("HEAD:refs/heads/main", "--tags")
    src = source(upstream, tmp_path, ref="stable")
    src.fetch()
    newer = upstream.commit({"desired/a.yaml": "v2\n"})
    git(upstream.work, "tag", "--force", "stable")
    upstream.push("HEAD:refs/heads/main", "refs/tags/stable", force=True)

    assert src.fetch() == newer


def test_a_force_push_rewriting_the_branch_is_fetched(upstream, tmp_path):
    base = upstream.commit({"desired/a.yaml": "base\n"})
    upstream.commit({"desired/a.yaml": "bad\n"})
    upstream.push()
    src = source(upstream, tmp_path)
    src.checkout(src.fetch())

    git(upstream.work, "reset", "--hard", "--quiet", base)
    rewritten = upstream.commit({"desired/a.yaml": "fixed\n"}, "rewrite")
    upstream.push(force=True)

    assert src.fetch() == rewritten
    assert files_under(src.checkout(rewritten).path) == {"a.yaml": "fixed\n"}


def test_a_deleted_branch_is_an_error_and_the_last_checkout_stays(upstream, tmp_path):
    upstream.commit({"desired/a.yaml": "A\n"})
    upstream.push("HEAD:refs/heads/main", "HEAD:refs/heads/feature")
    src = source(upstream, tmp_path, ref="feature")
    kept = src.checkout(src.fetch())

    upstream.push(":refs/heads/feature")

    with pytest.raises(SourceError, match=f"branch feature not found on remote {upstream.bare}"):
        src.fetch()
    assert src.current() == kept
    assert files_under(kept.path) == {"a.yaml": "A\n"}


def test_an_unknown_ref_or_commit_is_an_error(upstream, tmp_path):
    upstream.commit({"desired/a.yaml": "A\n"})
    upstream.push()
    with pytest.raises(SourceError, match="branch nope not found on remote"):
        source(upstream, tmp_path, ref="nope").fetch()
    with pytest.raises(SourceError, match="commit deadbeef not found on remote"):
        source(upstream, tmp_path, ref="deadbeef").fetch()
    src = source(upstream, tmp_path)
    src.fetch()
    with pytest.raises(SourceError, match="revision 0{40} is not in the clone"):
        src.checkout("0" * 40)


# -- remotes of every kind -------------------------------------------------------------------


@pytest.mark.parametrize("form", ["file url", "relative path", "non-bare repository"])
def test_remote_forms(upstream, tmp_path, monkeypatch, form):
    sha = upstream.commit({"desired/a.yaml": "A\n"})
    upstream.push()
    monkeypatch.chdir(tmp_path)
    repo = {"file url": upstream.bare.as_uri(), "relative path": "remote.git",
            "non-bare repository": str(upstream.work)}[form]
    src = GitSource(repo, "main", "desired", tmp_path / "wd", timeout=5)
    monkeypatch.chdir("/")  # a relative path was resolved when the source was made

    assert src.fetch() == sha
    assert files_under(src.checkout(sha).path) == {"a.yaml": "A\n"}


def test_a_changed_repository_url_is_followed_on_the_same_workdir(upstream, tmp_path):
    upstream.commit({"desired/a.yaml": "A\n"})
    upstream.push()
    source(upstream, tmp_path).fetch()
    other = Upstream(tmp_path / "other")
    sha = other.commit({"desired/b.yaml": "B\n"})
    other.push()

    moved = GitSource(str(other.bare), "main", "desired", tmp_path / "state" / "source")
    assert moved.fetch() == sha
    assert files_under(moved.checkout(sha).path) == {"b.yaml": "B\n"}


def test_a_subpath_missing_in_the_revision_is_returned_not_raised(upstream, tmp_path):
    sha = upstream.commit({"other/a.yaml": "A\n"})
    upstream.push()
    src = source(upstream, tmp_path)
    got = src.checkout(src.fetch())
    assert got.revision == sha and got.path.name == "desired" and not got.path.exists()


@pytest.mark.parametrize("subpath", ["/etc", "../outside", "desired/../../x"])
def test_a_subpath_outside_the_repository_is_refused(tmp_path, subpath):
    with pytest.raises(ValueError, match="inside the repository"):
        GitSource(str(tmp_path), "main", subpath, tmp_path / "wd")


@pytest.mark.parametrize("repo, kind, url", [
    ("https://github.com/org/infra.git", "https", "https://github.com/org/infra.git"),
    ("https://oauth2:glpat-x@gitlab.example/org/r.git", "https", "https://oauth2@gitlab.example/org/r.git"),
    ("ssh://git@host:2222/org/r.git", "ssh", "ssh://git@host:2222/org/r.git"),
    ("git@github.com:org/infra.git", "ssh", "git@github.com:org/infra.git"),
    ("file:///srv/infra.git", "file", "file:///srv/infra.git"),
    ("/srv/infra.git", "local", "/srv/infra.git"),
    ("srv/a:b", "local", str(Path.cwd() / "srv/a:b")),  # a slash before the colon: a path
])
def test_remote_kinds_and_config_urls(repo, kind, url):
    remote = parse_remote(repo)
    assert (remote.kind, remote.url, remote.display) == (kind, url, url)


# -- failures and recovery -------------------------------------------------------------------


def test_a_moved_remote_directory_fails_clearly_then_recovers(upstream, tmp_path):
    first = upstream.commit({"desired/a.yaml": "A\n"})
    upstream.push()
    src = source(upstream, tmp_path)
    kept = src.checkout(src.fetch())
    upstream.bare.rename(tmp_path / "renamed.git")

    with pytest.raises(SourceError, match=f"fetch of {upstream.bare} failed: .*does not exist"):
        src.fetch()
    assert src.current() == kept and files_under(kept.path) == {"a.yaml": "A\n"}

    (tmp_path / "renamed.git").rename(upstream.bare)
    second = upstream.commit({"desired/a.yaml": "B\n"})
    upstream.push()
    assert src.fetch() == second != first


def test_a_refused_connection_fails_clearly_and_keeps_the_checkout(upstream, tmp_path):
    upstream.commit({"desired/a.yaml": "A\n"})
    upstream.push()
    workdir = tmp_path / "state" / "source"
    kept = source(upstream, tmp_path).checkout(source(upstream, tmp_path).fetch())

    down = GitSource("http://127.0.0.1:9/x.git", "main", "desired", workdir, timeout=5)
    with pytest.raises(SourceError) as caught:
        down.fetch()

    assert str(caught.value).startswith("fetch of http://127.0.0.1:9/x.git failed: ")
    assert "127.0.0.1 port 9" in str(caught.value)  # git's own reason is kept
    assert down.current() == kept and files_under(kept.path) == {"a.yaml": "A\n"}


def test_a_hung_remote_is_cut_off_by_the_timeout(tmp_path):
    with socket.socket() as listener:  # accepts connections in the kernel, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        src = GitSource(f"http://127.0.0.1:{port}/x.git", "main", ".", tmp_path, timeout=1.5)
        started = time.monotonic()
        with pytest.raises(SourceError, match=r"timed out after 1.5s"):
            src.fetch()
    assert time.monotonic() - started < 15


def corrupt_objects(clone: Path) -> None:
    for entry in (clone / ".git" / "objects").iterdir():
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        if entry.name in ("info", "pack"):
            entry.mkdir()


CORRUPTIONS = {
    "objects deleted": corrupt_objects,
    "garbage HEAD": lambda clone: (clone / ".git" / "HEAD").write_text("garbage\n"),
    "no .git": lambda clone: shutil.rmtree(clone / ".git"),
    "ref to a missing object": lambda clone: (
        clone / ".git" / "refs" / "remotes" / "origin" / "main").write_text("1" * 40 + "\n"),
}


@pytest.mark.parametrize("corrupt", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_a_corrupt_clone_is_detected_and_recloned(upstream, tmp_path, corrupt):
    sha = upstream.commit({"desired/a.yaml": "A\n"})
    upstream.push()
    src = source(upstream, tmp_path)
    src.checkout(src.fetch())
    corrupt(src.clone_dir)

    assert src.fetch() == sha
    # The clone was rebuilt with the last revision checked out again.
    assert src.current() == SourceRevision(sha, src.clone_dir / "desired")
    assert git(src.clone_dir, "fsck", "--no-progress") == ""
    newer = upstream.commit({"desired/a.yaml": "B\n"})
    upstream.push()
    assert src.fetch() == newer
    assert files_under(src.checkout(newer).path) == {"a.yaml": "B\n"}


def test_a_checkout_hitting_a_missing_object_fails_and_the_next_fetch_reclones(upstream,
                                                                               tmp_path):
    upstream.commit({"desired/a.yaml": "A\n"})
    upstream.push()
    src = source(upstream, tmp_path)
    src.checkout(src.fetch())
    newer = upstream.commit({"desired/b.yaml": "B\n"})
    upstream.push()
    assert src.fetch() == newer
    blob = git(src.clone_dir, "rev-parse", f"{newer}:desired/b.yaml")
    (src.clone_dir / ".git" / "objects" / blob[:2] / blob[2:]).unlink()  # refs still look fine

    with pytest.raises(SourceError, match=f"checkout of {newer} from {upstream.bare} failed"):
        src.checkout(newer)
    assert src.current() is None  # a half-updated tree is not reported as a revision

    assert src.fetch() == newer
    assert files_under(src.checkout(newer).path) == {"a.yaml": "A\n", "b.yaml": "B\n"}


def test_a_corrupt_clone_with_the_remote_down_keeps_the_tree_until_it_is_back(upstream, tmp_path):
    sha = upstream.commit({"desired/a.yaml": "A\n"})
    upstream.push()
    src = source(upstream, tmp_path)
    kept = src.checkout(src.fetch())
    corrupt_objects(src.clone_dir)
    upstream.bare.rename(tmp_path / "away.git")

    with pytest.raises(SourceError, match="does not exist"):
        src.fetch()
    assert files_under(kept.path) == {"a.yaml": "A\n"}  # the worker keeps reconciling these

    (tmp_path / "away.git").rename(upstream.bare)
    assert src.fetch() == sha
    assert src.current() == kept


def test_a_broken_clone_inside_another_repository_never_touches_that_repository(upstream,
                                                                                 tmp_path):
    sha = upstream.commit({"desired/a.yaml": "A\n"})
    upstream.push()
    outer = tmp_path / "project"  # e.g. the operator runs the worker inside their checkout
    outer.mkdir()
    git(outer, "init", "--quiet")
    (outer / "tracked.txt").write_text("committed\n")
    git(outer, "add", "tracked.txt")
    git(outer, "commit", "--quiet", "-m", "outer")
    outer_head = git(outer, "rev-parse", "HEAD")
    (outer / "keep.txt").write_text("mine\n")
    src = GitSource(str(upstream.bare), "main", "desired", outer / "state" / "source", timeout=5)
    src.checkout(src.fetch())
    (src.clone_dir / ".git" / "HEAD").write_text("garbage\n")

    # With a broken .git, plain git would walk up to `project`, fetch into it and clean it.
    assert src.checkout(src.fetch()).revision == sha
    assert (outer / "keep.txt").read_text() == "mine\n"
    assert git(outer, "rev-parse", "HEAD") == outer_head and git(outer, "remote") == ""
    assert git(outer, "status", "--porcelain") == "?? keep.txt\n?? state/"


def test_lock_files_left_by_a_killed_git_do_not_block(upstream, tmp_path):
    upstream.commit({"desired/a.yaml": "A\n"})
    upstream.push()
    src = source(upstream, tmp_path)
    src.checkout(src.fetch())
    (src.clone_dir / ".git" / "index.lock").write_text("")
    (src.clone_dir / ".git" / "refs" / "remotes" / "origin" / "main.lock").write_text("")
    newer = upstream.commit({"desired/a.yaml": "B\n"})
    upstream.push()

    assert src.fetch() == newer
    assert src.checkout(newer).revision == newer


def test_a_restarted_source_reports_the_last_checkout(upstream, tmp_path):
    sha = upstream.commit({"desired/a.yaml": "A\n"})
    upstream.push()
    src = source(upstream, tmp_path)
    src.fetch()
    assert source(upstream, tmp_path).current() is None  # fetched, never checked out
    got = src.checkout(sha)

    again = source(upstream, tmp_path)
    assert again.current() == got
    upstream.bare.rename(tmp_path / "gone.git")  # it needs no remote to know that
    assert again.current() == got


def test_concurrent_calls_are_serialised(upstream, tmp_path):
    sha = upstream.commit({"desired/a.yaml": "A\n"})
    upstream.push()
    src = source(upstream, tmp_path)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(3):
                src.checkout(src.fetch())
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and src.current().revision == sha


# -- credentials -----------------------------------------------------------------------------

TOKEN = "ghp_s3cr3t-token-value"


def assert_token_nowhere(workdir: Path) -> None:
    for path in workdir.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("how", ["token argument", "token in the url"])
def test_a_token_is_never_in_git_config_nor_the_error(tmp_path, how):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"https://127.0.0.1:{port}/org/infra.git"
    if how == "token argument":
        src = GitSource(url, "main", ".", tmp_path / "wd", timeout=5, token=TOKEN)
    else:
        src = GitSource(url.replace("//", f"//me:{TOKEN}@"), "main", ".", tmp_path / "wd",
                        timeout=5)

    with pytest.raises(SourceError) as caught:
        src.fetch()

    assert TOKEN not in str(caught.value) and TOKEN not in repr(src) + repr(src.remote)
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert (tmp_path / "wd").exists()
    assert_token_nowhere(tmp_path / "wd")


@pytest.fixture
def http_remote(upstream: Upstream) -> Iterator[tuple[str, list[str | None]]]:
    """The bare remote served over smart HTTP by `git http-backend`, behind Basic auth that
    accepts only TOKEN. Yields the URL and the Authorization headers it saw."""
    seen: list[str | None] = []
    wanted = "Basic " + base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            auth = self.headers.get("Authorization")
            seen.append(auth)
            if auth != wanted:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answer_with_git(self, upstream.bare.parent, body)

        do_POST = do_GET

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/{upstream.bare.name}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_token_reaches_the_server_and_no_credential_store(upstream, tmp_path, http_remote,
                                                           monkeypatch):
    url, seen = http_remote
    sha = upstream.commit({"desired/a.yaml": "A\n"})
    upstream.push()
    home = tmp_path / "home"  # a user config whose "store" helper would save any password
    home.mkdir()
    (home / ".gitconfig").write_text("[credential]\n\thelper = store\n")
    monkeypatch.setenv("HOME", str(home))

    src = GitSource(url, "main", "desired", tmp_path / "wd", timeout=10, token=TOKEN)
    assert src.fetch() == sha
    assert files_under(src.checkout(sha).path) == {"a.yaml": "A\n"}

    assert seen[0] is None and seen[-1] is not None  # sent after the 401 challenge only
    assert not (home / ".git-credentials").exists()
    assert_token_nowhere(tmp_path / "wd")


def test_a_wrong_token_fails_without_showing_it(upstream, tmp_path, http_remote):
    url, _ = http_remote
    upstream.commit({"desired/a.yaml": "A\n"})
    upstream.push()
    src = GitSource(url, "main", "desired", tmp_path / "wd", timeout=10, token="wrong-" + TOKEN)

    with pytest.raises(SourceError, match="Authentication failed") as caught:
        src.fetch()
    assert TOKEN not in str(caught.value) and url in str(caught.value)


def test_the_token_helper_answers_only_for_the_remote_host(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path),
           **fetch_env(parse_remote("https://git.example.com/org/r.git", TOKEN), 5)}

    def fill(host: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "credential", "fill"], capture_output=True, text=True,
                              input=f"protocol=https\nhost={host}\n\n", env=env)

    assert f"password={TOKEN}" in fill("git.example.com").stdout.splitlines()
    elsewhere = fill("evil.example.com")  # e.g. after a redirect
    assert elsewhere.returncode != 0 and TOKEN not in elsewhere.stdout + elsewhere.stderr


# -- ssh (no ssh server here: a fake `ssh` on PATH records how git calls it) -----------------


def test_ssh_command_uses_only_the_key_and_never_prompts(tmp_path):
    key = tmp_path / "deploy keys" / "id_ed25519"
    command = ssh_command(str(key), 4.2)
    assert command.startswith(f"ssh -i '{key}' ")
    for option in ("IdentitiesOnly=yes", "StrictHostKeyChecking=accept-new", "BatchMode=yes",
                   "ConnectTimeout=5"):
        assert f"-o {option}" in command
    assert "GIT_SSH_COMMAND" not in fetch_env(parse_remote("git@h:o/r.git"), 5)  # no key given


@pytest.mark.parametrize("repo, host_args", [
    ("git@github.com:org/infra.git", ["git@github.com"]),
    ("ssh://git@gitlab.example:2222/org/infra.git", ["-p", "2222", "git@gitlab.example"]),
])
def test_git_runs_ssh_with_the_key(tmp_path, monkeypatch, repo, host_args):
    calls = tmp_path / "ssh-calls"
    fake = tmp_path / "bin" / "ssh"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nfor a in "$@"; do echo "$a"; done > {calls}\n'
                    'echo "fake ssh: no server here" >&2\nexit 255\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    key = tmp_path / "deploy keys" / "id_ed25519"
    key.parent.mkdir()
    key.write_text("not really a key\n")

    src = GitSource(repo, "main", ".", tmp_path / "wd", timeout=5, ssh_key_file=str(key))
    with pytest.raises(SourceError, match=f"fetch of {repo} failed: fake ssh: no server here"):
        src.fetch()

    argv = calls.read_text().splitlines()
    assert argv[:2] == ["-i", str(key)]
    assert "IdentitiesOnly=yes" in argv and "StrictHostKeyChecking=accept-new" in argv
    at = argv.index(host_args[-1])
    assert argv[at - len(host_args) + 1:at + 1] == host_args
    assert "git-upload-pack" in argv[at + 1]


def test_a_missing_ssh_key_is_named(tmp_path):
    src = GitSource("git@github.com:org/infra.git", "main", ".", tmp_path / "wd",
                    ssh_key_file=str(tmp_path / "nokey"))
    with pytest.raises(SourceError, match=f"ssh key file {tmp_path / 'nokey'} does not exist"):
        src.fetch()
