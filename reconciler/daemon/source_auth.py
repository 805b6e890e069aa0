"""How the git source reaches its remote: URL kinds, and credentials kept out of config and text.

A token travels only in the environment of the fetch process (a credential helper scoped to the
remote's host reads it from there); an ssh key only through ``GIT_SSH_COMMAND``. Neither is
written into ``.git/config`` or put into a message.
"""

from __future__ import annotations

import math
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

# Username sent with a bare token: GitHub wants this one, GitLab and Gitea accept any.
DEFAULT_TOKEN_USER = "x-access-token"
_TOKEN_VAR = "RECONCILER_SOURCE_TOKEN"
_USER_VAR = "RECONCILER_SOURCE_TOKEN_USER"
# The helper prints the token only when git asks for it ("get"), never echoing it into argv.
_HELPER = (f'!f() {{ test "$1" = get || exit 0; echo "username=${_USER_VAR}"; '
           f'echo "password=${_TOKEN_VAR}"; }}; f')
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass(frozen=True)
class Remote:
    """Where to fetch from. ``url`` is what goes into ``.git/config``: it never holds a password."""

    url: str
    display: str
    kind: str  # https, http, ssh, file, local or another git transport
    token: str | None = field(default=None, repr=False)  # repr() may end up in a log
    token_user: str = DEFAULT_TOKEN_USER
    ssh_key_file: str | None = None

    @property
    def local_path(self) -> Path | None:
        """The directory a file:// or plain-path remote must be, else None."""
        if self.kind == "local":
            return Path(self.url)
        if self.kind == "file":
            return Path(unquote(urlsplit(self.url).path))
        return None


def parse_remote(repo: str, token: str | None = None,
                 ssh_key_file: str | None = None) -> Remote:
    """Classify ``repo``; a password inside an https URL is moved out of it and used as token."""
    repo = repo.strip()
    if not repo:
        raise ValueError("no git repository given")
    if _URL_SCHEME.match(repo):
        parts = urlsplit(repo)
        scheme = parts.scheme.lower()
        kind = {"git+ssh": "ssh", "ssh+git": "ssh"}.get(scheme, scheme)
        if kind in ("http", "https") and parts.username is not None:
            # The user name is no secret and stays (the server may need it); the password goes.
            user, password = parts.username, parts.password
            token = token or (unquote(password) if password else None)
            netloc = f"{user}@{_host_port(parts)}" if user else _host_port(parts)
            clean = urlunsplit(parts._replace(netloc=netloc))
            return Remote(clean, clean, kind, token or None,
                          unquote(user) or DEFAULT_TOKEN_USER, ssh_key_file)
        token = token if kind in ("http", "https") else None
        return Remote(repo, repo, kind, token or None, ssh_key_file=ssh_key_file)
    head = repo.split("/", 1)[0]
    if ":" in head:  # git's own rule: a colon before the first slash means scp-like ssh
        return Remote(repo, repo, "ssh", ssh_key_file=ssh_key_file)
    path = str(Path(repo).expanduser().absolute())
    return Remote(path, path, "local")


def _host_port(parts: SplitResult) -> str:
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def ssh_command(key_file: str, timeout: float) -> str:
    """``GIT_SSH_COMMAND`` for a deploy key: that key only, new hosts trusted on first use,
    never a prompt (a prompt would hang the worker until the timeout)."""
    key = str(Path(key_file).expanduser().absolute())
    return " ".join([
        "ssh", "-i", shlex.quote(key), "-o", "IdentitiesOnly=yes",
        "-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes",
        "-o", f"ConnectTimeout={max(1, math.ceil(timeout))}",
    ])


def fetch_env(remote: Remote, timeout: float) -> dict[str, str]:
    """Environment of one network git command for ``remote``."""
    # No terminal and an empty askpass: git fails at once instead of waiting for a password.
    env = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}
    if remote.kind == "ssh" and remote.ssh_key_file:
        env["GIT_SSH_COMMAND"] = ssh_command(remote.ssh_key_file, timeout)
    if remote.kind in ("http", "https") and remote.token:
        parts = urlsplit(remote.url)
        scope = f"{parts.scheme}://{_host_port(parts)}"
        key = f"credential.{scope}.helper"
        # The empty value first clears helpers from user config, so no "store" helper saves it.
        env.update(_config_env([(key, ""), (key, _HELPER)]))
        env[_TOKEN_VAR] = remote.token
        env[_USER_VAR] = remote.token_user
    return env


def _config_env(items: list[tuple[str, str]]) -> dict[str, str]:
    # GIT_CONFIG_COUNT (git >= 2.31) adds config for one process without touching any file.
    env = {"GIT_CONFIG_COUNT": str(len(items))}
    for i, (key, value) in enumerate(items):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


def redact(text: str, remote: Remote) -> str:
    """``text`` with the token masked, should any tool ever echo it."""
    if remote.token:
        text = text.replace(remote.token, "***")
    return text


def missing_key_file(remote: Remote) -> str | None:
    """Why the configured ssh key cannot be used, or None."""
    if remote.kind != "ssh" or not remote.ssh_key_file:
        return None
    key = Path(remote.ssh_key_file).expanduser()
    return None if os.path.isfile(key) else f"ssh key file {key} does not exist"
