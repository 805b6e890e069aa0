"""The ``reconciler`` command: validate, plan, apply, status and run."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from reconciler.errors import ReconcilerError, ValidationFailed

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def _env(flag: str, default: Any = None) -> Any:
    """Every flag can come from RECONCILER_<FLAG>, for containers."""
    return os.environ.get("RECONCILER_" + flag.upper().replace("-", "_"), default)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state", default=_env("state", "./state"),
                        help="state directory (env RECONCILER_STATE; default ./state)")
    parser.add_argument("--owner", default=_env("owner", "reconciler"),
                        help="instance name written into ownership tags (default reconciler)")
    parser.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE",
                        help="template parameter override (repeatable)")
    parser.add_argument("--local", action="store_true",
                        default=_env("local", "") in ("1", "true", "yes"),
                        help="start the embedded local AWS (moto) and use it")


def _guards(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mode", choices=("enforce", "detect"), default=_env("mode", "enforce"),
                        help="default mode for resources without Metadata.Reconciler.Mode")
    parser.add_argument("--max-deletes", type=int, default=int(_env("max_deletes", 10)),
                        help="deletion guard: most resources one revision may delete")
    parser.add_argument("--max-delete-percent", type=float,
                        default=float(_env("max_delete_percent", 25)),
                        help="deletion guard: most percent of the inventory one revision may "
                             "delete")
    parser.add_argument("--allow-mass-delete", action="store_true",
                        help="let this run delete more than the deletion guard allows")
    parser.add_argument("--allow-empty", action="store_true",
                        help="let an empty desired tree remove every managed resource")
    parser.add_argument("--concurrency", type=int, default=int(_env("concurrency", 8)),
                        help="concurrent AWS reads (default 8)")
    parser.add_argument("--stats", action="store_true",
                        help="print AWS API calls and wall time to stderr at the end")


def _waiting(parser: argparse.ArgumentParser) -> None:
    from reconciler.daemon.options import add_pending_interval, parse_wait

    parser.add_argument("--wait-timeout", type=parse_wait, default=parse_wait(
        _env("wait_timeout", "30m")),
        help="how long to wait for pending resources after the first pass (default 30m; "
             "0: do not wait, exit 1 if anything is pending)")
    add_pending_interval(parser, _env)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reconciler",
        description="Keep AWS converged with CloudFormation-shaped desired state from git.")
    sub = parser.add_subparsers(dest="command", required=True)

    validate = sub.add_parser("validate", help="parse, schema, references, cycles")
    validate.add_argument("path", nargs="?", default=_env("path", "desired"))
    validate.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE")

    for name, text in (("plan", "read AWS and show what would change"),
                       ("apply", "plan, then apply in dependency order")):
        command = sub.add_parser(name, help=text)
        command.add_argument("path", nargs="?", default=_env("path", "desired"))
        command.add_argument("--output", choices=("text", "json"), default="text")
        _common(command)
        _guards(command)
        if name == "apply":
            _waiting(command)

    status = sub.add_parser("status", help="what the last reconcile found, per resource")
    status.add_argument("--output", choices=("text", "json"), default="text")
    status.add_argument("--state", default=_env("state", "./state"))

    from reconciler.daemon.options import add_run_command

    add_run_command(sub, _common, _env)
    return parser


def parse_parameters(items: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ReconcilerError(f"--parameter {item!r}: expected KEY=VALUE")
        out[key] = value
    return out


@contextmanager
def local_aws_if(enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    from reconciler.aws.local import LocalAws

    with LocalAws() as server:
        print(f"local AWS (moto) listening on {server.endpoint}; try: "
              f"AWS_ENDPOINT_URL={server.endpoint} AWS_ACCESS_KEY_ID=testing "
              f"AWS_SECRET_ACCESS_KEY=testing aws s3 ls", file=sys.stderr, flush=True)
        yield


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            return cmd_validate(args)
        if args.command == "status":
            return cmd_status(args)
        if args.command == "run":
            from reconciler.daemon.worker import run_worker

            return run_worker(args)
        return cmd_plan_or_apply(args)
    except ValidationFailed as failed:
        for issue in failed.issues:
            print(issue, file=sys.stderr)
        print(f"{len(failed.issues)} error(s); nothing was applied", file=sys.stderr)
        return EXIT_ERROR
    except ReconcilerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def cmd_validate(args: argparse.Namespace) -> int:
    from reconciler.runtime import load

    template = load(args.path, parse_parameters(args.parameter))
    print(f"{args.path}: valid ({len(template.resources)} resources in "
          f"{len(template.files)} files)")
    return EXIT_OK


def cmd_plan_or_apply(args: argparse.Namespace) -> int:
    from reconciler.aws.clients import AwsClients
    from reconciler.engine import reconcile
    from reconciler.engine.context import EngineSettings
    from reconciler.output.plan_text import render_plan
    from reconciler.output.progress import ProgressPrinter
    from reconciler.runtime import PseudoParameters, build_kinds, load
    from reconciler.state.store import StateStore
    from reconciler.template.intrinsics import resolve

    parameters = parse_parameters(args.parameter)
    settings = EngineSettings(
        owner=args.owner, default_mode=args.mode, revision=_revision_of(args.path),
        max_deletes=args.max_deletes, max_delete_fraction=args.max_delete_percent / 100,
        allow_mass_delete=args.allow_mass_delete, allow_empty=args.allow_empty,
        concurrency=max(1, args.concurrency))
    started = time.monotonic()
    with ExitStack() as stack:
        stack.enter_context(local_aws_if(args.local))
        clients = AwsClients()
        pseudo = PseudoParameters(clients)
        template = load(args.path, parameters, pseudo)
        store = StateStore(args.state)
        stack.callback(store.close)
        if args.stats:
            stack.callback(lambda: print(
                f"stats: aws_calls={clients.calls} resources={len(template.resources)} "
                f"wall_seconds={time.monotonic() - started:.3f}", file=sys.stderr))
        check_aws(clients)
        kinds = build_kinds(clients)
        if args.command == "plan":
            result = reconcile.plan(template, store, kinds, resolve, pseudo, settings)
            _print_plan(result, args.output, applied=False, render=render_plan)
            if result.has_errors:
                return EXIT_ERROR
            return EXIT_CHANGES if result.has_changes else EXIT_OK
        listener = ProgressPrinter() if sys.stderr.isatty() and args.output == "text" else None

        def run_pass(scope: Any = None, holds: Any = None) -> Any:
            return reconcile.apply(template, store, kinds, resolve, pseudo, settings,
                                   listener=listener, scope=scope, holds=holds)

        result = _wait_for_pending(run_pass(), template, run_pass, args)
        _print_plan(result, args.output, applied=True, render=render_plan)
        return EXIT_OK if result.converged else EXIT_ERROR
    return EXIT_ERROR  # pragma: no cover - ExitStack does not swallow


def _wait_for_pending(first: Any, template: Any, run_pass: Any, args: argparse.Namespace) -> Any:
    """After the first pass, apply again what was pending until it is ready (or time is up)."""
    from reconciler.engine.waiting import WaitSettings, describe_pending, wait_until_ready

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    waited = wait_until_ready(first, template, run_pass,
                              WaitSettings(args.wait_timeout, args.pending_interval), progress)
    if not waited.ready:
        why = ("not waiting (--wait-timeout 0)" if args.wait_timeout == 0
               else f"timed out after {args.wait_timeout:g}s")
        print(f"error: {why}, still {describe_pending(waited.plan)}", file=sys.stderr)
    return waited.plan


def check_aws(clients: Any) -> None:
    """Fail fast, with the cause, when AWS cannot be reached or credentials are wrong."""
    try:
        clients.account_id()
    except Exception as exc:
        detail = " ".join(str(exc).split())
        raise ReconcilerError(f"cannot reach AWS (sts:GetCallerIdentity): {detail}") from exc


def _print_plan(result: Any, output: str, applied: bool, render: Any) -> None:
    if output == "json":
        print(json.dumps(result.to_json(), indent=2, sort_keys=False))
    else:
        print(render(result, applied=applied), end="")


def _revision_of(path: str) -> str | None:
    """The git commit the desired tree comes from, when it sits in a work tree."""
    try:
        import git

        repo = git.Repo(path, search_parent_directories=True)
        sha = repo.head.commit.hexsha
        return sha + ("-dirty" if repo.is_dirty(untracked_files=False, path=path) else "")
    except Exception:
        return None


def cmd_status(args: argparse.Namespace) -> int:
    from reconciler.output.status_text import render_status, status_json
    from reconciler.state.store import StateStore

    if not os.path.exists(os.path.join(args.state, StateStore.FILE_NAME)):
        raise ReconcilerError(f"no state in {args.state}: nothing has been applied from here")
    store = StateStore(args.state)
    try:
        data = status_json(store)
    finally:
        store.close()
    if args.output == "json":
        print(json.dumps(data, indent=2))
    else:
        print(render_status(data), end="")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
