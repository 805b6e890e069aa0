"""One settings value per command, built once from the command line and the environment.

Every flag is declared once, in ``FLAGS``, with the commands that take it and the
settings field it fills; defaults live on the dataclasses (``settings_model``). A flag given on the
command line wins over its ``RECONCILER_<FLAG>`` variable, which wins over the
default. The CLI builds a ``Settings`` and hands it to the command (or the worker);
nothing downstream sees argparse.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NoReturn, get_type_hints

from reconciler.errors import ReconcilerError
from reconciler.settings_model import Settings
from reconciler.settings_values import (
    boolean,
    history_keep,
    integer,
    parameter,
    parse_duration,
    parse_wait,
    percent,
)

ENV_PREFIX = "RECONCILER_"

COMMANDS = {
    "validate": "parse, schema, references, cycles",
    "plan": "read AWS and show what would change",
    "apply": "plan, then apply in dependency order",
    "status": "what the last reconcile found, per resource",
    "run": "the worker: follow a git branch and keep AWS converged",
    "render": "print the whole tree as one CloudFormation template",
    "permissions": "print the IAM policy the worker needs for the kinds in the tree",
    "import": "write a tree from a CloudFormation stack, or of existing resources by type, "
              "to take them over",
    "unmanaged": "list resources of the managed types that no tree declares",
}
TREE_COMMANDS = ("validate", "plan", "apply", "render", "permissions",
                 "unmanaged")  # take [PATH]


@dataclass(frozen=True)
class Flag:
    """One command-line flag: the commands that take it and the settings field it fills.

    ``kind`` is ``value`` (takes an argument), ``switch`` (present or not) or
    ``repeat`` (KEY=VALUE, repeatable; the variable holds one per line) or ``list``
    (repeatable values; the variable holds several, one per line or comma- or
    space-separated).
    """

    name: str  # "--max-deletes", or "path" for the positional PATH
    setting: str  # dotted path into Settings: "reconcile.guards.max_deletes"
    commands: tuple[str, ...]
    help: str
    parse: Callable[[str], Any] = str
    kind: str = "value"
    choices: tuple[str, ...] | None = None
    # Per-command choices (first is the default there), for --output.
    command_choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    metavar: str | None = None

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.lstrip("-").upper().replace("-", "_")

    @property
    def dest(self) -> str:
        return self.name.lstrip("-").replace("-", "_")

    def choices_for(self, command: str) -> tuple[str, ...] | None:
        return self.command_choices.get(command, self.choices)

    def default_for(self, command: str) -> Any:
        default = _field_default(self.setting)
        choices = self.choices_for(command)
        if choices is not None and default not in choices:
            return choices[0]
        return default


ALL = tuple(COMMANDS)
RECONCILING = ("plan", "apply", "run")

FLAGS: tuple[Flag, ...] = (
    # Options every command takes.
    Flag("--state", "state", ALL, "state directory, or dynamodb://TABLE for a store several "
         "workers share", metavar="DIR"),
    Flag("--owner", "owner", ALL, "instance name written into ownership tags", metavar="NAME"),
    Flag("--stack-name", "stack_name", ALL, "the value of AWS::StackName (and the name in "
         "AWS::StackId); default the --owner", metavar="NAME"),
    Flag("--parameter", "parameters", ALL, "template parameter override (repeatable)",
         parse=parameter, kind="repeat", metavar="KEY=VALUE"),
    Flag("--local", "local", ALL, "use the embedded local AWS (moto): the one a `run --local` "
         "on the same --state has running, else one of this command's own", kind="switch"),
    # The tree and how results print.
    Flag("path", "path", TREE_COMMANDS, "desired-state file or folder"),
    Flag("--path", "path", ("run",), "desired-state folder inside the repository"),
    Flag("--output", "output", ("plan", "apply", "status", "render", "unmanaged"),
         "output format",
         choices=("text", "json"), command_choices={"render": ("yaml", "json"),
                                                    "plan": ("text", "json", "markdown")}),
    Flag("--base", "base", ("plan",), "show only the resources whose declaration differs "
         "from this git revision (the tree must sit in a git work tree)", metavar="REV"),
    Flag("--stats", "stats", ("plan", "apply"),
         "print AWS API calls and wall time to stderr at the end", kind="switch"),
    # Reconciling.
    Flag("--mode", "reconcile.mode", RECONCILING,
         "enforce: correct drift; detect: report it, change nothing (for resources without "
         "Metadata.Reconciler.Mode)", choices=("enforce", "detect")),
    Flag("--concurrency", "reconcile.concurrency", RECONCILING, "concurrent AWS reads",
         parse=integer(1), metavar="N"),
    Flag("--max-deletes", "reconcile.guards.max_deletes", RECONCILING,
         "deletion guard: most resources one revision may delete", parse=integer(0),
         metavar="N"),
    Flag("--max-delete-percent", "reconcile.guards.max_delete_percent", RECONCILING,
         "deletion guard: most percent of the inventory one revision may delete",
         parse=percent, metavar="P"),
    Flag("--allow-mass-delete", "reconcile.guards.allow_mass_delete", ("plan", "apply"),
         "let this run delete more than the deletion guard allows", kind="switch"),
    Flag("--allow-empty", "reconcile.guards.allow_empty", ("plan", "apply"),
         "let an empty desired tree remove every managed resource", kind="switch"),
    # The worker.
    Flag("--history-keep", "reconcile.history", ("apply", "run"),
         "run history kept in the state store: N runs, an age (30d), or both (500,30d); "
         "default 1000,90d", parse=history_keep, metavar="LIMIT"),
    Flag("--pending-interval", "reconcile.pending_interval", ("apply", "run"),
         "how often pending resources are looked at again", parse=parse_duration,
         metavar="DURATION"),
    Flag("--wait-timeout", "reconcile.wait_timeout", ("apply",),
         "longest wait for pending resources after the first pass (0: do not wait, exit 1 if "
         "anything is pending)", parse=parse_wait, metavar="DURATION"),
    Flag("--lease-duration", "reconcile.lease_duration", ("apply", "run"),
         "with --state dynamodb://: how long the active worker's lease lasts without renewal "
         "(a standby takes over about this long after it dies)", parse=parse_duration,
         metavar="DURATION"),
    Flag("--work-dir", "worker.work_dir", ("run",),
         "with --state dynamodb://: local directory for the git clone and the local-AWS "
         "record (with a state directory, that directory is used)", metavar="DIR"),
    Flag("--repo", "worker.source.repo", ("run",),
         "git URL (https, ssh, file://) or local path", metavar="URL"),
    Flag("--branch", "worker.source.branch", ("run",), "branch, tag or commit to follow"),
    Flag("--source-interval", "worker.source.interval", ("run",), "git poll interval",
         parse=parse_duration, metavar="DURATION"),
    Flag("--fetch-timeout", "worker.source.fetch_timeout", ("run",),
         "timeout of one git fetch", parse=parse_duration, metavar="DURATION"),
    Flag("--git-token-file", "worker.source.git_token_file", ("run",),
         "file holding an https token (or RECONCILER_GIT_TOKEN)", metavar="FILE"),
    Flag("--ssh-key-file", "worker.source.ssh_key_file", ("run",),
         "private key for ssh:// and git@ remotes", metavar="FILE"),
    Flag("--verify-commits", "worker.source.verify_commits", ("run",),
         "apply only revisions whose commit carries a trusted signature", kind="switch"),
    Flag("--allowed-signers", "worker.source.allowed_signers", ("run",),
         "with --verify-commits: git's SSH allowed-signers file of trusted keys",
         metavar="FILE"),
    Flag("--gpg-home", "worker.source.gpg_home", ("run",),
         "with --verify-commits: a GnuPG home directory holding the trusted keys",
         metavar="DIR"),
    Flag("--interval", "worker.interval", ("run",), "full drift check interval",
         parse=parse_duration, metavar="DURATION"),
    Flag("--listen", "worker.listen", ("run",),
         "HOST:PORT for /metrics, /healthz, /readyz, /status and webhooks"),
    Flag("--webhook-secret-file", "worker.webhook_secret_file", ("run",),
         "file holding the webhook secret (or RECONCILER_WEBHOOK_SECRET)", metavar="FILE"),
    Flag("--shutdown-timeout", "worker.shutdown_timeout", ("run",),
         "longest wait for the resource in flight at shutdown", parse=parse_duration,
         metavar="DURATION"),
    Flag("--notify", "worker.notify", ("run",), "send notifications to URL: a Slack incoming "
         "webhook or any endpoint taking JSON (repeatable; the variable takes several, comma- "
         "or space-separated)", kind="list", metavar="URL"),
    Flag("--events-queue", "worker.events_queue", ("run",),
         "SQS queue URL an EventBridge rule feeds with CloudTrail events: reconcile the "
         "resources they name at once (deploy/events/)", metavar="URL"),
    # Moving a CloudFormation stack over.
    Flag("--stack", "stack_import.stack", ("import",), "the CloudFormation stack to import",
         metavar="NAME"),
    Flag("--out", "stack_import.out", ("import",),
         "with --stack: folder the tree is written to (default ./desired-<stack>); with "
         "--type: the file (default standard output)", metavar="PATH"),
    Flag("--release", "stack_import.release", ("import",),
         "then release the resources from the stack: DeletionPolicy Retain on each through a "
         "stack update, delete the stack, tag them as owned (asks first)", kind="switch"),
    Flag("--yes", "stack_import.yes", ("import",), "do not ask before --release",
         kind="switch"),
    # Adopting existing resources by type.
    Flag("--type", "type_import.types", ("import", "unmanaged"),
         "a resource type to list, e.g. AWS::S3::Bucket (repeatable; unmanaged: default every "
         "listable type)", kind="list", metavar="TYPE"),
    Flag("--name-prefix", "type_import.name_prefix", ("import",),
         "only resources whose name (else Name tag, else ID) starts with this", metavar="P"),
    Flag("--tag", "type_import.tags", ("import",), "only resources with this tag (repeatable)",
         parse=parameter, kind="repeat", metavar="KEY=VALUE"),
)


def _field_default(path: str) -> Any:
    cls: Any = Settings
    *parents, name = path.split(".")
    for parent in parents:
        cls = get_type_hints(cls)[parent]
    for f in dataclasses.fields(cls):
        if f.name == name:
            if f.default is not dataclasses.MISSING:
                return f.default
            return f.default_factory()  # type: ignore[misc]
    raise KeyError(path)


# --- the parser ----------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """A usage error is an error: exit 1, never 2 (which ``plan`` means as changes pending)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="reconciler",
        description="Keep AWS converged with CloudFormation-shaped desired state from git. "
                    "Every flag also reads RECONCILER_<FLAG> from the environment.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command, text in COMMANDS.items():
        command_parser = sub.add_parser(command, help=text, description=text)
        for flag in FLAGS:
            if command in flag.commands:
                _add(command_parser, flag, command)
    return parser


