"""A git remote that misbehaves on demand, for the chaos suite: a real bare repository served
over smart HTTP by ``git http-backend`` (a loopback server of ours in front of it), which can
refuse (the repository's directory moved away: git's "not found"), reset connections, or hang
(accept, read the request, never answer), and whose branch can be force-pushed."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.git_http import answer_with_git
from tests.worker_harness import Remote, git

OK, REFUSE, RESET, HANG = "ok", "refuse", "reset", "hang"
GIT_FAULTS = (REFUSE, RESET, HANG)


class ChaosRemote:
    """A bare repository, a work tree that pushes to it, and the HTTP server in front."""

    def __init__(self, root: Path) -> None:
        repository = Remote(root)  # the bare repository and the work tree pushing to it
        self.bare, self.work = repository.bare, repository.work
        self.moved = root / "remote.git.moved-away"
        self.mode = OK
        self.requests = 0
        self.hung = 0  # requests left unanswered
        self._changed = threading.Condition()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/{self.bare.name}"

    def set_mode(self, mode: str) -> None:
        """Refusing moves the repository away (as a removed or renamed remote path does)."""
        with self._changed:
            if mode == REFUSE and self.bare.exists():
                self.bare.rename(self.moved)
            elif mode != REFUSE and self.moved.exists():
                self.moved.rename(self.bare)
            self.mode = mode
            self._changed.notify_all()

    def commit(self, files: dict[str, str], message: str) -> str:
        for name, text in files.items():
            path = self.work / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        git(self.work, "add", "-A")
        git(self.work, "commit", "-q", "-m", message)
        return git(self.work, "rev-parse", "HEAD")

    def push(self, force: bool = False) -> None:
        """Pushes straight into the bare repository (never through the misbehaving server)."""
        with self._changed:
            target = self.bare if self.bare.exists() else self.moved
            git(self.work, "push", "-q", *(["--force"] if force else []), str(target), "main")

    def rewrite(self, files: dict[str, str], message: str) -> str:
        """History rewritten: the branch's last commit replaced by another, force-pushed."""
        for name, text in files.items():
            (self.work / name).write_text(text)
        git(self.work, "add", "-A")
        git(self.work, "commit", "-q", "--amend", "-m", message)
        self.push(force=True)
        return self.tip()

    def tip(self) -> str:
        return git(self.work, "rev-parse", "HEAD")

    def close(self) -> None:
        self.set_mode(OK)
        self.server.shutdown()
        self.server.server_close()

    def _wait_while_hanging(self, limit: float = 120.0) -> None:
        deadline = time.monotonic() + limit
        with self._changed:
            while self.mode == HANG and time.monotonic() < deadline:
                self._changed.wait(0.2)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        remote = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                remote.requests += 1
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if remote.mode == HANG:
                    remote.hung += 1
                    remote._wait_while_hanging()
                    self.close_connection = True
                    return
                if remote.mode == RESET:
                    self.close_connection = True  # closed before any reply
                    return
                self._backend(body)

            do_POST = do_GET

            def _backend(self, body: bytes) -> None:
                answer_with_git(self, remote.bare.parent, body)

        return Handler
