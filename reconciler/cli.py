"""The ``reconciler`` command: validate, plan, apply, status, run, render, permissions,
import and unmanaged.

Flags become one Settings value (reconciler.settings); each command takes only that.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from reconciler.errors import ReconcilerError, ValidationFailed
from reconciler.settings import Settings, build_parser, from_arguments

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = from_arguments(args)
        return COMMANDS[settings.command](settings)
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


def _load_tree(settings: Settings, stack: ExitStack, reads_aws: bool = True) -> Any:
    """The validated tree; AWS (or --local's emulator) only if a condition needs a pseudo
    parameter, a rule what a parameter names or a parameter Parameter Store (``reads_aws``)."""
    from reconciler.runtime import Aws, PseudoParameters, load

    aws = Aws(settings.local, settings.state, stack)
    return load(settings.path, settings.parameters, PseudoParameters(
        aws.clients, settings.stack, _exports_reader(settings, stack), reads_aws))


def _exports_reader(settings: Settings, stack: ExitStack) -> Callable[[], Any] | None:
    """The other trees' exports, from the state store when there is one (validate never
    creates a store)."""
    from reconciler.state.exports import exports_of_others
    from reconciler.state.open import has_state, open_store

    if not has_state(settings.state):
        return None

    def read() -> Any:
        store = open_store(settings.state, settings.owner)
        stack.callback(store.close)
        return exports_of_others(store)
    return read


def cmd_validate(settings: Settings) -> int:
    with ExitStack() as stack:
        template = _load_tree(settings, stack)
    for warning in template.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{settings.path}: valid ({len(template.resources)} resources in "
          f"{len(template.files)} files)")
    return EXIT_OK


def cmd_render(settings: Settings) -> int:
    from reconciler.output.render import merged_template, to_json, to_yaml

    with ExitStack() as stack:
        _load_tree(settings, stack)
    rendered = merged_template(settings.path)
    print(to_json(rendered) if settings.output == "json" else to_yaml(rendered), end="")
    return EXIT_OK


def cmd_import(settings: Settings) -> int:
    from reconciler import stack_import
    from reconciler.kinds.registry import catalog
    from reconciler.runtime import Aws, build_kinds, check_aws
    from reconciler.state.open import open_store

    if settings.type_import.types:
        from reconciler.adopt.commands import cmd_import_types

        return cmd_import_types(settings)
    name = settings.stack_import.stack
    if not name:
        raise ReconcilerError("reconciler import needs --stack NAME or --type TYPE")
    out = Path(settings.stack_import.out or f"desired-{name}")
    with ExitStack() as stack:
        clients = Aws(settings.local, settings.state, stack).clients()
        check_aws(clients)
        template, description, resources = stack_import.read_stack(clients, name)
        report = stack_import.ImportReport(name, out)
        types = catalog()
        tree = stack_import.write_tree(template, description, resources,
                                       lambda type_name: type_name in types, report)
        written = stack_import.write(tree, out, name)
        store = open_store(settings.state, settings.owner)
        stack.callback(store.close)
        kinds = build_kinds(clients)
        stack_import.record_owned(tree, resources, kinds.get, store, settings.owner, report)
        if settings.stack_import.release:
            if not settings.stack_import.yes and not _confirm(
                    f"Release every resource of stack {name} (retain them, then delete the "
                    "stack)?"):
                print(report.text(), end="")
                print("not released", file=sys.stderr)
                return EXIT_ERROR
            recorded = {lid: (resources[lid][0], row.physical_id or "")
                        for lid, row in store.inventory().items() if lid in report.recorded}
            stack_import.release(clients, name, template, description, kinds.get,
                                 settings.owner, recorded)
            report.released = True
        print(f"wrote {written}")
        print(report.text(), end="")
    return EXIT_OK


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise ReconcilerError("--release asks for confirmation: run it in a terminal, or "
                              "add --yes")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def cmd_permissions(settings: Settings) -> int:
    from reconciler.output.render import merged_template
    from reconciler.permissions import parameter_reads, policy
    from reconciler.template.intrinsics import functions_used

    with ExitStack() as stack:
        _load_tree(settings, stack, reads_aws=False)
    # Every declared type, even under a false Condition: a parameter can turn it on.
    template = merged_template(settings.path)
    resources = template.get("Resources", {})
    print(json.dumps(policy((r["Type"] for r in resources.values()), functions_used(template)
                            | parameter_reads(template.get("Parameters"))), indent=2))
    return EXIT_OK


def cmd_plan_or_apply(settings: Settings) -> int:
    from reconciler import plan_base
    from reconciler.aws.cloudtrail import attribution_for
    from reconciler.engine import reconcile
    from reconciler.output.plan_text import render_plan
    from reconciler.output.progress import ProgressPrinter
    from reconciler.rebuild import settings_after_rebuild
    from reconciler.runtime import Aws, PseudoParameters, build_kinds, check_aws, load
    from reconciler.state.exports import exports_of_others
    from reconciler.state.recovery import open_recovering
    from reconciler.template.intrinsics import resolve

    engine_settings = settings.engine(_revision_of(settings.path))
    started = time.monotonic()
    with ExitStack() as stack:
        clients = Aws(settings.local, settings.state, stack).clients()
        opened = open_recovering(settings.state, settings.owner, _warn)
        store = opened.store
        stack.callback(store.close)
        pseudo = PseudoParameters(lambda: clients, settings.stack,
                                  functools.partial(exports_of_others, store))
        template = load(settings.path, settings.parameters, pseudo)
        base = _base(settings, template, pseudo)  # before AWS: a bad REV fails at once
        if settings.stats:
            stack.callback(lambda: print(
                f"stats: aws_calls={clients.calls} resources={len(template.resources)} "
                f"wall_seconds={time.monotonic() - started:.3f}", file=sys.stderr))
        check_aws(clients)
        engine_settings = settings_after_rebuild(opened, clients, engine_settings, _warn)
        if settings.command == "apply":  # a shared store: this run holds the owner's lease
            from reconciler.state.lease_keeper import held_for_command

            stack.enter_context(held_for_command(store, clients,
                                                 settings.reconcile.lease_duration))
        kinds = build_kinds(clients)
        # Who caused each drift, from CloudTrail (the local emulator has no LookupEvents).
        attribution = None if settings.local else attribution_for(clients, _warn)
        if settings.command == "plan":
            scope = None if base is None else plan_base.scope_for(base, template)
            result = reconcile.plan(template, store, kinds, resolve, pseudo, engine_settings,
                                    attribution, scope=scope)
            if base is not None:
                total = len(set(template.resources) | set(store.inventory()))
                result = plan_base.only_differing(result, base, total)
            _print_plan(result, settings.output, applied=False, render=render_plan, base=base)
            if result.has_errors:
                return EXIT_ERROR
            return EXIT_CHANGES if result.has_changes else EXIT_OK
        text = settings.output == "text"
        listener = ProgressPrinter() if sys.stderr.isatty() and text else None

        def run_pass(scope: Any = None, holds: Any = None) -> Any:
            return reconcile.apply(template, store, kinds, resolve, pseudo, engine_settings,
                                   listener=listener, scope=scope, holds=holds,
                                   attribution=attribution)

        result = _wait_for_pending(run_pass(), template, run_pass, settings)
        _print_plan(result, settings.output, applied=True, render=render_plan)
        return EXIT_OK if result.converged else EXIT_ERROR
    return EXIT_ERROR  # pragma: no cover - ExitStack does not swallow


def _warn(text: str) -> None:
    print(f"warning: {text}", file=sys.stderr, flush=True)


def _wait_for_pending(first: Any, template: Any, run_pass: Any, settings: Settings) -> Any:
    """After the first pass, apply again what was pending until it is ready (or time is up)."""
    from reconciler.engine.waiting import WaitSettings, describe_pending, wait_until_ready

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    timeout = settings.reconcile.wait_timeout
    waited = wait_until_ready(first, template, run_pass,
                              WaitSettings(timeout, settings.reconcile.pending_interval), progress)
    if not waited.ready:
        why = "not waiting (--wait-timeout 0)" if timeout == 0 else f"timed out after {timeout:g}s"
        print(f"error: {why}, still {describe_pending(waited.plan)}", file=sys.stderr)
    return waited.plan


def _base(settings: Settings, template: Any, pseudo: Any) -> Any:
    """plan --base REV: how the tree differs from REV (None without --base)."""
    if not settings.base:
        return None
    from reconciler import plan_base
    from reconciler.runtime import load

    return plan_base.compare(settings.path, settings.base, template, load,
                             settings.parameters, pseudo)


def _print_plan(result: Any, output: str, applied: bool, render: Any, base: Any = None) -> None:
    if output == "json":
        data = result.to_json()
        if base is not None:
            data["base"] = base.to_json()
        print(json.dumps(data, indent=2, sort_keys=False))
    elif output == "markdown":
        from reconciler.output.plan_markdown import render_markdown

        print(render_markdown(result, base), end="")
    else:
        if base is not None:
            text = base.describe()
            print(text[:1].upper() + text[1:] + ".")
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


def cmd_status(settings: Settings) -> int:
    """From the state store alone (--owner picks the tree); --local and --parameter change
    nothing here."""
    from reconciler.output.status_text import render_status, status_json
    from reconciler.state.open import has_state, open_store
    from reconciler.state.store import CorruptStore

    if not has_state(settings.state):
        raise ReconcilerError(f"no state in {settings.state}: nothing has been applied from here")
    try:
        store = open_store(settings.state, settings.owner)
    except CorruptStore as exc:  # status only reads: plan, apply and run repair it
        raise ReconcilerError(f"{exc}; status changes nothing: the next plan, apply or run "
                              "moves it aside and rebuilds the inventory from ownership "
                              "tags") from exc
    try:
        if not store.runs(limit=1) and not store.inventory():
            others = ", ".join(o for o in store.owners() if o != settings.owner)
            raise ReconcilerError(f"no state for owner {settings.owner} in {store.location}"
                                  + (f" (it holds: {others}; give --owner)" if others else ""))
        data = status_json(store)
    finally:
        store.close()
    if settings.output == "json":
        print(json.dumps(data, indent=2))
    else:
        print(render_status(data), end="")
    return EXIT_OK


def cmd_unmanaged(settings: Settings) -> int:
    from reconciler.adopt.commands import cmd_unmanaged as unmanaged

    return unmanaged(settings)


def cmd_run(settings: Settings) -> int:
    from reconciler.daemon.run import run_worker

    return run_worker(settings)


COMMANDS: dict[str, Callable[[Settings], int]] = {
    "validate": cmd_validate, "plan": cmd_plan_or_apply, "apply": cmd_plan_or_apply,
    "status": cmd_status, "run": cmd_run, "render": cmd_render,
    "permissions": cmd_permissions, "import": cmd_import, "unmanaged": cmd_unmanaged,
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