def _add(parser: argparse.ArgumentParser, flag: Flag, command: str) -> None:
    default = flag.default_for(command)
    plain = default in (None, False, "") or flag.kind in ("repeat", "list")
    shown = "" if plain else f"default {default}; "
    help_text = f"{flag.help} ({shown}env {flag.env})"
    # Defaults stay None here: Settings.from_arguments tells "not given" from "given".
    if flag.kind == "switch":
        parser.add_argument(flag.name, action="store_true", default=None, help=help_text)
    elif flag.kind in ("repeat", "list"):
        parser.add_argument(flag.name, action="append", type=flag.parse, default=None,
                            metavar=flag.metavar, help=help_text)
    elif not flag.name.startswith("-"):
        parser.add_argument(flag.dest, nargs="?", default=None, type=flag.parse,
                            metavar=flag.dest.upper(), help=help_text)
    else:
        parser.add_argument(flag.name, type=flag.parse, default=None, metavar=flag.metavar,
                            choices=flag.choices_for(command), help=help_text)


# --- building the value ------------------------------------------------------------------

def from_arguments(args: argparse.Namespace,
                   environ: Mapping[str, str] | None = None) -> Settings:
    """The settings of ``args.command``: the command line, else RECONCILER_<FLAG>, else the
    default. A bad variable is a ReconcilerError naming it."""
    environ = os.environ if environ is None else environ
    command = args.command
    values: dict[str, Any] = {"command": command}
    for flag in FLAGS:
        if command in flag.commands:
            values[flag.setting] = _value(flag, command, getattr(args, flag.dest), environ)
    return _construct(Settings, values, "")


