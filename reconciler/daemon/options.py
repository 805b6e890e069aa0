"""Flags of ``reconciler run``; each also reads RECONCILER_<FLAG> from the environment."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str | float) -> float:
    """``30s``, ``5m``, ``1h``, ``250ms`` or plain seconds, as seconds."""
    if isinstance(text, int | float):
        return float(text)
    match = _DURATION.match(text)
    if not match:
        raise argparse.ArgumentTypeError(
            f"invalid duration {text!r}: use 30s, 5m, 1h or plain seconds")
    value = float(match.group(1)) * _UNIT[match.group(2)]
    if value <= 0:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: must be positive")
    return value


def parse_wait(text: str | float) -> float:
    """A duration, or 0 (``--wait-timeout 0``: do not wait)."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if text == 0 or (match and float(match.group(1)) == 0):
        return 0.0
    return parse_duration(text)


def add_pending_interval(parser: argparse.ArgumentParser, env: Callable[..., Any]) -> None:
    parser.add_argument("--pending-interval", type=parse_duration, default=parse_duration(
        env("pending_interval", "15s")),
        help="how often pending resources are looked at again (default 15s)")


def add_run_command(sub: Any, common: Callable[[argparse.ArgumentParser], None],
                    env: Callable[..., Any]) -> None:
    run = sub.add_parser("run", help="the worker: follow a git branch and keep AWS converged")
    run.add_argument("--repo", default=env("repo"),
                     help="git URL (https, ssh, file://) or local path (env RECONCILER_REPO)")
    run.add_argument("--branch", default=env("branch", "main"),
                     help="branch, tag or commit to follow (default main)")
    run.add_argument("--path", default=env("path", "desired"),
                     help="desired-state folder inside the repository (default desired)")
    run.add_argument("--interval", type=parse_duration, default=parse_duration(
        env("interval", "5m")), help="full drift check interval (default 5m)")
    run.add_argument("--source-interval", type=parse_duration, default=parse_duration(
        env("source_interval", "1m")), help="git poll interval (default 1m)")
    run.add_argument("--fetch-timeout", type=parse_duration, default=parse_duration(
        env("fetch_timeout", "60s")), help="timeout of one git fetch (default 60s)")
    run.add_argument("--listen", default=env("listen", "127.0.0.1:9108"),
                     help="HOST:PORT for /metrics, /healthz, /readyz, /status and webhooks")
    run.add_argument("--mode", choices=("enforce", "detect"), default=env("mode", "enforce"),
                     help="enforce: correct drift; detect: report it, change nothing")
    run.add_argument("--webhook-secret-file", default=env("webhook_secret_file"),
                     help="file holding the webhook secret (or RECONCILER_WEBHOOK_SECRET)")
    run.add_argument("--git-token-file", default=env("git_token_file"),
                     help="file holding an https token (or RECONCILER_GIT_TOKEN)")
    run.add_argument("--ssh-key-file", default=env("ssh_key_file"),
                     help="private key for ssh:// and git@ remotes")
    run.add_argument("--max-deletes", type=int, default=int(env("max_deletes", 10)))
    run.add_argument("--max-delete-percent", type=float,
                     default=float(env("max_delete_percent", 25)))
    run.add_argument("--concurrency", type=int, default=int(env("concurrency", 8)))
    run.add_argument("--shutdown-timeout", type=parse_duration, default=parse_duration(
        env("shutdown_timeout", "60s")), help="longest wait for the resource in flight")
    add_pending_interval(run, env)
    common(run)