def parse(argv: Sequence[str] | None = None,
          environ: Mapping[str, str] | None = None) -> Settings:
    return from_arguments(build_parser().parse_args(argv), environ)


def _value(flag: Flag, command: str, given: Any, environ: Mapping[str, str]) -> Any:
    if flag.kind == "repeat":
        # Per key, the command line wins over the variable (one KEY=VALUE per line).
        lines = [line for line in environ.get(flag.env, "").splitlines() if line.strip()]
        pairs = [_from_env(flag, line) for line in lines] + list(given or [])
        return MappingProxyType(dict(pairs))
    if flag.kind == "list":
        # The command line replaces the variable: a list has no key to merge by.
        if given:
            return tuple(given)
        return tuple(_from_env(flag, item) for item in
                     environ.get(flag.env, "").replace(",", " ").split())
    if given is not None:
        return given
    if flag.env not in environ:
        return flag.default_for(command)
    parse_value = boolean if flag.kind == "switch" else flag.parse
    value = _from_env(flag, environ[flag.env], parse_value)
    choices = flag.choices_for(command)
    if choices is not None and value not in choices:
        raise ReconcilerError(f"{flag.env}={value!r}: {command} takes one of "
                              f"{', '.join(choices)}")
    return value


def _from_env(flag: Flag, text: str, parse_value: Callable[[str], Any] | None = None) -> Any:
    try:
        return (parse_value or flag.parse)(text)
    except (argparse.ArgumentTypeError, ValueError) as exc:
        raise ReconcilerError(f"{flag.env}: {exc}") from None


def _construct(cls: Any, values: Mapping[str, Any], prefix: str) -> Any:
    hints = get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        path = prefix + f.name
        if path in values:  # a leaf, even when its value is itself a dataclass
            kwargs[f.name] = values[path]
        elif dataclasses.is_dataclass(hints[f.name]):
            kwargs[f.name] = _construct(hints[f.name], values, path + ".")
    return cls(**kwargs)
